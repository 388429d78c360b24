"""The window and its views as a new user meets them (issue 31, items 5 to 8 and 10): the first view,
a window that fits the screen, docks that come to the front, zoom limits that still pan, and one
number for one thing everywhere."""
from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QPoint, QSettings, Qt  # noqa: E402
from test_gui_support import make_window, wait_complete  # noqa: E402

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


def test_the_first_window_fits_the_available_screen(qtbot, settings):
    """The default 1280x720 was not clamped (1918x1080 on a 1600x1000 screen at scale 1.5, the
    timeline and status bar off screen). The offscreen screen here is 800x800."""
    w = _new_window(qtbot, settings)
    avail = w.screen().availableGeometry()
    assert avail.width() < 1280  # the test means something only on a screen smaller than the default
    assert avail.contains(w.frameGeometry()), (avail, w.frameGeometry())
    assert w.width() >= 0.8 * min(1280, avail.width())  # clamped, not shrunk to nothing


def test_the_last_geometry_comes_back_only_where_it_fits(qtbot, tmp_path):
    fits = QSettings(str(tmp_path / "fits.ini"), QSettings.Format.IniFormat)
    a = _new_window(qtbot, fits)
    a.resize(610, 430)
    a.close()
    b = _new_window(qtbot, fits)
    assert (b.width(), b.height()) == (610, 430)  # the user's size, remembered
    b.close()

    big = QSettings(str(tmp_path / "big.ini"), QSettings.Format.IniFormat)
    c = _new_window(qtbot, big)
    c.setGeometry(0, 0, 1918, 1080)  # as saved on a larger screen
    big.setValue("geometry", c.saveGeometry())
    d = _new_window(qtbot, big)
    assert d.screen().availableGeometry().contains(d.frameGeometry()), d.frameGeometry()


def test_opening_the_docks_does_not_grow_the_window(qtbot, tiny_bundle, settings):
    """Showing Performance under the seed browser grew a 450 px window to 706 px, past the screen."""
    w = make_window(qtbot, tiny_bundle, settings, size=(700, 450))
    for name in ("seeds", "directions", "performance"):
        w.acts[name].trigger()
        qtbot.wait(20)
        assert (w.width(), w.height()) == (700, 450), name
    assert w.screen().availableGeometry().contains(w.frameGeometry())


# ---------------------------------------------------------------------- 7: docks come to the front
def test_showing_a_tabbed_dock_raises_it(qtbot, window):
    """Ctrl+D after Ctrl+B added Latent Directions as a hidden tab behind the seed browser."""
    docks = window.docks.docks
    for name, other in (("seeds", "directions"), ("directions", "seeds"), ("seeds", "directions")):
        window.acts[name].trigger()
        qtbot.waitUntil(lambda: not docks[name].visibleRegion().isEmpty())
        assert window.acts[name].isChecked()
    assert docks["directions"].isVisible() and docks["directions"].visibleRegion().isEmpty()  # behind, still open
    window.acts["seeds"].trigger()  # in front: the toggle hides it
    qtbot.waitUntil(lambda: docks["seeds"].isHidden())
    assert not window.acts["seeds"].isChecked()
    qtbot.waitUntil(lambda: not docks["directions"].visibleRegion().isEmpty())


# ---------------------------------------------------------------------- 8: zoom limits
def test_at_400_percent_a_vertical_drag_reaches_the_top_and_the_bottom(qtbot, window):
    v, cam, H = window.viewport, window.camera, window.bundle.height
    v.inertia.enabled = False
    cam.set(scale=4.0, fit=False)
    assert H * 4 > v.height()  # taller than the view: rows are cut off until dragged into view
    drag(qtbot, v, QPoint(v.width() // 2, 5), 0, v.height() - 10)
    assert cam.top() == pytest.approx(0.0)  # the top row at the top of the view
    drag(qtbot, v, QPoint(v.width() // 2, v.height() - 5), 0, -(v.height() - 10))
    drag(qtbot, v, QPoint(v.width() // 2, v.height() - 5), 0, -(v.height() - 10))
    assert cam.top() + H * cam.scale == pytest.approx(v.height())  # and the bottom row at the bottom


def test_at_one_eighth_the_overview_frame_is_a_part_of_the_strip(qtbot, window):
    """At 1/8 the strip's frame covered the whole strip (its scale was held at a 24 px tall panorama)."""
    m, cam = window.minimap, window.camera
    for scale in (1 / 8, 0.5, 2.0, 4.0):
        cam.set(scale=scale, fit=False)
        win = m.view_window()
        assert win.width() == pytest.approx(m.width() / 4, rel=0.02), scale  # about a quarter of the strip
        assert m.strip_rect().height() >= 24  # never a line of a few pixels
        assert m.to_model_x(win.left()) == pytest.approx(cam.x0, abs=1)


def test_timeline_seeds_are_whole_at_every_zoom(qtbot, window):
    """Timeline seeds were cut ("3964924..."): the slots leave room for the longest seed."""
    from PySide6.QtGui import QFontMetrics

    from alis_studio.gui.timeline import describe

    tl = window.timeline
    window.scene.set_anchor_seed(1, 4294967295)
    for scale in (1 / 8, 1.0, 4.0):
        window.camera.set(scale=scale, fit=False)
        fm = QFontMetrics(tl.seed_font())
        assert fm.horizontalAdvance("4294967295") <= tl.label_width(), scale
    assert "seed 4294967295" in describe(window.scene, 1)  # the tooltip has it whole too


# ---------------------------------------------------------------------- 10: one number everywhere
def test_ruler_and_status_bar_show_the_same_x_in_a_loop(qtbot, window):
    """The ruler showed x wrapped into the loop, the status bar the unwrapped column."""
    v, d = window.viewport, window.bundle.interval_width
    window.scene.set_loop_period(4)
    v.camera.set(scale=1.0, fit=False)
    v.camera.center_on(401 * d + 10.7)  # 100 periods and a bit on
    window.show_cursor(window.camera.center_x())  # the mouse on the column the ruler describes
    ruler_x = window.ruler.text().split(" px")[0]
    assert window.cursor_label.text().startswith(ruler_x + " ·"), (ruler_x, window.cursor_label.text())
    assert ruler_x == f"x {d + 10:,}"  # the column (floor), within the period


def test_perf_panel_and_status_bar_give_one_hit_rate(qtbot, window):
    panel = window.docks.performance
    window.acts["performance"].trigger()
    qtbot.waitUntil(panel.isVisible)
    for x in (0, 5000, 0, 9000, 5000):  # some views hit the cache, some do not
        window.camera.set(x0=float(x))
        wait_complete(qtbot, window.viewport)
    window.update_perf()
    panel.poll()
    bar = window.perf_label.text().split("cache hits ")[1].split(" ")[0]
    assert panel.labels["hits"].text().endswith(f"{bar} overall"), (bar, panel.labels["hits"].text())


def test_the_last_batch_is_labelled_with_its_own_size(qtbot, window):
    """After a batch-size change the panel put the new size on the old batch's time."""
    panel = window.docks.performance
    window.acts["performance"].trigger()
    qtbot.waitUntil(panel.isVisible)
    window.camera.set(x0=20000.0)
    wait_complete(qtbot, window.viewport)
    last = window.renderer.perf()["last_batch_size"]
    panel.batch.setValue(last + 5)
    panel.poll()
    assert panel.labels["batch"].text().endswith(f"({last} tiles)")
