"""The anchor timeline, the scene controls and undo/redo, driven through the real widgets and actions."""
from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from test_gui_support import state, wait_complete  # noqa: E402

from alis_studio.engine.scene import AnchorSpec  # noqa: E402
from alis_studio.gui import dialogs  # noqa: E402


def select(window, i: int):
    window.selection.select(i)
    assert window.selection.anchor == i


def check_undo(window, before: dict):
    """The action changed the scene; undo restores it exactly; redo brings the edit back."""
    after = state(window.scene)
    assert after != before
    window.stack.undo()
    assert state(window.scene) == before
    window.stack.redo()
    assert state(window.scene) == after


ANCHOR_ACTIONS = ["pin", "resample", "set_seed", "insert_before", "insert_after", "delete", "move_left",
                  "move_right", "paste_latent", "resample_unpinned", "connect", "random_seed", "loop", "psi_up"]


@pytest.mark.parametrize("name", ANCHOR_ACTIONS)
def test_each_action_edits_the_scene_and_undo_restores_it_exactly(window, monkeypatch, name):
    monkeypatch.setattr(dialogs, "ask_seed", lambda *a: 12345)
    monkeypatch.setattr(dialogs, "ask_connect", lambda *a: (11, 22, 3))
    select(window, 1)
    if name == "paste_latent":
        window.acts["copy_latent"].trigger()
        select(window, 2)
    before = state(window.scene)
    spec = window.scene.anchor(1)
    window.acts[name].trigger()
    check_undo(window, before)
    assert window.acts["undo"].text().startswith("Undo ")  # the Edit menu names the action
    s = window.scene
    expect = {
        "pin": lambda: s.anchor(1).pinned,
        "set_seed": lambda: s.anchor(1).seed == 12345,
        "insert_before": lambda: s.anchor(2) == spec and window.selection.anchor == 1,
        "insert_after": lambda: s.anchor(1) == spec and window.selection.anchor == 2,
        "delete": lambda: s.anchor(1) != spec,
        "move_left": lambda: s.anchor(0) == spec and window.selection.anchor == 0,
        "move_right": lambda: s.anchor(2) == spec and window.selection.anchor == 2,
        "paste_latent": lambda: s.anchor(2).seed == spec.seed,
        "connect": lambda: s.anchor(1) == AnchorSpec(seed=11, pinned=True) and s.anchor(4).seed == 22,
        "loop": lambda: s.loop_period == 8,
        "psi_up": lambda: s.psi == pytest.approx(0.75),
    }.get(name)
    assert expect is None or expect()


def test_a_pinned_anchor_keeps_its_scene_when_the_rest_is_resampled(window):
    select(window, 2)
    window.acts["pin"].trigger()
    keep, others = window.scene.anchor(2), [window.scene.anchor(i) for i in (0, 1, 3)]
    window.acts["resample_unpinned"].trigger()
    assert window.scene.anchor(2) == keep
    assert all(window.scene.anchor(i) != o for i, o in zip((0, 1, 3), others))


def test_a_pin_keeps_an_anchor_through_resample_unpinned_only_and_everyone_says_so(window):
    """ "Pin" read as "keep" (the action's tip: "A pinned anchor keeps its scene") while R and Paste
    changed a pinned anchor. Decided: a pin keeps the anchor through Resample Unpinned only; R, Set
    Seed and Paste still change it (a deliberate edit of that anchor) and it stays pinned. The
    action's tip, the timeline's tooltip and the README say so."""
    from pathlib import Path

    from PySide6.QtWidgets import QApplication

    from alis_studio.gui.timeline import describe

    select(window, 2)
    window.acts["pin"].trigger()
    seed = window.scene.anchor(2).seed
    window.acts["resample"].trigger()
    assert window.scene.anchor(2).seed != seed and window.scene.anchor(2).pinned
    QApplication.clipboard().setText("99")
    window.acts["paste_latent"].trigger()
    assert window.scene.anchor(2).seed == 99 and window.scene.anchor(2).pinned
    window.acts["resample_unpinned"].trigger()
    assert window.scene.anchor(2).seed == 99
    said = "through Resample Unpinned"
    assert said in window.acts["pin"].statusTip() and said in describe(window.scene, 2)
    readme = " ".join((Path(__file__).parents[1] / "README.md").read_text().split())
    assert "A pin keeps an anchor through **Resample Unpinned** only" in readme


def test_drag_a_thumbnail_onto_another_slot_moves_the_anchor(qtbot, window):
    tl = window.timeline
    window.viewport.camera.set(scale=1.0, fit=False)
    window.viewport.camera.center_on(2 * 64)
    src, dst = 1, 3
    spec, before = window.scene.anchor(src), state(window.scene)
    a, b = tl.slot_rect(src).center(), tl.slot_rect(dst).center()
    assert tl.rect().contains(a) and tl.rect().contains(b)
    qtbot.mousePress(tl, Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseMove(tl, a + QPoint(20, 0))
    qtbot.mouseMove(tl, b)
    qtbot.mouseRelease(tl, Qt.MouseButton.LeftButton, pos=b)
    assert window.scene.anchor(dst) == spec and window.selection.anchor == dst
    assert window.stack.undoText() == f"Move anchor {src} to {dst}"
    check_undo(window, before)


def test_dragging_a_thumbnail_to_an_edge_scrolls_to_far_slots(qtbot, window):
    tl = window.timeline
    window.viewport.camera.set(scale=1.0, fit=False)
    window.viewport.camera.center_on(2 * 64)
    src, spec = 1, window.scene.anchor(1)
    last_visible = tl.anchor_at(tl.width() - 1)
    a, edge = tl.slot_rect(src).center(), QPoint(tl.width() - 4, tl.slot_rect(src).center().y())
    qtbot.mousePress(tl, Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseMove(tl, a + QPoint(20, 0))
    qtbot.mouseMove(tl, edge)  # then rest there: the timeline keeps scrolling right
    qtbot.waitUntil(lambda: tl._drag_target >= last_visible + 3, timeout=10000)
    target = tl._drag_target
    qtbot.mouseRelease(tl, Qt.MouseButton.LeftButton, pos=edge)
    assert not tl._scroll_timer.isActive()
    assert target > last_visible and window.scene.anchor(target) == spec and window.selection.anchor == target
    x0 = window.viewport.camera.x0
    qtbot.wait(100)
    assert window.viewport.camera.x0 == x0  # released: the scrolling stopped


def test_click_selects_and_thumbnails_show_rendered_patches(qtbot, window):
    tl = window.timeline
    window.viewport.camera.set(scale=1.0, fit=False)
    qtbot.mouseClick(tl, Qt.MouseButton.LeftButton, pos=tl.slot_rect(2).center())
    assert window.selection.anchor == 2
    qtbot.waitUntil(lambda: all(k in window.renderer.cache for k in tl.thumb_keys(2)), timeout=10000)
    left, right = tl.thumb_keys(2)
    assert right == window.renderer.key(window.scene, 2 * 4)  # the view's own patch at the anchor


def test_psi_slider_drag_is_one_undo_step(window):
    slider = window.controls.psi_slider
    slider.setSliderDown(True)
    slider.sliderPressed.emit()
    for v in (75, 80, 90, 100):
        slider.setValue(v)
    slider.setSliderDown(False)
    assert window.scene.psi == 1.0
    assert window.stack.count() == 1
    assert window.stack.undoText() == "Truncation ψ 0.70 → 1.00"
    window.stack.undo()
    assert window.scene.psi == 0.7 and slider.value() == 70
    window.stack.redo()
    slider.setSliderDown(True)
    slider.sliderPressed.emit()
    slider.setValue(50)  # a second drag is a second step
    assert window.stack.count() == 2


def test_seed_field_and_loop_controls_are_undoable(qtbot, window):
    c = window.controls
    c.seed_edit.setText("4242")
    c.seed_edit.editingFinished.emit()
    assert window.scene.seed == 4242
    c.loop_check.setChecked(True)
    assert window.scene.loop_period == 8
    c.loop_spin.setValue(5)
    assert window.scene.loop_period == 5
    window.stack.undo()
    window.stack.undo()
    window.stack.undo()
    assert window.scene.seed == 0 and window.scene.loop_period is None
    assert c.seed_edit.text() == "0" and not c.loop_check.isChecked()


def test_ctrl_z_and_ctrl_shift_z(qtbot, window):
    window.activateWindow()
    window.viewport.setFocus()
    before = state(window.scene)
    qtbot.keyClick(window.viewport, Qt.Key.Key_P)  # pin the selected anchor
    edited = state(window.scene)
    assert edited != before
    qtbot.keyClick(window.viewport, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert state(window.scene) == before
    qtbot.keyClick(window.viewport, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert state(window.scene) == edited


def test_invalid_edit_reports_and_changes_nothing(window, monkeypatch):
    shown = []
    monkeypatch.setattr(dialogs, "error_box", lambda parent, title, msg: shown.append(msg))
    window.editor.set_loop(2)
    before, count = state(window.scene), window.stack.count()
    window.acts["delete"].trigger()  # a loop needs at least 2 anchors
    assert shown and "at least 2" in shown[0]
    assert state(window.scene) == before and window.stack.count() == count


def test_undo_does_not_move_the_camera(qtbot, window):
    window.acts["resample"].trigger()
    window.viewport.camera.set(x0=500.0)
    window.stack.undo()
    assert window.viewport.camera.x0 == 500.0
    wait_complete(qtbot, window.viewport)


def test_toolbar_fields_hand_the_keys_back(qtbot, window):
    """After typing a seed, Enter applies it and the view has the keys again (P pins); Escape
    reverts; with no pending edit in the field, Ctrl+Z undoes the scene, not the field's text."""
    c, v = window.controls, window.viewport
    window.activateWindow()
    c.seed_edit.setFocus()
    c.seed_edit.selectAll()
    qtbot.keyClicks(c.seed_edit, "123")
    qtbot.keyClick(c.seed_edit, Qt.Key.Key_Return)
    assert window.scene.seed == 123 and v.hasFocus()
    selected = window.selection.anchor
    qtbot.keyClick(v, Qt.Key.Key_P)
    assert window.scene.anchor(selected).pinned
    c.seed_edit.setFocus()
    qtbot.keyClicks(c.seed_edit, "9")
    qtbot.keyClick(c.seed_edit, Qt.Key.Key_Escape)
    assert window.scene.seed == 123 and c.seed_edit.text() == "123" and v.hasFocus()
    c.seed_edit.setFocus()  # focused, nothing pending: the scene's shortcuts work
    qtbot.keyClick(c.seed_edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not window.scene.anchor(selected).pinned  # the pin was undone
    qtbot.keyClick(c.seed_edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.scene.seed == 0 and c.seed_edit.text() == "0"


@pytest.mark.parametrize("n,period,want", [(4, 4, 2), (12, 8, 4), (3, 8, 3)])
def test_connect_two_scenes_in_a_loop_keeps_both(qtbot, window, monkeypatch, n, period, want):
    """Connect with the default 4 intervals in a loop of 4 put B on A's own anchor and lost A:
    in a loop the distance is cut to at most half the period, with a message; then both show."""
    from alis_studio.gui import dialogs

    window.scene.set_loop_period(period)
    window.selection.select(1)
    monkeypatch.setattr(dialogs, "ask_connect", lambda *a: (11, 22, n))
    window.anchors.connect_scenes()
    s, v, d = window.scene, window.viewport, window.bundle.interval_width
    assert s.anchor(1).seed == 11 and s.anchor(1 + want).seed == 22 and s.anchor(1).pinned
    assert ("intervals apart" in window.statusBar().currentMessage()) == (want != n)
    assert v.camera.x0 <= 1 * d and (1 + want) * d <= v.camera.to_model_x(v.width())  # both scenes on screen


def test_the_selected_anchor_is_marked_in_the_view(qtbot, window):
    from test_gui_support import grab

    v, d = window.viewport, window.bundle.interval_width
    v.camera.set(scale=1.0, fit=False)
    v.camera.center_on(2 * d)
    window.selection.select(2)
    assert v.marker_x == 2 * d
    wait_complete(qtbot, v)
    img = grab(v)
    sx, top = round(v.camera.to_screen_x(2 * d)), max(0, round(v.camera.top()))
    assert tuple(img[top + 1, sx][:3]) == (38, 140, 220)  # the accent notch at the anchor's column
    window.selection.select(3)
    assert v.marker_x == 3 * d


def test_ruler_reduces_x_to_one_loop_period(window):
    d = window.bundle.interval_width
    window.scene.set_loop_period(4)
    window.viewport.camera.set(scale=1.0, fit=False)
    window.viewport.camera.center_on(401 * d + 10)  # 100 periods and a bit on
    assert window.ruler.text().startswith(f"x {d + 10:,} px   anchor {(d + 10) / d:,.2f}")
    assert window.ruler.text().endswith(f"loop {(d + 10) / (4 * d) * 360:.0f}°")


def _contrast(a, b) -> float:
    def lum(c):
        ch = [v / 255 for v in (c.red(), c.green(), c.blue())]
        ch = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in ch]
        return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2]
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_seeds_use_the_room_between_slots_and_small_text_is_readable(window):
    """Seeds were cut ("1877493...") although the slots had room; the seed text was below 4.5:1."""
    from PySide6.QtGui import QFontMetrics

    from alis_studio.gui import timeline as tl_module

    tl = window.timeline
    window.viewport.camera.set(scale=2.0, fit=False)  # slots MAX_SPACING apart
    fm = QFontMetrics(tl.font())
    seed = "1877493123"
    assert tl.label_width() > tl.thumb_w + 10
    assert fm.elidedText(seed, Qt.TextElideMode.ElideRight, tl.label_width()) == seed
    for fg in (tl_module.TEXT, tl_module.SEED_TEXT, tl_module.PIN, tl_module.ACCENT_TEXT):  # the text colours
        assert _contrast(fg, tl_module.BG) >= 4.5, fg.name()


def test_ruler_ties_each_thumbnail_to_its_place_in_the_view(qtbot, window):
    """At the overview the ruler showed #-40..#35 over a timeline of #-10..#8 with nothing to say
    which was which: where their spacings differ, a line runs from each anchor's tick to its slot."""
    r, tl, v, d = window.ruler, window.timeline, window.viewport, window.bundle.interval_width
    v.camera.set(scale=1 / 8, fit=False)
    lines = r.connectors()
    i0, i1 = tl.anchor_range()
    assert [i for i, _, _ in lines] == list(range(i0, i1 + 1))
    for i, top, bottom in lines:
        assert top == pytest.approx(v.camera.to_screen_x(i * d)) and bottom == pytest.approx(tl.anchor_x(i))
    v.camera.set(scale=tl.spacing_scale(), fit=False)  # the same spacing: ticks are above their slots
    assert r.connectors() == []
    qtbot.wait(10)
    r.repaint()


def test_loop_field_hands_the_keys_back_too(qtbot, window):
    c, v = window.controls, window.viewport
    window.activateWindow()
    c.loop_check.setChecked(True)
    c.loop_spin.setFocus()
    c.loop_spin.lineEdit().selectAll()
    qtbot.keyClicks(c.loop_spin, "6")
    qtbot.keyClick(c.loop_spin, Qt.Key.Key_Return)
    assert window.scene.loop_period == 6 and v.hasFocus()
    c.loop_spin.setFocus()
    qtbot.keyClick(c.loop_spin, Qt.Key.Key_P)  # nothing pending: the scene's shortcut, not the field
    assert window.scene.anchor(window.selection.anchor).pinned
    qtbot.keyClick(c.loop_spin, Qt.Key.Key_Escape)
    assert v.hasFocus()
