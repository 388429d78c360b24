"""The panorama viewport: pan forever (drag with inertia, keys), zoom from 1/8 to 4x or more, and
paint whatever the renderer has ready, with placeholders for the rest. Never waits on the renderer.
Where the missing patches would take long (a big model: seconds a patch), their coarsest level of
detail is asked for first and shown upscaled until each full one arrives (Renderer.preview_lod).

What it shows is the camera's (engine/camera.py: x0, scale, cy, fit): the view draws from it, tells
it its size, and writes the user's input (drag, inertia, wheel, pinch, keys) into it; it redraws
whenever the camera moves, whoever moved it. Callers read and move `view.camera` itself (the
window's camera); the view keeps only what is its own: the level it draws at, the patches it asks
for, the marker. The mouse position is reported as a panorama column
(`cursor_moved`), each paint's duration kept (`paint_ms`) for the performance panel.
"""
from __future__ import annotations

import collections
import dataclasses
import math
import time

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPolygonF
from PySide6.QtWidgets import QPinchGesture, QWidget

from alis_studio.engine.camera import CRISP_MAX, MIN_SCALE, ZOOM_IN_LIMIT, Camera  # noqa: F401 (re-exported)
from alis_studio.engine.renderer import PatchKey
from alis_studio.gui.images import PatchBridge, PatchStrip, detach, mip_level

BACKGROUND = QColor(25, 35, 45)
PLACEHOLDER = (48, 58, 70)
HATCH = QColor(70, 84, 100)
MARKER = QColor(38, 140, 220)  # the timeline's accent: where the selected anchor sits
PROGRESS = QColor(38, 140, 220)  # the bar on a placeholder whose patch is being rendered
WHEEL_STEP = 2 ** 0.25  # one notch of the wheel
SLOW_PATCH_SECONDS = 0.5  # a patch this slow shows its progress over its stand-in as well


def memo_key(renderer, scene, memo: dict, p: int, lod: int = 0) -> PatchKey:
    """The renderer's key of patch p at level of detail `lod`, memoised in `memo` (cleared by the
    caller when the scene or the level changes). Keys of one interval differ only in k (DESIGN.md
    3.2), so the renderer is asked once per interval."""
    key = memo.get(p)
    if key is None:
        K = renderer.bundle.tiles_per_interval
        first = memo.get(p - p % K)
        if first is None:
            first = memo[p - p % K] = renderer.key(scene, p - p % K, lod)
        key = memo[p] = PatchKey(first.anchors, p % K, first.psi, lod) if p % K else first
    return key


def place_patch(renderer, strip, epoch: int, positions: dict, key) -> bool:
    """Write a finished patch into `strip` wherever it appears, if the strip was built for this
    scene `epoch`; True if it did (the caller repaints)."""
    if strip is None or strip.epoch != epoch or key not in positions:
        return False
    rgb = renderer.get(key, strip.level)
    if rgb is None:
        return False
    for p in positions[key]:
        strip.put(p, rgb)
    return True


def fill_strip(renderer, strip, key_of, positions: dict) -> None:
    """Write what the cache has into a new strip: each patch's key (or a finer level of it) at the
    strip's mip level, else a coarser level upscaled as a stand-in (marked stale: no flicker while
    zooming in, the right level replaces it when it arrives)."""
    for p in range(strip.p0, strip.p1):
        key = key_of(p)
        positions.setdefault(key, []).append(p)
        if not strip.fresh[p - strip.p0]:
            rgb, exact = renderer.best(key, strip.level)
            if rgb is not None:
                strip.put(p, rgb, stale=not exact)


def centre_out(memo: dict, p0: int, p1: int, keep: int) -> list[int]:
    """Patches p0..p1-1 from the centre out. Once `memo` (see memo_key) holds more than `keep` keys,
    it forgets those more than a view's width away, so panning forever keeps it small."""
    n = p1 - p0
    if len(memo) > keep:
        for p in [p for p in memo if not p0 - n <= p < p1 + n]:
            del memo[p]
    mid = (p0 + p1) // 2
    return sorted(range(p0, p1), key=lambda p: abs(p - mid))


class Inertia:
    """Keeps a released drag gliding, decelerating exponentially (time constant `tau` seconds)."""

    def __init__(self, view: "PanoramaView", tau: float = 0.35):
        self.view, self.tau, self.velocity, self._last = view, tau, 0.0, 0.0
        self.enabled = True
        self._samples: list[tuple[float, float]] = []
        self.timer = QTimer(view, interval=15)
        self.timer.timeout.connect(self._step)

    def track(self, x: float) -> None:
        now = time.monotonic()
        self._samples = [(t, v) for t, v in self._samples if now - t < 0.1] + [(now, x)]

    def release(self) -> None:
        """Start gliding at the speed of the last 100 ms of the drag (if the mouse was still moving)."""
        now = time.monotonic()
        recent = [(t, x) for t, x in self._samples if now - t < 0.1]
        self._samples = []
        if not self.enabled or len(recent) < 2 or recent[-1][0] - recent[0][0] < 1e-3:
            return
        self.velocity = (recent[-1][1] - recent[0][1]) / (recent[-1][0] - recent[0][0])  # px/s
        if abs(self.velocity) > 150:
            self._last = now
            self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self.velocity = 0.0

    def _step(self) -> None:
        now = time.monotonic()
        dt, self._last = now - self._last, now
        self.velocity *= math.exp(-dt / self.tau)
        if abs(self.velocity) < 20:
            self.stop()
            return
        self.view.camera.pan_pixels(self.velocity * dt)


class PanoramaView(QWidget):
    """Shows `scene` as rendered by `renderer` where `camera` looks (its own camera if none is given);
    emits `view_changed` (the camera moved) and `view_complete`."""

    view_changed = Signal()
    view_complete = Signal()  # every visible patch is rendered
    cursor_moved = Signal(object)  # the panorama column (float) under the mouse, None when it leaves

    def __init__(self, scene, renderer, camera: Camera | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.scene, self.renderer = scene, renderer
        self._H, self._P = renderer.bundle.height, renderer.bundle.tile_width
        self._K = renderer.bundle.tiles_per_interval
        # the one source of truth for what the window shows (the window's, shared with the other views)
        self.camera = camera if camera is not None else Camera(self._H)
        self.paint_ms: collections.deque[float] = collections.deque(maxlen=240)  # the last paints' durations
        self._keys: dict[int, object] = {}  # global patch -> PatchKey under the current scene
        self._strip: PatchStrip | None = None  # what the window shows, and a margin each side
        self._positions: dict[object, list[int]] = {}  # key -> its patches in the strip
        self._missing: set = set()  # visible keys not rendered yet
        self._requested = None
        self._lod = 0  # the level of detail of the keys in _keys
        self._epoch = 0  # bumped on every scene change
        self.marker_x: float | None = None  # the selected anchor's column, marked on the strip
        self.stats = {"requested": 0, "cached": 0}  # the view's cache hits: patches ready when asked
        self._drag, self._closed = None, False
        self._cursor_sx: float | None = None  # the mouse's screen x while it is over the view
        self.inertia = Inertia(self)
        # while visible patches are being rendered (a big model's take seconds), repaint their progress
        self._progress_timer = QTimer(self, interval=250, timeout=self.update)
        self._bridge = PatchBridge(self)
        self._bridge.patch_ready.connect(self._on_patch)
        scene.subscribe(self._on_scene)
        self.camera.subscribe(self._on_camera)
        self.camera.resize(self.width(), self.height(), keep_center=False)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.grabGesture(Qt.GestureType.PinchGesture)  # two-finger zoom on touchscreens
        self.setMinimumSize(160, 60)
        self.setMouseTracking(True)  # cursor coordinates without a button held

    def close_view(self) -> None:
        """Disconnect from the scene and ignore late renderer callbacks (the widget is going away)."""
        self.inertia.stop()
        self._progress_timer.stop()
        detach(self._bridge, self.scene, self._on_scene)
        self.camera.unsubscribe(self._on_camera)
        self._closed = True  # a closed view no longer tells the camera its size

    # ------------------------------------------------------------------ what to draw (the camera's geometry)
    @property
    def level(self) -> int:
        """Mip level to draw at: each level halves the patches, down to the renderer's coarsest."""
        return mip_level(self.camera.scale, self.renderer.mip_levels)

    @property
    def lod(self) -> int:
        """The level of detail requested: the coarsest whose pixels are as dense as the screen's."""
        lod = self.renderer.lod_for(self.level)
        if lod != self._lod:  # other keys from now on; the strip keeps its pixels as stand-ins
            self._lod, self._requested = lod, None
            self._keys.clear()
        return lod

    def patch_range(self) -> tuple[int, int]:
        """Global patches [p0, p1) that intersect the window."""
        return self.camera.patch_range(self._P)

    def go_to_origin(self) -> None:
        """Anchor 0 (column 0) in the centre, so zooming (about the centre) keeps it in view; the
        first view centres it too. A glide in progress stops first."""
        self.inertia.stop()
        self.camera.center_on(0.0)

    def _on_camera(self, _camera) -> None:
        """The camera moved (by this view's input or anyone else's): ask for what is now visible."""
        self._request()
        self.update()
        self.view_changed.emit()
        if self._cursor_sx is not None:  # the content moved under a resting mouse
            self.cursor_moved.emit(self.camera.to_model_x(self._cursor_sx))

    # ------------------------------------------------------------------ rendering requests
    def _key(self, p: int):
        return memo_key(self.renderer, self.scene, self._keys, p, self.lod)

    def _on_scene(self, _scene) -> None:
        self._keys.clear()
        self._epoch += 1
        self._requested = None
        self._request()
        self.update()

    def _request(self) -> None:
        """Ask for the visible patches (centre out), then a margin each side; newest request wins."""
        self.lod  # noqa: B018 (a change of level forgets the old keys and request)
        p0, p1 = self.patch_range()
        if self._requested == (p0, p1) or self.width() <= 0:
            return
        self._requested = (p0, p1)
        order = centre_out(self._keys, p0, p1, keep=8 * (p1 - p0) + 256)
        margin = max(2, (p1 - p0) // 4)
        order += [p for j in range(margin) for p in (p1 + j, p0 - 1 - j)]
        keys = [self._key(p) for p in order]
        todo = [k for k in keys if not self.renderer.has(k)]  # only what is missing (the strip reads the rest)
        visible = set(keys[:p1 - p0])
        self._missing = visible.intersection(todo)
        self.stats["requested"] += len(visible)
        self.stats["cached"] += len(visible) - len(self._missing)
        self.renderer.submit(todo, on_patch=self._bridge.on_patch, tag="view")
        self._request_preview([k for k in keys[:p1 - p0] if k in self._missing])
        if not self._missing:
            QTimer.singleShot(0, self._check_complete)

    def _request_preview(self, missing: list) -> None:
        """Ask for the coarse level of the visible missing patches if the full ones will take long;
        submitted after them, so served first. An empty request still drops an outdated preview."""
        lod = self.renderer.preview_lod(self._lod, len(missing))
        coarse = [] if lod is None else [dataclasses.replace(k, lod=lod) for k in missing]
        self.renderer.submit([k for k in coarse if not self.renderer.has(k)], on_patch=self._bridge.on_patch,
                             tag="view-preview", carry=True)  # the full renders go on from them

    def _place_preview(self, key) -> bool:
        """A coarse patch arrived for a patch still missing: show it upscaled as a stand-in."""
        strip, wanted = self._strip, dataclasses.replace(key, lod=self._lod)
        if strip is None or strip.epoch != self._epoch or wanted not in self._positions:
            return False
        rgb, exact = self.renderer.best(wanted, strip.level)
        for p in self._positions[wanted]:
            if rgb is not None and not strip.fresh[p - strip.p0]:
                strip.put(p, rgb, stale=not exact)
        return rgb is not None

    def _on_patch(self, key) -> None:
        """A patch arrived (GUI thread): write it into the strip, repaint if it is on screen."""
        if key.lod != self._lod:  # a preview (or a level the view has left): a stand-in at most
            if self._place_preview(key):
                self.update()
            return
        completes = key in self._missing and len(self._missing) == 1
        self._missing.discard(key)
        if place_patch(self.renderer, self._strip, self._epoch, self._positions, key):
            self.update()
        if completes:
            self._check_complete()

    def _check_complete(self) -> None:
        if not self._missing and self._bridge.alive:
            self.view_complete.emit()

    def invalidate(self) -> None:
        """Rebuild the picture from the renderer's cache at the next paint (benchmarks, debugging)."""
        self._strip = None
        self.update()

    def is_complete(self) -> bool:
        p0, p1 = self.patch_range()
        return all(self.renderer.has(self._key(p)) for p in range(p0, p1))

    def pending(self) -> int:
        return len(self._missing)

    # ------------------------------------------------------------------ painting
    def _ensure_strip(self) -> PatchStrip:
        """The strip for the current range, level and scene: reused while panning inside it, else
        rebuilt with a margin each side from the renderer's cache (and the old strip's pixels)."""
        level, (p0, p1) = self.level, self.patch_range()
        old = self._strip
        if old is not None and old.covers(p0, p1, level, self._epoch):
            return old
        m = max(2, (p1 - p0) // 4)
        strip = PatchStrip(p0 - m, p1 + m, level, self._P, self._H, self._epoch, PLACEHOLDER)
        if old is not None:
            strip.inherit(old)
        self._positions = {}
        fill_strip(self.renderer, strip, self._key, self._positions)
        self._strip = strip
        return strip

    def paintEvent(self, _event) -> None:
        t0 = time.perf_counter()
        qp = QPainter(self)
        qp.fillRect(self.rect(), BACKGROUND)
        strip, (p0, p1) = self._ensure_strip(), self.patch_range()
        sub = 2 ** strip.level  # model pixels per strip pixel
        source = QRectF((self.camera.x0 - strip.p0 * self._P) / sub, 0, self.width() / self.camera.scale / sub, strip.ph)
        target = QRectF(0, self.camera.top(), self.width(), self._H * self.camera.scale)
        qp.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, abs(self.camera.scale * sub - 1) > 1e-6)
        qp.drawImage(target, strip.image, source)
        blank = strip.blank(p0, p1)
        if blank:
            brush = QBrush(HATCH, Qt.BrushStyle.BDiagPattern)
            for p in blank:
                qp.fillRect(QRectF(self.camera.to_screen_x(p * self._P), target.y(), self._P * self.camera.scale,
                                   target.height()), brush)
        # bars on stand-ins (a preview, the last scene's pixels) too where a patch takes long: a fast
        # model's re-render after an edit would only flicker with them
        slow = (self.renderer.estimated_seconds(self._lod) or 0.0) >= SLOW_PATCH_SECONDS
        waiting = strip.waiting(p0, p1) if slow else blank
        running = self.renderer.inflight() if waiting else {}
        if running:
            self._paint_progress(qp, waiting, running, target)
        if bool(running) != self._progress_timer.isActive():
            self._progress_timer.start() if running else self._progress_timer.stop()
        if self.marker_x is not None:
            self._paint_marker(qp, self.camera.to_screen_x(self.marker_x), target)
        qp.end()
        self.paint_ms.append((time.perf_counter() - t0) * 1000)

    def _paint_progress(self, qp: QPainter, waiting, running: dict, target: QRectF) -> None:
        """A bar across each placeholder or stand-in whose patch is being rendered: how far along it
        is (from the renderer's time per patch), so a slow model shows it is working."""
        top, bottom = max(0.0, target.top()), min(float(self.height()), target.bottom())
        y = (top + bottom) / 2
        for p in waiting:
            if (key := self._key(p)) not in running:
                continue
            x, w = self.camera.to_screen_x(p * self._P), self._P * self.camera.scale
            bar = QRectF(x + w * 0.15, y - 3, w * 0.7, 6)
            qp.fillRect(bar, BACKGROUND)
            frac = running[key]
            if frac is None:  # no estimate yet: a block that sweeps across
                t = (time.monotonic() % 1.5) / 1.5
                qp.fillRect(QRectF(bar.x() + bar.width() * 0.8 * t, bar.y(), bar.width() * 0.2, 6), PROGRESS)
            else:
                qp.fillRect(QRectF(bar.x(), bar.y(), bar.width() * frac, 6), PROGRESS)

    def set_marker(self, x: float | None) -> None:
        """Mark column x (the selected anchor) with a notch at the top and bottom of the strip."""
        if x != self.marker_x:
            self.marker_x = x
            self.update()

    def _paint_marker(self, qp: QPainter, sx: float, target: QRectF) -> None:
        if not -8 <= sx <= self.width() + 8:
            return
        top, bottom, w = max(0.0, target.top()), min(float(self.height()), target.bottom()), 7.0
        qp.setPen(Qt.PenStyle.NoPen)
        qp.setBrush(MARKER)
        qp.drawPolygon(QPolygonF([QPointF(sx - w, top), QPointF(sx + w, top), QPointF(sx, top + w * 1.4)]))
        qp.drawPolygon(QPolygonF([QPointF(sx - w, bottom), QPointF(sx + w, bottom), QPointF(sx, bottom - w * 1.4)]))

    # ------------------------------------------------------------------ input
    def resizeEvent(self, event) -> None:
        if not self._closed:  # the first real size too: a fit view keeps its centre (the first view's origin)
            self.camera.resize(self.width(), self.height())
        super().resizeEvent(event)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.inertia.stop()
            self._drag = event.position()
            self.inertia.track(event.position().x())
            self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, event) -> None:
        self._cursor_sx = event.position().x()
        self.cursor_moved.emit(self.camera.to_model_x(self._cursor_sx))
        if self._drag is not None:
            pos: QPointF = event.position()
            d = pos - self._drag
            self._drag = pos
            self.inertia.track(pos.x())
            self.camera.pan_pixels(d.x(), d.y())

    def mouseReleaseEvent(self, event) -> None:
        if self._drag is not None and event.button() == Qt.MouseButton.LeftButton:
            self._drag = None
            self.unsetCursor()
            self.inertia.release()

    def leaveEvent(self, event) -> None:
        self._cursor_sx = None
        self.cursor_moved.emit(None)
        super().leaveEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        self.inertia.stop()
        self.camera.center_on(self.camera.to_model_x(event.position().x()))

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta()
        if abs(delta.x()) > abs(delta.y()):  # a sideways trackpad swipe pans
            px = event.pixelDelta().x()
            self.camera.pan_pixels(px if px else delta.x() / 2)
        elif delta.y():
            self.camera.zoom_at(WHEEL_STEP ** (delta.y() / 120), event.position().x())
        event.accept()

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.NativeGesture and \
                event.gestureType() == Qt.NativeGestureType.ZoomNativeGesture:  # trackpad pinch
            self.camera.zoom_at(1.0 + event.value(), event.position().x())
            return True
        if event.type() == QEvent.Type.Gesture:
            pinch = event.gesture(Qt.GestureType.PinchGesture)
            if pinch is not None:
                if pinch.changeFlags() & QPinchGesture.ChangeFlag.ScaleFactorChanged:
                    self.inertia.stop()
                    self.camera.zoom_at(pinch.scaleFactor(), self.mapFromGlobal(pinch.centerPoint()).x())
                event.accept(pinch)
                return True
        return super().event(event)

    def closeEvent(self, event) -> None:
        self.close_view()
        super().closeEvent(event)
