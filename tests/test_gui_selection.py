"""The selection with the real widgets (issue 30 item 1): one Qt-free model owned by the window; the
timeline writes it, the other views follow it, the session saves it and a model load keeps it."""
from __future__ import annotations

import json

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402
from test_gui_support import make_window  # noqa: E402


def test_a_timeline_click_writes_the_selection_and_the_views_follow_it(qtbot, window):
    sel, tl, d = window.selection, window.timeline, window.bundle.interval_width
    assert tl.selection is sel and window.docks.seeds.selection is sel and window.docks.directions.selection is sel
    heard = []
    sel.subscribe(lambda s: heard.append(s.anchor))
    target = sel.anchor + 1
    qtbot.mouseClick(tl, Qt.MouseButton.LeftButton, pos=tl.slot_rect(target).center())
    assert sel.anchor == target and heard == [target]
    assert window.viewport.marker_x == target * d  # the viewport's marker follows the model
    sel.select(target - 3)  # the model moved by anyone: the views follow, nothing is an undo step
    assert window.viewport.marker_x == (target - 3) * d and window.stack.count() == 0
    window.docks.seeds.refresh()
    assert window.docks.seeds.anchor == target - 3
    window.docks.directions.mode.setCurrentIndex(window.docks.directions.mode.findData("anchor"))
    assert window.docks.directions.target() == target - 3


def test_the_selection_survives_a_model_load(qtbot, window, tiny_bundle):
    window.selection.select(7)
    window.install_bundle(tiny_bundle)  # the same model again: the workspace is rebuilt
    assert window.selection.anchor == 7 and window.timeline.selection is window.selection
    assert window.viewport.marker_x == 7 * tiny_bundle.interval_width


def test_the_session_saves_the_selection_and_an_old_session_selects_the_centre(qtbot, tiny_bundle, settings,
                                                                            tmp_path):
    a = make_window(qtbot, tiny_bundle, settings)
    a.selection.select(-5)
    path = tmp_path / "s.json"
    assert a.files._write_session(str(path))
    doc = json.loads(path.read_text())
    assert doc["selected"] == -5
    b = make_window(qtbot, tiny_bundle, settings)
    assert b.selection.anchor != -5
    assert b.files.open_session(str(path)) and b.selection.anchor == -5
    assert b.viewport.marker_x == -5 * tiny_bundle.interval_width
    del doc["selected"]  # a session from before the key: the anchor at the centre of its view
    path.write_text(json.dumps(doc))
    assert b.files.open_session(str(path))
    assert b.selection.anchor == round(b.camera.center_x() / tiny_bundle.interval_width)
