"""Helpers shared by the GUI tests (pytest-qt, offscreen), imported by name. No tests here; the
`settings` and `window` fixtures are conftest's."""
from __future__ import annotations

import dataclasses
import threading
import time

import numpy as np
import pytest

pytest.importorskip("PySide6")


def make_window(qtbot, bundle, settings, size=(640, 360)):
    from alis_studio.gui.main_window import MainWindow

    w = MainWindow(settings, device="cpu")
    qtbot.addWidget(w)
    w.resize(*size)
    w.show()
    qtbot.waitExposed(w)
    w.install_bundle(bundle)
    wait_complete(qtbot, w.viewport)
    return w


def wait_complete(qtbot, view, timeout=20000):
    """Until every visible patch is rendered and the view has been repainted with it."""
    qtbot.waitUntil(view.is_complete, timeout=timeout)
    qtbot.waitUntil(lambda: view.pending() == 0, timeout=timeout)
    view.repaint()


def grab(widget) -> np.ndarray:
    from alis_studio.gui.images import to_numpy

    return to_numpy(widget.grab().toImage())


def state(scene) -> dict:
    """The scene's state (what undo must restore exactly; the camera is not part of it)."""
    return scene.to_dict()


class SlowSession:
    """A test double for the synthesis session: sleeps inside each call (on the renderer's worker)
    and records which thread called it; like ORT, a call whose RunOptions.terminate is set stops."""

    def __init__(self, inner, delay: float, levels=None):
        self.inner, self.delay, self.slow_levels = inner, delay, levels  # levels: the slow ones (None: all)
        self.threads: list[str] = []

    def _wait(self, level: int, run_options) -> None:
        self.threads.append(threading.current_thread().name)
        slow = self.slow_levels is None or level in self.slow_levels
        end = time.monotonic() + (self.delay if slow else 0.0)
        while time.monotonic() < end:
            if run_options is not None and run_options.terminate:
                raise RuntimeError("Exiting due to terminate flag being set to true.")
            time.sleep(min(0.01, max(0.0, end - time.monotonic())))

    def run(self, names, feeds, run_options=None, **level):
        self._wait(level.get("level", 0), run_options)
        return self.inner.run(names, feeds, run_options, **level)

    def run_from(self, feeds, level, start=None, run_options=None, carry=False):
        self._wait(level, run_options)
        return self.inner.run_from(feeds, level, start, run_options, carry)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def slow_bundle(bundle, delay: float, levels=None):
    return dataclasses.replace(bundle, synthesis=SlowSession(bundle.synthesis, delay, levels))
