"""Run the import-linter contracts of pyproject.toml on the installed layout.

The repository keeps trainer/, exporters/ and assets/ beside alis_studio/, and setuptools installs
them as alis_studio.trainer, alis_studio.exporters and alis_studio.assets. import-linter reads a
package's modules from its folder, so it would not see the mapped ones: this copies the sources
(.py files only) into a temporary tree laid out as installed and runs `lint-imports` there.

    python scripts/lint_imports.py     # exit status and output of lint-imports
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# where each installed package's sources live in the repository (pyproject.toml's package-dir)
LAYOUT = {"alis_studio": "alis_studio", "alis_studio/trainer": "trainer",
          "alis_studio/exporters": "exporters", "alis_studio/assets": "assets"}


def stage(dest: Path) -> Path:
    """Copy the .py files into dest/ as they are installed; returns dest."""
    for installed, source in LAYOUT.items():
        for src in (ROOT / source).rglob("*.py"):
            target = dest / installed / src.relative_to(ROOT / source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
    return dest


def run(capture: bool = False) -> subprocess.CompletedProcess:
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    with tempfile.TemporaryDirectory(prefix="alis-lint-") as tmp:
        stage(Path(tmp))
        env = {**os.environ, "PYTHONPATH": tmp}
        return subprocess.run([exe, str(ROOT / "pyproject.toml"), "--no-cache", "--no-logo"], cwd=tmp, env=env,
                              capture_output=capture, text=True)


if __name__ == "__main__":
    sys.exit(run().returncode)
