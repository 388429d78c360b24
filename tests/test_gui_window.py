"""The window and its views as a new user meets them (issue 31, items 5 to 8 and 10): the first view,
a window that fits the screen, docks that come to the front, zoom limits that still pan, and one
number for one thing everywhere."""
from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QPoint, QSettings, Qt  # noqa: E402
from test_gui_support import make_window, settings, wait_complete, window  # noqa: E402,F401

from alis_studio.engine.camera import CRISP_MAX  # noqa: E402


def drag(qtbot, widget, start: QPoint, dx: int, dy: int, steps: int = 4):
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=start)
    for k in range(1, steps + 1):
        qtbot.mouseMove(widget, start + QPoint(round(dx * k / steps), round(dy * k / steps)))
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=start + QPoint(dx, dy))


# ---------------------------------------------------------------------- 5: the first view
def test_new_session_opens_at_the_crisp_first_view(qtbot, tiny_bundle, settings):
    """New Session (and any session without a "view") opened at Fit Height (blurry, 362% on the
    bundled model): Camera.restore({}) dropped the 2x cap."""
    w = make_window(qtbot, tiny_bundle, settings, size=(780, 600))
    cam = w.camera
    assert cam.fit_scale() > CRISP_MAX  # a window where Fit Height would magnify more than 2x
    first = cam.to_dict()
    cam.set(x0=5000.0, scale=1 / 8, fit=False)
    w.acts["new_session"].trigger()
    assert cam.fit and cam.fit_cap == CRISP_MAX and cam.scale == pytest.approx(CRISP_MAX)
    assert cam.to_dict() == first


def test_home_and_the_first_view_agree(qtbot, window):
    """Home centred the origin while the first view put it at the left edge: both centre it now."""
    cam = window.camera
    assert cam.center_x() == pytest.approx(0.0)
    first = cam.to_dict()
    cam.set(x0=777.0)
    window.acts["origin"].trigger()
    assert cam.to_dict() == first


# ---------------------------------------------------------------------- 6: a window that fits
def _new_window(qtbot, settings):
    from alis_studio.gui.main_window import MainWindow

    w = MainWindow(settings, device="cpu")
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


# ---------------------------------------------------------------------- 7: docks come to the front
# ---------------------------------------------------------------------- 8: zoom limits
# ---------------------------------------------------------------------- 10: one number everywhere
