"""Exploring like a power user, through the real widgets: the seed browser, latent directions, the
overview strip, the performance panel, cursor coordinates and the crisp first view."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from test_gui_support import grab, make_window, state, wait_complete  # noqa: E402

from alis_studio.engine.panorama import render_strip  # noqa: E402
from alis_studio.engine.scene import load_session  # noqa: E402
from alis_studio.gui.viewport import CRISP_MAX  # noqa: E402


def open_dock(qtbot, window, name):
    window.acts[name].trigger()
    dock = window.docks.docks[name]
    qtbot.waitUntil(dock.isVisible)
    panel = window.docks.panel(name)
    if name == "seeds":
        qtbot.waitUntil(lambda: panel.grid.count() > 0 and not panel._dirty)
    return panel


# ---------------------------------------------------------------------- seed browser
def test_seed_browser_shows_candidates_and_a_click_takes_one(qtbot, window):
    window.selection.select(2)
    browser = open_dock(qtbot, window, "seeds")
    qtbot.waitUntil(lambda: browser.grid.count() == 12 and browser.is_complete(), timeout=20000)
    qtbot.wait(50)
    seeds = browser.seeds()
    assert [int(browser.grid.item(j).text()) for j in range(12)] == seeds
    assert not browser.grid.item(3).icon().isNull()
    before, shown = state(window.scene), browser.keys[3]
    rect = browser.grid.visualItemRect(browser.grid.item(3))
    qtbot.mouseClick(browser.grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.scene.anchor(2).seed == seeds[3]
    assert window.stack.undoText() == f"Set seed of anchor 2 to {seeds[3]}"
    # the thumbnail was the view's own tiles around anchor 2, already rendered
    d, P = window.bundle.interval_width, window.bundle.tile_width
    p0 = (2 * d - browser._half) // P
    assert shown == [window.renderer.key(window.scene, p) for p in range(p0, p0 + len(shown))]
    assert all(k in window.renderer.cache for k in shown)
    window.stack.undo()
    assert state(window.scene) == before


def test_seed_browser_pages_and_takes_a_typed_seed(qtbot, window):
    window.selection.select(1)
    browser = open_dock(qtbot, window, "seeds")
    first = browser.seeds()
    assert not browser.prev_button.isEnabled()
    qtbot.mouseClick(browser.next_button, Qt.MouseButton.LeftButton)
    assert browser.page == 1 and browser.page_label.text() == "page 2" and set(browser.seeds()).isdisjoint(first)
    qtbot.mouseClick(browser.prev_button, Qt.MouseButton.LeftButton)
    assert browser.seeds() == first  # paging back shows the same candidates
    browser.seed_edit.setFocus()
    qtbot.keyClicks(browser.seed_edit, "4242")
    qtbot.keyClick(browser.seed_edit, Qt.Key.Key_Return)
    assert window.scene.anchor(1).seed == 4242 and browser.seed_edit.text() == ""
    window.selection.select(3)
    qtbot.waitUntil(lambda: browser.anchor == 3)
    assert browser.title.text().startswith("Anchor #3")


def test_the_gui_thread_never_waits_while_the_browser_renders(qtbot, tiny_bundle, settings):
    import time

    from test_gui_support import slow_bundle

    bundle = slow_bundle(tiny_bundle, 0.05)
    w = make_window(qtbot, bundle, settings)
    browser = open_dock(qtbot, w, "seeds")
    qtbot.mouseClick(browser.next_button, Qt.MouseButton.LeftButton)  # unseen candidates: ~1 s of tiles
    times, busy = [], []
    for _ in range(20):
        t0 = time.perf_counter()
        w.viewport.repaint()
        browser.repaint()
        times.append(time.perf_counter() - t0)
        busy.append(w.renderer.busy())
        qtbot.wait(20)
    assert any(busy)  # the candidates were rendering meanwhile
    assert max(times) < 0.05, max(times)


# ---------------------------------------------------------------------- latent directions
def test_direction_sliders_edit_the_anchor_then_the_scene_undoably(qtbot, window, tmp_path):
    window.selection.select(1)
    panel = open_dock(qtbot, window, "directions")
    qtbot.waitUntil(lambda: "principal directions" in panel.status.text(), timeout=20000)
    assert len(panel.sliders) == 8 and panel.names[0].placeholderText() == "component 1"
    key = window.renderer.key(window.scene, 4)
    slider = panel.sliders[0]
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key.Key_PageUp)  # +0.5 standard deviations at anchor 1
    assert window.scene.anchor(1).edits == ((1, 0.5),) and panel.values[0].text() == "+0.50"
    assert window.renderer.key(window.scene, 4) != key  # the edit enters the cache key
    panel.mode.setCurrentIndex(1)  # whole scene
    assert panel.sliders[0].value() == 0
    slider.setSliderDown(True)  # one drag: one undo step
    for v in (40, 80, 120):
        slider.setValue(v)
    slider.setSliderDown(False)
    assert window.scene.scene_edits == ((1, 1.2),) and window.stack.undoText().endswith("+1.20")
    panel.names[1].setFocus()
    qtbot.keyClicks(panel.names[1], "sky")
    qtbot.keyClick(panel.names[1], Qt.Key.Key_Return)
    assert window.scene.direction_name(2) == "sky"
    wait_complete(qtbot, window.viewport)
    path = tmp_path / "s.json"
    assert window.files._write_session(str(path))
    loaded = load_session(path).scene
    assert state(loaded) == state(window.scene)
    assert json.loads(path.read_text())["directions"] == {"edits": {"1": 1.2}, "names": {"2": "sky"}}
    x0 = round(window.viewport.camera.x0)
    top = round(window.viewport.camera.top())
    h = round(window.bundle.height * window.viewport.camera.scale)
    shown = grab(window.viewport)[top:top + h]
    assert shown.shape[0] == h  # the edited panorama is what the view shows
    assert window.stack.count() == 3  # the key step, the drag, the rename
    for _ in range(2):
        window.stack.undo()
    assert window.scene.direction_name(2) == "component 2" and not window.scene.scene_edits
    assert window.scene.anchor(1).edits == ((1, 0.5),)
    qtbot.mouseClick(panel.reset_button, Qt.MouseButton.LeftButton)  # mode: whole scene, nothing to reset
    panel.mode.setCurrentIndex(0)
    qtbot.mouseClick(panel.reset_button, Qt.MouseButton.LeftButton)
    assert not window.scene.anchor(1).edits
    assert x0 == round(window.viewport.camera.x0)


def test_a_session_with_directions_reopens_with_the_same_pixels(qtbot, tiny_bundle, settings, tmp_path):
    a = make_window(qtbot, tiny_bundle, settings)
    a.editor.set_direction(2, -1.5, anchor=0)
    a.editor.set_direction(1, 1.0)
    a.selection.select(round(a.viewport.camera.center_x() / tiny_bundle.interval_width))  # as a reopened session selects
    wait_complete(qtbot, a.viewport)
    pixels = grab(a.viewport)
    path = tmp_path / "s.json"
    assert a.files._write_session(str(path))
    b = make_window(qtbot, tiny_bundle, settings)
    assert b.files.open_session(str(path))
    wait_complete(qtbot, b.viewport)
    assert state(b.scene) == state(a.scene) and np.array_equal(grab(b.viewport), pixels)


# ---------------------------------------------------------------------- overview strip
def test_overview_strip_marks_the_view_and_click_or_drag_navigates(qtbot, window):
    m = window.minimap
    assert m.isVisible() and m.height() >= 40  # fills its height, not a line of a few pixels
    assert m.span() > 2 * window.viewport.width() / window.viewport.camera.scale
    win = m.view_window()
    assert win.center().x() == pytest.approx(m.width() / 2, abs=1)
    target = m.to_model_x(m.width() - 20)
    qtbot.mouseClick(m, Qt.MouseButton.LeftButton, pos=QPoint(m.width() - 20, m.height() // 2))
    assert window.viewport.camera.center_x() == pytest.approx(target, abs=1)
    x_before = m.to_model_x(40)
    qtbot.mousePress(m, Qt.MouseButton.LeftButton, pos=QPoint(40, 10))
    qtbot.mouseMove(m, QPoint(60, 10))
    assert window.viewport.camera.center_x() == pytest.approx(x_before + 20 / m.scale, abs=1)  # the strip held still
    qtbot.mouseRelease(m, Qt.MouseButton.LeftButton, pos=QPoint(60, 10))
    qtbot.waitUntil(lambda: all(m._key(p) in window.renderer.cache for p in range(*m.patch_range())), timeout=20000)
    window.acts["overview"].trigger()
    assert not m.isVisible()
    window.acts["overview"].trigger()
    assert m.isVisible()


def test_overview_strip_shows_the_engines_pixels(qtbot, window, tiny_renderer):
    m = window.minimap
    qtbot.waitUntil(lambda: all(m._key(p) in window.renderer.cache for p in range(*m.patch_range())), timeout=20000)
    qtbot.wait(50)
    m.repaint()
    img, r = grab(m).astype(float), m.strip_rect()
    x0 = int(np.floor(m.x0))
    want = render_strip(tiny_renderer, window.scene, x0, int(m.span()) + 2).astype(float)
    win = m.view_window()
    for col in np.linspace(win.left() + 6, win.right() - 6, 7).astype(int):  # inside the frame: not shaded
        got = img[round(r.top()) + 1:round(r.bottom()) - 1, col].mean(axis=0)
        a, b = math.floor(m.to_model_x(col)) - x0, math.ceil(m.to_model_x(col + 1)) - x0  # the columns it covers
        assert np.abs(got - want[:, a:b].mean(axis=(0, 1))).max() < 12


# ---------------------------------------------------------------------- performance and status
def test_performance_panel_is_live_and_sets_the_batch(qtbot, window):
    panel = open_dock(qtbot, window, "performance")
    window.viewport.camera.set(x0=10 ** 5)
    wait_complete(qtbot, window.viewport)
    panel.poll()
    qtbot.wait(300)
    panel.poll()
    assert "ms median" in panel.labels["frame"].text() and panel.graph.samples
    assert "MB" in panel.labels["cache"].text() and panel.labels["provider"].text() == "CPUExecutionProvider"
    assert panel.device.currentText() == "CPU"
    from alis_studio.engine.bundle import available_providers
    cuda_item = panel.device.model().item(1)
    assert cuda_item.isEnabled() == ("CUDAExecutionProvider" in available_providers())
    panel.batch.setValue(3)
    assert window.renderer.batch_size == 3


def test_applying_runtime_settings_reopens_the_model_and_keeps_the_view(qtbot, window):
    panel = open_dock(qtbot, window, "performance")
    window.viewport.camera.set(x0=777.0, scale=1.5, fit=False)
    state_before = window.viewport.camera.to_dict()
    old = window.renderer
    panel.threads.setValue(1)
    with qtbot.waitSignal(window.model_installed, timeout=20000):
        qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
    assert window.renderer is not old and window.threads == 1
    assert window.viewport.camera.to_dict() == state_before


def test_status_bar_shows_the_cursor_position(qtbot, window):
    v, d = window.viewport, window.bundle.interval_width
    v.camera.set(x0=0.0, scale=1.0, fit=False)
    qtbot.mouseMove(v, QPoint(100, v.height() // 2))
    x = v.camera.to_model_x(100)
    i = int(x // d)
    assert window.cursor_label.text() == f"x {int(x):,} · interval #{i}–#{i + 1} · t {(x - i * d) / d:.2f}"


# ---------------------------------------------------------------------- the first view
def test_the_first_view_is_crisp_and_fit_height_is_one_shortcut_away(qtbot, tiny_bundle, settings):
    w = make_window(qtbot, tiny_bundle, settings, size=(900, 600))
    v = w.viewport
    assert v.height() / tiny_bundle.height > CRISP_MAX  # a window where fit-height would blur
    assert v.camera.scale == pytest.approx(CRISP_MAX)
    assert v.camera.top() == pytest.approx((v.height() - tiny_bundle.height * CRISP_MAX) / 2)  # centred
    w.activateWindow()
    v.setFocus()
    c = v.camera.center_x()
    qtbot.keyClick(v, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert v.camera.fit and v.camera.scale == pytest.approx(v.height() / tiny_bundle.height)
    assert v.camera.center_x() == pytest.approx(c)
    qtbot.keyClick(v, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert v.camera.scale == pytest.approx(CRISP_MAX)
    w.resize(900, 700)  # the crisp fit follows the window
    qtbot.waitUntil(lambda: v.camera.top() == pytest.approx((v.height() - tiny_bundle.height * CRISP_MAX) / 2))


def test_a_short_window_fills_its_height_below_the_cap(qtbot, tiny_bundle, settings):
    w = make_window(qtbot, tiny_bundle, settings, size=(640, 260))
    v = w.viewport
    assert v.height() / tiny_bundle.height < CRISP_MAX or v.camera.scale == pytest.approx(CRISP_MAX)
    assert v.camera.scale == pytest.approx(min(CRISP_MAX, v.height() / tiny_bundle.height))
