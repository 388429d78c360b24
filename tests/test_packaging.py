"""The distribution owns one top-level import name, `alis_studio` (pyproject.toml's package-dir maps
the repository's trainer/, exporters/ and assets/ folders under it)."""
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds a wheel with pip

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "alis_studio", "trainer", "exporters", "assets")


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory) -> list[str]:
    """The file names inside a wheel built from a clean copy of the sources (no stale build/)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src, out = tmp / "src", tmp / "dist"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pt", "*.egg-info")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=ignore)
        else:
            shutil.copyfile(ROOT / name, src / name)
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                        "-q", "-w", str(out), str(src)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    (wheel,) = out.glob("alis_studio-*.whl")
    with zipfile.ZipFile(wheel) as z:
        return z.namelist()


def test_wheel_installs_one_top_level_package(wheel_names):
    top = {n.split("/")[0] for n in wheel_names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert top == {"alis_studio"}
    top_level_txt = [n for n in wheel_names if n.endswith(".dist-info/top_level.txt")]
    assert not top_level_txt or len(top_level_txt) == 1


def test_wheel_holds_the_mapped_packages_and_their_data(wheel_names):
    names = set(wheel_names)
    for path in ("alis_studio/assets/default.alis", "alis_studio/assets/__init__.py",
                 "alis_studio/exporters/web/index.html", "alis_studio/exporters/tiff.py",
                 "alis_studio/trainer/__init__.py", "alis_studio/trainer/model.py",
                 "alis_studio/engine/renderer.py", "alis_studio/gui/app.py"):
        assert path in names, path
    assert not any(n.endswith(".pt") for n in names)  # the training checkpoint stays in the repository


def test_every_source_package_is_in_the_wheel(wheel_names):
    """pyproject.toml lists the packages by hand: a new sub-package must not be left out."""
    layout = {"alis_studio": "alis_studio", "trainer": "alis_studio/trainer",
              "exporters": "alis_studio/exporters", "assets": "alis_studio/assets"}
    names = set(wheel_names)
    for folder, installed in layout.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            if "__pycache__" in init.parts:
                continue
            rel = init.relative_to(ROOT / folder).as_posix()
            assert f"{installed}/{rel}" in names, f"{folder}/{rel}: add its package to pyproject.toml"
