"""Focus and limits in the small dialogs and fields (issue 31, item 9): the keys come back to the
view, a dialog starts where typing makes sense, and a refused value says why."""
from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt, QTimer  # noqa: E402
from PySide6.QtGui import QFontMetrics  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel, QLineEdit, QSpinBox  # noqa: E402

from alis_studio.engine.session_schema import SEED_LIMIT  # noqa: E402
from alis_studio.gui import dialogs  # noqa: E402


def in_dialog(check):
    """Run `check(dialog)` on the modal dialog about to open, then close it (Cancel)."""
    seen = {}

    def go():
        dlg = QApplication.activeModalWidget()
        try:
            check(dlg, seen)
        finally:
            dlg.reject()
    QTimer.singleShot(50, go)
    return seen


def test_escape_in_the_seed_browser_hands_the_keys_back(qtbot, window):
    """Escape left the focus in the browser's seed field, where P, R and the arrows went unheard."""
    window.activateWindow()
    window.acts["seeds"].trigger()
    browser = window.docks.panel("seeds")
    qtbot.waitUntil(browser.seed_edit.isVisible)
    browser.seed_edit.setFocus()
    qtbot.keyClicks(browser.seed_edit, "12")
    qtbot.keyClick(browser.seed_edit, Qt.Key.Key_Escape)
    assert browser.seed_edit.text() == "" and window.viewport.hasFocus()
    browser.seed_edit.setFocus()  # focused with nothing typed: the window's shortcuts win
    qtbot.keyClick(browser.seed_edit, Qt.Key.Key_P)
    assert window.scene.anchor(window.selection.anchor).pinned
    x0 = window.camera.x0
    qtbot.keyClick(browser.seed_edit, Qt.Key.Key_Right)
    assert window.camera.x0 > x0
    qtbot.keyClicks(browser.seed_edit, "4242")
    qtbot.keyClick(browser.seed_edit, Qt.Key.Key_Return)
    assert window.scene.anchor(window.selection.anchor).seed == 4242 and window.viewport.hasFocus()


def test_the_seed_browser_says_which_seeds_exist(qtbot, window):
    window.acts["seeds"].trigger()
    browser = window.docks.panel("seeds")
    before = window.scene.anchor(window.selection.anchor).seed
    browser.seed_edit.setText(str(SEED_LIMIT))
    browser.seed_edit.returnPressed.emit()
    assert window.scene.anchor(window.selection.anchor).seed == before
    assert f"0 to {SEED_LIMIT - 1}" in browser.hint.text() and browser.hint.isVisibleTo(browser)


def test_connect_two_scenes_starts_in_the_empty_field(qtbot):
    """The dialog opened with the focus on seed A, prefilled: typing B's seed appended to A's."""
    def check(dlg, seen):
        a, b = dlg.findChildren(QLineEdit)[:2]
        seen["a"], seen["focus_b"] = a.text(), QApplication.focusWidget() is b
    seen = in_dialog(check)
    assert dialogs.ask_connect(None, 0, 7) is None
    assert seen == {"a": "7", "focus_b": True}

    def check_empty(dlg, seen):
        seen["focus_a"] = QApplication.focusWidget() is dlg.findChildren(QLineEdit)[0]
    seen = in_dialog(check_empty)
    dialogs.ask_connect(None, 0, None)  # anchor 0 has a custom w: no seed to prefill
    assert seen == {"focus_a": True}


def test_in_a_loop_connect_offers_only_the_distances_it_keeps(qtbot):
    """In a loop of 8, Connect accepted 10 intervals, then clamped them to 4 afterwards."""
    def check(dlg, seen):
        spin = dlg.findChild(QSpinBox)
        seen["max"], seen["value"] = spin.maximum(), spin.value()
        seen["says"] = any("loop of 8" in w.text() for w in dlg.findChildren(QLabel))
    seen = in_dialog(check)
    dialogs.ask_connect(None, 0, 7, 4, 8)
    assert seen == {"max": 4, "value": 4, "says": True}


def test_set_seed_says_the_range_and_keeps_its_title_whole(qtbot):
    """Set Seed refused 4294967296 silently (OK did nothing) and its title was cut ("Seed ... hor #0")."""
    title = "Seed of anchor #0"

    def check(dlg, seen):
        edit = dlg.findChild(QLineEdit)
        ok = dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
        edit.setText(str(SEED_LIMIT))
        seen["refused"] = not ok.isEnabled()
        seen["says"] = any(f"0 to {SEED_LIMIT - 1}" in w.text() and w.isVisibleTo(dlg)
                           for w in dlg.findChildren(QLabel))
        edit.setText(str(SEED_LIMIT - 1))
        seen["accepted"] = ok.isEnabled()
        seen["title"] = any(w.text().startswith(title) for w in dlg.findChildren(QLabel))
        seen["wide"] = dlg.width() >= QFontMetrics(dlg.font()).horizontalAdvance(title) + 120
    seen = in_dialog(check)
    assert dialogs.ask_seed(None, title, 3) is None
    assert seen == {"refused": True, "says": True, "accepted": True, "title": True, "wide": True}
