"""PyInstaller: find alis_studio.trainer, .exporters and .assets in the repository's top-level folders.

pyproject.toml installs trainer/, exporters/ and assets/ as sub-packages of alis_studio (setuptools'
package-dir). PyInstaller's module graph searches a package's folder only, so it is told that
alis_studio's sub-packages may also live in the repository root (a source checkout or an editable
install; a regular install has them inside alis_studio/ already). Only these three names are
imported from there: the spec excludes alis_studio.trainer.
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def pre_safe_import_module(api):
    if (ROOT / "alis_studio").is_dir() and (ROOT / "exporters").is_dir():
        api.append_package_path(str(ROOT))
