"""The camera with the real widgets: the views follow it and move it (never each other's widgets),
and the session saves it."""
from __future__ import annotations

import json
import math

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QWheelEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from test_gui_support import make_window, wait_complete  # noqa: E402


def recording(camera) -> list:
    calls = []
    camera.subscribe(lambda c: calls.append(c.to_dict()))
    return calls


def test_a_minimap_click_moves_the_camera_and_the_viewport_follows(qtbot, window):
    cam, v, m = window.camera, window.viewport, window.minimap
    assert v.camera is cam and m.camera is cam and window.ruler.camera is cam and window.timeline.camera is cam
    assert not any(hasattr(w, "view") for w in (m, window.ruler, window.timeline))  # no viewport to poke
    calls = recording(cam)
    target = m.to_model_x(m.width() - 30)
    qtbot.mouseClick(m, Qt.MouseButton.LeftButton, pos=QPoint(m.width() - 30, m.height() // 2))
    assert len(calls) == 1 and cam.center_x() == pytest.approx(target, abs=1)
    # the view has no copy of the camera's state and no forwarding methods to it (issue 30 item 4)
    assert not any(hasattr(v, n) for n in ("x0", "scale", "set_view", "center_on", "view_state", "fit_height"))
    assert v.patch_range() == cam.patch_range(window.bundle.tile_width)
    wait_complete(qtbot, v)  # the viewport asked for (and got) what the camera now shows
    assert window.ruler.text().startswith(f"x {math.floor(cam.center_x()):,} px")


def test_a_drag_in_the_viewport_moves_the_camera_and_the_strip_and_ruler_follow(qtbot, window):
    cam, v, m, r = window.camera, window.viewport, window.minimap, window.ruler
    v.inertia.enabled = False
    cam.set(x0=0.0, scale=1.0, fit=False)
    calls = recording(cam)
    start = QPoint(v.width() // 2, v.height() // 2)
    qtbot.mousePress(v, Qt.MouseButton.LeftButton, pos=start)
    for k in range(1, 5):
        qtbot.mouseMove(v, start + QPoint(-30 * k, 0))
    qtbot.mouseRelease(v, Qt.MouseButton.LeftButton, pos=start + QPoint(-120, 0))
    assert cam.x0 == pytest.approx(120.0) and len(calls) == 4  # one notification per mouse move
    assert m.x0 == pytest.approx(cam.center_x() - m.span() / 2)  # the strip is centred on the camera
    assert m.view_window().left() == pytest.approx((cam.x0 - m.x0) * m.scale)
    assert r.text().startswith(f"x {math.floor(cam.center_x()):,} px") and "zoom 100%" in r.text()
    qtbot.keyClick(v, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)  # fit height goes to the camera
    assert cam.fit and cam.scale == pytest.approx(v.height() / window.bundle.height)
    assert f"zoom {cam.scale:.0%}" in r.text()


def test_the_timeline_wheel_moves_the_camera(qtbot, window):
    cam, tl = window.camera, window.timeline
    cam.set(scale=1.0, fit=False)
    x0 = cam.x0
    pos = QPointF(tl.width() / 2, tl.height() / 2)
    ev = QWheelEvent(pos, tl.mapToGlobal(pos), QPoint(0, 0), QPoint(0, -120), Qt.MouseButton.NoButton,
                     Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(tl, ev)
    assert cam.x0 == pytest.approx(x0 + window.bundle.interval_width)


def test_a_saved_session_reopens_with_the_same_camera(qtbot, tiny_bundle, settings, tmp_path):
    a = make_window(qtbot, tiny_bundle, settings)
    v = a.viewport
    v.inertia.enabled = False
    start = QPoint(v.width() // 2, v.height() // 2)
    qtbot.mousePress(v, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(v, start + QPoint(-77, 5))
    qtbot.mouseRelease(v, Qt.MouseButton.LeftButton, pos=start + QPoint(-77, 5))
    a.acts["zoom_in"].trigger()
    assert not a.camera.fit and a.stack.count() == 0  # camera moves are not undo steps
    path = tmp_path / "camera.json"
    assert a.files._write_session(str(path))
    saved = json.loads(path.read_text())["view"]
    assert saved == a.camera.to_dict()  # the file's "view" is the camera, no sync step
    assert "view" not in a.scene.to_dict() and not hasattr(a.scene, "view")  # the scene keeps no copy of it

    b = make_window(qtbot, tiny_bundle, settings)
    assert b.camera.to_dict() != saved
    assert b.files.open_session(str(path))
    assert b.camera.to_dict() == saved and b.viewport.camera.to_dict() == saved
    assert b.minimap.x0 == pytest.approx(b.camera.center_x() - b.minimap.span() / 2)
    assert b.stack.count() == 0
