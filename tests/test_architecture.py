"""The arrows of DESIGN.md section 2, enforced by import-linter contracts in pyproject.toml."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "lint_imports.py")], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 broken" in r.stdout


def test_app_runtime_path_does_not_import_torch():
    code = ("import sys, alis_studio.cli.main, alis_studio.engine, alis_studio.cli.render, alis_studio.exporters.images;"
            "alis_studio.cli.main.build_parser(); print('torch' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"


def test_video_and_deep_zoom_libraries_load_only_when_used():
    """PyAV and libvips cost start-up time: the CLI, the export dialog and the jobs import them lazily."""
    code = ("import sys, alis_studio.cli.main, alis_studio.jobs.export, alis_studio.jobs.video, alis_studio.exporters.deepzoom;"
            "import alis_studio.gui.export_dialog; alis_studio.cli.main.build_parser();"
            "print(sorted(m for m in ('av', 'pyvips') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"
