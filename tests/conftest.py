"""Shared fixtures: the committed tiny model (tests/data/tiny.alis), so the engine, GUI and exporter
tests run without torch; the trainer's tests get its torch generator as `tiny_generator`."""
from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TINY_ALIS = Path(__file__).parent / "data" / "tiny.alis"  # scripts/make_tiny_fixture.py writes it

# Without torch (the app's own install), the trainer's test modules, which import torch at the top,
# are left out instead of failing to collect; every other test runs on the committed model.
HAVE_TORCH = importlib.util.find_spec("torch") is not None
collect_ignore_glob = [] if HAVE_TORCH else ["test_trainer_*.py", "test_model.py", "test_official_import.py"]


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory):
    """A copy of tests/data/tiny.alis: the `tiny` config (version 3, levels of detail) with random
    weights (seed 0), in tiles of 16 px (4 per interval, so the app's multi-tile paths run). A copy,
    so a test that writes beside its model or over it cannot touch the committed file."""
    return Path(shutil.copy2(TINY_ALIS, tmp_path_factory.mktemp("model") / "tiny.alis"))


@pytest.fixture(scope="session")
def tiny_generator():
    """The torch generator behind tiny_model_path (same seed, same weights: test_tiny_fixture.py)."""
    pytest.importorskip("torch")
    from alis_studio.trainer.export import random_generator

    return random_generator("tiny", seed=0)


@pytest.fixture(scope="session")
def tiny_bundle(tiny_model_path):
    from alis_studio.engine.bundle import load_bundle

    return load_bundle(tiny_model_path, device="cpu")


@pytest.fixture
def tiny_renderer(tiny_bundle):
    from alis_studio.engine.renderer import Renderer

    r = Renderer(tiny_bundle, workers=1, batch_size=4, cache_bytes=64 * 2 ** 20)
    yield r
    r.close()


@pytest.fixture(scope="session")
def directions_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _private_cache(monkeypatch, directions_cache):
    """Latent directions are cached per model in the user's cache folder: tests use their own."""
    monkeypatch.setenv("ALIS_STUDIO_CACHE", str(directions_cache))


@pytest.fixture(autouse=True)
def save_prompts(monkeypatch):
    """Windows closed at teardown must not sit in a modal "save changes?" box: answer "discard" and
    record each question. A test that wants another answer patches dialogs.ask_save_changes again."""
    asked: list[str] = []
    try:
        from alis_studio.gui import dialogs
    except ImportError:  # no Qt: no windows either
        return asked
    monkeypatch.setattr(dialogs, "ask_save_changes", lambda parent, before: asked.append(before) or "discard")
    return asked


@pytest.fixture
def settings(tmp_path):
    """Qt settings in a temp file, so tests never touch the user's."""
    pytest.importorskip("PySide6")
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, tiny_bundle, settings):
    """The main window on the tiny model, its first view rendered (test_gui_support.make_window)."""
    from test_gui_support import make_window

    return make_window(qtbot, tiny_bundle, settings)


@pytest.fixture(scope="session")
def tiny_f1_generator():
    """A format-1 `tiny` (patches alone, zero-padded): the bundles made before format 2."""
    pytest.importorskip("torch")
    import dataclasses

    from alis_studio.trainer.export import random_generator
    from alis_studio.trainer.model import CONFIGS

    return random_generator(dataclasses.replace(CONFIGS["tiny"], name="tiny-f1", format=1), seed=0)


@pytest.fixture(scope="session")
def tiny_f1_bundle(tiny_f1_generator, tmp_path_factory):
    from alis_studio.engine.bundle import load_bundle
    from alis_studio.trainer.export import export_bundle

    return load_bundle(export_bundle(tiny_f1_generator, tmp_path_factory.mktemp("model") / "tiny-f1.alis"),
                       device="cpu")
