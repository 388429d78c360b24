"""The panorama viewport, driven by simulated input on the real widget."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QPoint, QPointF, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QWheelEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from test_gui_support import grab, make_window, slow_bundle, wait_complete  # noqa: E402

from alis_studio.engine.panorama import render_strip  # noqa: E402
from alis_studio.engine.scene import Scene  # noqa: E402


@pytest.fixture
def view(qtbot, tiny_renderer):
    from alis_studio.gui.viewport import PanoramaView

    v = PanoramaView(Scene(seed=3), tiny_renderer)
    qtbot.addWidget(v)
    v.resize(320, 120)
    v.show()
    qtbot.waitExposed(v)
    v.inertia.enabled = False
    v.camera.set(x0=0, scale=1.0, fit=False)
    wait_complete(qtbot, v)
    return v


def shown_view(qtbot, renderer, scene, size=(320, 120), **camera):
    """A PanoramaView of `scene` on `renderer`, shown, the camera set to `camera`."""
    from alis_studio.gui.viewport import PanoramaView

    view = PanoramaView(scene, renderer)
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    view.camera.set(**camera)
    return view


def drag(qtbot, widget, start: QPoint, dx: int, steps: int = 4):
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=start)
    for k in range(1, steps + 1):
        qtbot.mouseMove(widget, start + QPoint(round(dx * k / steps), 0))
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=start + QPoint(dx, 0))


def wheel(widget, x: int, notches: float):
    pos = QPointF(x, widget.height() / 2)
    ev = QWheelEvent(pos, widget.mapToGlobal(pos), QPoint(0, 0), QPoint(0, round(120 * notches)),
                     Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, ev)


@pytest.mark.parametrize("x0, loop", [(0, None), (-1000, None), (-1000, 3)])
def test_view_shows_the_engines_pixels(qtbot, view, tiny_renderer, x0, loop):
    """At 1:1 the panorama rows on screen are exactly the engine's strip (left of the origin and in
    loop mode too)."""
    view.scene.set_loop_period(loop)
    view.camera.set(x0=x0)
    wait_complete(qtbot, view)
    top = round(view.camera.top())
    want = render_strip(tiny_renderer, view.scene, x0, view.width())
    assert np.array_equal(grab(view)[top:top + 32], want)
    if loop:  # a closed loop: one period further shows the same pixels
        view.camera.set(x0=x0 + loop * 64)
        wait_complete(qtbot, view)
        assert np.array_equal(grab(view)[top:top + 32], want)


def test_an_edit_keeps_the_old_pixels_until_the_new_ones_arrive(qtbot, tiny_bundle):
    from alis_studio.engine.renderer import Renderer
    from alis_studio.gui.images import PatchStrip

    strip = PatchStrip(0, 4, 0, 16, 32, epoch=1, placeholder=(1, 2, 3))
    old = PatchStrip(-2, 2, 0, 16, 32, epoch=0, placeholder=(1, 2, 3))
    old.put(-1, np.full((32, 16, 3), 9, np.uint8))
    old.put(1, np.full((32, 16, 3), 7, np.uint8))
    strip.inherit(old)
    assert list(strip.stale) == [False, True, False, False] and not strip.fresh.any()
    assert strip.blank(0, 4) == [0, 2, 3]

    bundle = slow_bundle(tiny_bundle, 0.0)  # fast for the first view, slow once the edit is made
    renderer = Renderer(bundle, workers=1, batch_size=4)
    try:
        view = shown_view(qtbot, renderer, Scene(seed=3), x0=0, scale=1.0, fit=False)
        wait_complete(qtbot, view)
        before = grab(view)
        bundle.synthesis.delay = 1.0  # no new patch can arrive before the repaint below
        view.scene.set_psi(1.3)  # every key changes: the view re-renders, showing the old pixels meanwhile
        assert view.pending() > 0
        view.repaint()
        assert np.array_equal(grab(view), before)
        bundle.synthesis.delay = 0.0
        wait_complete(qtbot, view)
        assert not np.array_equal(grab(view), before)
    finally:
        renderer.close()


def test_drag_pans_by_that_many_pixels(qtbot, view):
    before = grab(view)
    drag(qtbot, view, QPoint(200, 60), -37)
    assert view.camera.x0 == 37.0
    wait_complete(qtbot, view)
    after = grab(view)
    assert np.array_equal(after[:, :-37], before[:, 37:])
    drag(qtbot, view, QPoint(100, 60), 50)  # and back the other way, past the origin
    assert view.camera.x0 == -13.0


def test_pan_goes_on_forever_and_home_returns(qtbot, view):
    view.camera.set(x0=-10 ** 7)
    wait_complete(qtbot, view)
    assert grab(view)[round(view.camera.top()) + 5].std() > 0  # real pixels far left of the origin
    view.go_to_origin()
    assert view.camera.center_x() == pytest.approx(0.0)


def test_inertia_glides_on_after_a_fast_drag(qtbot, view):
    view.inertia.enabled = True
    start = QPoint(250, 60)
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=start)
    for k in range(1, 6):
        qtbot.wait(10)
        qtbot.mouseMove(view, start - QPoint(30 * k, 0))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=start - QPoint(150, 0))
    released = view.camera.x0
    assert released == pytest.approx(150.0)
    qtbot.waitUntil(lambda: view.camera.x0 > released + 5, timeout=2000)  # keeps moving the same way
    qtbot.waitUntil(lambda: not view.inertia.timer.isActive(), timeout=5000)  # and comes to rest
    rest = view.camera.x0
    qtbot.wait(50)
    assert view.camera.x0 == rest


def test_wheel_zooms_about_the_cursor_down_to_the_mip_levels(qtbot, view, tiny_renderer):
    x_under = view.camera.to_model_x(100)
    wheel(view, 100, -1)
    assert view.camera.scale < 1.0
    assert view.camera.to_model_x(100) == pytest.approx(x_under)
    for _ in range(20):
        wheel(view, 100, -2)
    assert view.camera.scale == pytest.approx(1 / 8)
    assert view.level == tiny_renderer.mip_levels == 3
    p0, p1 = view.patch_range()
    assert p1 - p0 >= 320 * 8 // 16  # an overview of many anchor intervals
    wait_complete(qtbot, view)
    band = grab(view)[round(view.camera.top()) + 1:round(view.camera.top() + 32 / 8) - 1]
    assert band.std() > 0
    for _ in range(40):
        wheel(view, 100, 2)
    assert view.camera.scale == pytest.approx(view.camera.max_scale())
    assert view.camera.max_scale() >= 4.0


def test_touch_pinch_zooms_about_the_fingers(qtbot, view):
    from PySide6.QtWidgets import QGestureEvent, QPinchGesture

    def pinch(factor: float, sx: float) -> None:
        g = QPinchGesture()
        g.setScaleFactor(factor)
        g.setCenterPoint(QPointF(view.mapToGlobal(QPoint(round(sx), 50))))
        g.setChangeFlags(QPinchGesture.ChangeFlag.ScaleFactorChanged | QPinchGesture.ChangeFlag.CenterPointChanged)
        QApplication.sendEvent(view, QGestureEvent([g]))

    scale, x_under = view.camera.scale, view.camera.to_model_x(120)
    pinch(0.8, 120)
    assert view.camera.scale == pytest.approx(scale * 0.8)
    assert view.camera.to_model_x(120) == pytest.approx(x_under)
    pinch(1.5, 120)
    assert view.camera.scale == pytest.approx(scale * 1.2)


def test_default_view_fills_the_height_and_double_click_centres(qtbot, view):
    view.camera.fit_height()
    assert view.camera.scale == pytest.approx(view.height() / 32)
    assert round(view.camera.top()) == 0
    x = view.camera.to_model_x(40)
    qtbot.mouseDClick(view, Qt.MouseButton.LeftButton, pos=QPoint(40, 60))
    assert view.camera.center_x() == pytest.approx(x)


def test_arrow_keys_pan_and_home_goes_to_origin(qtbot, window):
    v = window.viewport
    window.activateWindow()
    v.setFocus()
    x = v.camera.x0
    qtbot.keyClick(v, Qt.Key.Key_Right)
    assert v.camera.x0 == pytest.approx(x + v.width() / 8 / v.camera.scale)
    qtbot.keyClick(v, Qt.Key.Key_Left)
    qtbot.keyClick(v, Qt.Key.Key_Left)
    assert v.camera.x0 < x
    qtbot.keyClick(v, Qt.Key.Key_Home)
    assert v.camera.center_x() == pytest.approx(0.0)


def test_home_then_fit_height_stays_on_anchor_0(qtbot, window):
    """Home then Ctrl+0 once landed on anchor #5 (Home put 0 at the left edge, fit kept the centre)."""
    v = window.viewport
    window.activateWindow()
    v.setFocus()
    v.camera.set(x0=12345.0, scale=1 / 8, fit=False)
    qtbot.keyClick(v, Qt.Key.Key_Home)
    qtbot.keyClick(v, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert v.camera.fit and round(v.camera.center_x() / window.bundle.interval_width) == 0


def test_centre_on_selected_in_a_loop_takes_the_nearest_copy(qtbot, window):
    d = window.bundle.interval_width
    window.scene.set_loop_period(4)
    window.viewport.camera.set(scale=1.0, fit=False)
    window.viewport.camera.center_on(401 * d)  # far out: copies of anchor 1 sit at ..., 397, 401, 405, ...
    window.selection.select(1)
    window.anchors.center_selected()
    assert window.viewport.camera.center_x() == pytest.approx(401 * d)


def test_gui_thread_keeps_ticking_while_a_slow_model_renders(qtbot, tiny_bundle, settings):
    """The generator sleeps 250 ms per call on the worker; a 20 ms timer must keep firing on time
    while patches arrive and the view repaints."""
    bundle = slow_bundle(tiny_bundle, 0.25)
    w = make_window(qtbot, bundle, settings, size=(1200, 320))
    v = w.viewport
    v.camera.set(x0=10 ** 5, scale=0.5, fit=False)  # unseen territory: ~150 patches at 1/2, ~3 s of rendering
    first = v.pending()
    ticks = []
    timer = QTimer(interval=20)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    qtbot.wait(1000)
    timer.stop()
    assert v.pending() > 0 and w.renderer.stats["patches"] > 0  # more to come: rendering went on all along
    assert v.pending() <= first  # (the first of them may be the coarse previews: not counted as done)
    gaps = np.diff(ticks)
    assert len(ticks) >= 30 and gaps.max() < 0.15, (len(ticks), gaps.max())
    main = threading.main_thread().name
    threads = set(bundle.synthesis.threads)
    assert threads and main not in threads  # the generator ran only on the renderer's workers


def test_patches_being_rendered_show_their_progress(qtbot, tiny_bundle):
    """A slow model (the paper's LHQ 1024 takes seconds a patch on a CPU): the placeholders of the
    patches being rendered carry a progress bar, repainted while it fills; none once all are in."""
    from alis_studio.engine.renderer import Renderer
    from alis_studio.gui.viewport import PROGRESS

    bundle = slow_bundle(tiny_bundle, 0.4)
    renderer = Renderer(bundle, workers=1, batch_size=1)
    try:
        view = shown_view(qtbot, renderer, Scene(seed=3), (96, 120), x0=0, scale=2.0, fit=False)
        qtbot.waitUntil(lambda: renderer.patch_seconds is not None, timeout=10000)  # an estimate exists

        def bar_pixels():
            row = grab(view)[round(view.height() / 2)]
            rgb = [PROGRESS.red(), PROGRESS.green(), PROGRESS.blue()]
            return int(np.all(np.abs(row.astype(int) - rgb) < 8, axis=1).sum())

        qtbot.waitUntil(lambda: bar_pixels() > 0, timeout=5000)
        assert view._progress_timer.isActive()
        first = bar_pixels()
        qtbot.waitUntil(lambda: bar_pixels() != first, timeout=5000)  # it moves
        wait_complete(qtbot, view, timeout=60000)
        qtbot.waitUntil(lambda: not view._progress_timer.isActive(), timeout=5000)
        assert bar_pixels() == 0
    finally:
        renderer.close()


def test_an_overview_renders_the_coarse_level_and_zooming_in_keeps_it_until_the_fine_one_arrives(
        qtbot, tiny_bundle):
    """At 1/8 the view asks for level 3 (1/8 of the size, the model's own image) and never renders the
    full patches; zoomed in, the coarse pixels stay on screen as stand-ins until the full ones come."""
    from alis_studio.engine.renderer import Renderer
    from alis_studio.gui.perf_panel import lod_text

    bundle = slow_bundle(tiny_bundle, 0.0)
    renderer = Renderer(bundle, workers=1, batch_size=4)
    try:
        scene = Scene(seed=3)
        view = shown_view(qtbot, renderer, scene, x0=0, scale=1 / 8, fit=False)
        wait_complete(qtbot, view)
        scene.set_psi(0.71)  # new keys, asked for at 1/8 only (the first fit view asked for full ones)
        wait_complete(qtbot, view)
        p0, p1 = view.patch_range()
        assert view.lod == 3 and "1/8" in lod_text(view.lod, bundle)
        assert all(renderer.key(scene, p, 3) in renderer.cache for p in range(p0, p1))
        assert not any(renderer.key(scene, p, 0) in renderer.cache for p in range(p0, p1))
        bundle.synthesis.delay = 1.0  # no full patch can arrive before the repaint below
        view.camera.set(x0=0, scale=1.0)
        view.repaint()
        p0, p1 = view.patch_range()
        assert view.lod == 0 and not view.is_complete()
        assert view._strip.blank(p0, p1) == []  # the coarse level upscaled, not placeholders
        assert view._strip.stale[p0 - view._strip.p0:p1 - view._strip.p0].all()
        bundle.synthesis.delay = 0.0
        wait_complete(qtbot, view)
        assert view._strip.fresh[p0 - view._strip.p0:p1 - view._strip.p0].all()
    finally:
        renderer.close()


def test_a_slow_view_shows_its_coarse_level_first_then_sharpens(qtbot, tiny_bundle):
    """The paper's model takes seconds a patch: the whole window shows the coarsest level (cheap)
    upscaled before the first full patch could, and each full patch, rendered on from its
    preview's stage outputs, replaces its stand-in."""
    from alis_studio.engine.renderer import Renderer

    bundle = slow_bundle(tiny_bundle, 0.2, levels={0})  # full patches slow, the coarse level not
    renderer = Renderer(bundle, workers=1, batch_size=1)
    renderer.seconds_per_patch[0] = 0.2  # as measured after a first batch
    try:
        scene = Scene(seed=3)
        view = shown_view(qtbot, renderer, scene, (160, 120), x0=0, scale=2.0, fit=False)
        p0, p1 = view.patch_range()
        assert view.lod == 0 and p1 - p0 >= 5  # a second or more of full patches
        qtbot.waitUntil(lambda: view._strip is not None and view._strip.blank(p0, p1) == [], timeout=10000)
        assert not view.is_complete()  # covered before complete: the stand-ins are the coarse level
        coarse = renderer.bundle.levels[0]
        assert all(renderer.key(scene, p, coarse) in renderer.cache for p in range(p0, p1))
        assert view._strip.waiting(p0, p1)  # still to come, and their progress is painted
        wait_complete(qtbot, view, timeout=30000)
        assert view._strip.fresh[p0 - view._strip.p0:p1 - view._strip.p0].all()
        want = render_strip(Renderer(tiny_bundle, workers=0), scene, p0 * bundle.tile_width,
                            (p1 - p0) * bundle.tile_width)
        got = np.concatenate([renderer.get(renderer.key(scene, p), 0) for p in range(p0, p1)], axis=1)
        assert np.array_equal(got, want)  # the full patches, exactly, in the end
        assert renderer.stats["continued"] >= p1 - p0 - 1  # gone on from their previews (the first may not)
    finally:
        renderer.close()


def test_a_fast_view_is_rendered_once_without_a_preview(qtbot, tiny_renderer):
    """The bundled model's views take well under PREVIEW_SECONDS: no coarse level is rendered."""
    scene = Scene(seed=4)
    tiny_renderer.seconds_per_patch[0] = 0.001
    view = shown_view(qtbot, tiny_renderer, scene, x0=0, scale=1.0, fit=False)
    wait_complete(qtbot, view)
    p0, p1 = view.patch_range()
    coarse = tiny_renderer.bundle.levels[0]
    assert not any(tiny_renderer.key(scene, p, coarse) in tiny_renderer.cache for p in range(p0, p1))
