"""The anchor timeline under the viewport: the anchors near the view as thumbnails at their grid
positions. Click selects, double-click centres the view, drag onto another slot moves the anchor,
right-click opens the anchor menu. A thumbnail is the two patches either side of the anchor's column,
so it shows exactly what the view shows there (and shares the renderer's cache with it)."""
from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QPoint, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QMenu, QToolTip, QWidget

from alis_studio.engine.camera import Camera
from alis_studio.engine.renderer import THUMBNAILS
from alis_studio.engine.selection import Selection
from alis_studio.engine.session_schema import SEED_LIMIT
from alis_studio.gui.images import ImageCache, PatchBridge, detach, patch_image
from alis_studio.gui.layout import GAP, SlotLayout

BG, SLOT, TEXT = QColor(32, 43, 54), QColor(48, 58, 70), QColor(190, 200, 210)
ACCENT, PIN, BAND = QColor(38, 140, 220), QColor(240, 160, 40), QColor(255, 255, 255, 18)
SEED_TEXT = QColor(158, 167, 175)  # dimmer than TEXT, still above 4.5:1 on BG (WCAG AA)
ACCENT_TEXT = QColor(80, 165, 235)  # the accent lightened for text: 5.4:1 on BG (ACCENT itself is 4.0)
THUMB_H, TOP = 56, 8
EDGE, SCROLL_PX = 48, 14  # a drag within EDGE px of a side scrolls up to SCROLL_PX timeline px per tick


class AnchorTimeline(QWidget):
    """Anchors of `scene` near where `camera` looks; edits go through `editor` (a SceneEditor); the
    wheel and a drag at an edge move the camera; a click or a move writes `selection`."""

    activated = Signal(int)  # double-click on an anchor

    def __init__(self, scene, renderer, camera: Camera, editor, selection: Selection,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.scene, self.renderer, self.camera, self.editor = scene, renderer, camera, editor
        self.selection = selection
        b = renderer.bundle
        self._H, self._P, self._K, self._d = b.height, b.tile_width, b.tiles_per_interval, b.interval_width
        self._half = min(self._P, b.frame_width // 2)  # columns shown each side of the anchor
        self.thumb_w = max(24, round(2 * self._half * THUMB_H / self._H))
        self.level = max(0, min(renderer.mip_levels, int(math.floor(math.log2(max(1.0, self._H / THUMB_H))))))
        self.slots = SlotLayout(self._d, self.slot_width())  # the window hands it to the ruler too
        self.menu_actions: list = []  # QActions for the context menu (set by the main window)
        self._keys: dict[int, tuple] = {}
        self._images = ImageCache(32 * 2 ** 20)
        self._wanted: set = set()
        self._requested = None
        self._press = self._drag_target = None
        self._drag_x = 0.0
        self._scroll_timer = QTimer(self, interval=30)  # scrolls while a dragged anchor rests at an edge
        self._scroll_timer.timeout.connect(self._auto_scroll)
        self._bridge = PatchBridge(self)
        self._bridge.patch_ready.connect(self._on_patch)
        camera.subscribe(self._on_camera)
        scene.subscribe(self._on_scene)
        selection.subscribe(self._on_selection)
        self.setFixedHeight(TOP + THUMB_H + 36)
        self.setMouseTracking(False)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

    def close_view(self) -> None:
        detach(self._bridge, self.scene, self._on_scene)
        self.camera.unsubscribe(self._on_camera)
        self.selection.unsubscribe(self._on_selection)

    # ------------------------------------------------------------------ layout
    def seed_font(self) -> QFont:
        """The labels' font: a point smaller than the widget's."""
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() - 1))
        return font

    def slot_width(self) -> int:
        """A slot's room: its thumbnail, or the longest seed if that is wider (never cut: "3964924...")."""
        longest = QFontMetrics(self.seed_font()).horizontalAdvance(str(SEED_LIMIT - 1)) + 4
        return max(self.thumb_w, longest)

    def spacing_scale(self) -> float:
        """Screen pixels per model pixel along the timeline (layout.SlotLayout)."""
        return self.slots.spacing_scale(self.camera.scale)

    def anchor_x(self, i: int) -> float:
        return self.slots.anchor_x(i, self.camera, self.width())

    def anchor_at(self, sx: float) -> int:
        """The anchor whose slot centre is nearest to screen x `sx`."""
        return self.slots.anchor_at(sx, self.camera, self.width())

    def anchor_range(self) -> tuple[int, int]:
        return self.slots.anchor_range(self.camera, self.width())

    def slot_rect(self, i: int) -> QRect:
        return QRect(round(self.anchor_x(i) - self.thumb_w / 2), TOP, self.thumb_w, THUMB_H)

    def slot_at(self, pos: QPoint) -> int | None:
        i = self.anchor_at(pos.x())
        return i if self.slot_rect(i).adjusted(-GAP // 2, -TOP, GAP // 2, 30).contains(pos) else None

    # ------------------------------------------------------------------ selection
    def _on_selection(self, _selection) -> None:
        self.update()

    # ------------------------------------------------------------------ thumbnails
    def thumb_keys(self, i: int) -> tuple:
        keys = self._keys.get(i)
        if keys is None:
            p = i * self._K
            keys = self._keys[i] = (self.renderer.key(self.scene, p - 1), self.renderer.key(self.scene, p))
        return keys

    def _on_scene(self, _scene) -> None:
        self._keys.clear()
        self._requested = None
        self._request()
        self.update()

    def _on_camera(self, _camera) -> None:
        self._request()
        self.update()

    def _request(self) -> None:
        i0, i1 = self.anchor_range()
        if self._requested == (i0, i1):
            return
        self._requested = (i0, i1)
        if len(self._keys) > 4 * (i1 - i0) + 64:
            self._keys = {i: k for i, k in self._keys.items() if i0 - 8 <= i <= i1 + 8}
        keys = [k for i in range(i0, i1 + 1) for k in self.thumb_keys(i)]
        self._wanted = set(keys)
        self.renderer.submit([k for k in keys if k not in self.renderer.cache], on_patch=self._bridge.on_patch,
                             tag="timeline", priority=THUMBNAILS)  # after the view's own patches

    def _on_patch(self, key) -> None:
        if key in self._wanted:
            self.update()

    def resizeEvent(self, event) -> None:
        self._request()
        super().resizeEvent(event)

    # ------------------------------------------------------------------ painting
    def paintEvent(self, _event) -> None:
        qp = QPainter(self)
        qp.fillRect(self.rect(), BG)
        qp.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        v, ts = self.camera, self.spacing_scale()
        if abs(ts / v.scale - 1) > 0.01:  # the part of the timeline that the viewport shows
            a = self.width() / 2 + (v.x0 - v.center_x()) * ts
            qp.fillRect(QRectF(a, 0, self.width() / v.scale * ts, self.height()), BAND)
        qp.setFont(self.seed_font())
        i0, i1 = self.anchor_range()
        for i in range(i0, i1 + 1):
            self._paint_slot(qp, i)
        if self._drag_target is not None and self._press is not None:
            r = self.slot_rect(self._drag_target)
            qp.setPen(QPen(ACCENT, 2, Qt.PenStyle.DashLine))
            qp.drawRect(r.adjusted(-3, -3, 3, 3))
        qp.end()

    def _paint_slot(self, qp: QPainter, i: int) -> None:
        r = self.slot_rect(i)
        qp.fillRect(r, SLOT)
        half = r.width() // 2
        cols = self._half >> self.level  # the tile's columns next to the anchor, at this mip level
        for j, key in enumerate(self.thumb_keys(i)):
            img = patch_image(self.renderer, self._images, key, self.level)
            if img is not None:
                src = QRect(img.width() - cols if j == 0 else 0, 0, cols, img.height())
                qp.drawImage(QRect(r.x() + j * half, r.y(), r.width() - half if j else half, r.height()), img, src)
        spec = self.scene.anchor(i)
        custom = self.scene.is_overridden(i)
        if i == self.selection.anchor:
            qp.setPen(QPen(ACCENT, 3))
            qp.drawRect(r.adjusted(-2, -2, 2, 2))
        elif spec.pinned:
            qp.setPen(QPen(PIN, 1))
            qp.drawRect(r.adjusted(-1, -1, 1, 1))
        if spec.pinned:
            qp.setBrush(QBrush(PIN))
            qp.setPen(QPen(QColor(0, 0, 0, 160), 1))
            qp.drawEllipse(QRectF(r.right() - 11, r.y() + 3, 9, 9))
            qp.setBrush(Qt.BrushStyle.NoBrush)
        qp.setPen(QPen(ACCENT_TEXT if i == self.selection.anchor else TEXT))
        qp.drawText(QRect(r.x() - GAP // 2, r.bottom() + 4, r.width() + GAP, 14), Qt.AlignmentFlag.AlignHCenter,
                    f"#{self.scene.canonical(i)}")
        qp.setPen(QPen(PIN if custom else SEED_TEXT))
        text = str(spec.seed) if spec.seed is not None else "custom w"
        room = self.label_width()
        text = qp.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, room)
        qp.drawText(QRect(round(r.center().x() - room / 2), r.bottom() + 17, room, 14), Qt.AlignmentFlag.AlignHCenter,
                    text)

    def label_width(self) -> int:
        """Room for a slot's labels: the whole distance to the next slot, not just the thumbnail."""
        return max(self.slots.slot_width + GAP, int(self._d * self.spacing_scale())) - 4

    # ------------------------------------------------------------------ input
    def mousePressEvent(self, event) -> None:
        i = self.slot_at(event.position().toPoint())
        if i is None:
            return
        self.selection.select(i)
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = (i, event.position().x())

    def mouseMoveEvent(self, event) -> None:
        if self._press is None:
            return
        src, x = self._press
        if self._drag_target is not None or abs(event.position().x() - x) > 8:
            self._drag_x = event.position().x()
            self._drag_target = self.anchor_at(self._drag_x)
            self.setCursor(Qt.CursorShape.DragMoveCursor)
            if self._edge_push() and not self._scroll_timer.isActive():
                self._scroll_timer.start()
            self.update()

    def _edge_push(self) -> float:
        """-1..1: how far into the left (negative) or right edge zone the dragged anchor is."""
        x = self._drag_x
        if x < EDGE:
            return -min(1.0, (EDGE - x) / EDGE)
        if x > self.width() - EDGE:
            return min(1.0, (x - self.width() + EDGE) / EDGE)
        return 0.0

    def _auto_scroll(self) -> None:
        push = self._edge_push() if self._drag_target is not None else 0.0
        if not push:
            self._scroll_timer.stop()
            return
        self.camera.set(x0=self.camera.x0 + push * SCROLL_PX / self.spacing_scale())
        self._drag_target = self.anchor_at(self._drag_x)
        self.update()

    def mouseReleaseEvent(self, event) -> None:
        press, target = self._press, self._drag_target
        self._press = self._drag_target = None
        self._scroll_timer.stop()
        self.unsetCursor()
        if press is not None and target is not None and target != press[0]:
            if self.editor.move(press[0], target):
                self.selection.select(target)
        self.update()

    def mouseDoubleClickEvent(self, event) -> None:
        i = self.slot_at(event.position().toPoint())
        if i is not None:
            self.activated.emit(i)

    def contextMenuEvent(self, event) -> None:
        i = self.slot_at(event.pos())
        if i is None or not self.menu_actions:
            return
        self.selection.select(i)
        menu = QMenu(self)
        for a in self.menu_actions:
            menu.addSeparator() if a is None else menu.addAction(a)
        menu.exec(event.globalPos())

    def wheelEvent(self, event) -> None:
        """The wheel scrolls the view by one anchor interval per notch."""
        delta = event.angleDelta()
        steps = (delta.y() or delta.x()) / 120
        self.camera.set(x0=self.camera.x0 - steps * self._d)
        event.accept()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.FontChange:  # the longest seed's width, for the slots
            self.slots.slot_width = self.slot_width()
            self.update()
        super().changeEvent(event)

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            i = self.slot_at(event.pos())
            if i is not None:
                QToolTip.showText(event.globalPos(), describe(self.scene, i), self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def closeEvent(self, event) -> None:
        self.close_view()
        super().closeEvent(event)


def seed_label(spec) -> str:
    return f"seed {spec.seed}" if spec.seed is not None else "custom w"


def describe(scene, i: int) -> str:
    spec = scene.anchor(i)
    origin = "set by you" if scene.is_overridden(i) else "the scene's default"
    lines = [f"Anchor #{scene.canonical(i)}", f"{seed_label(spec)} ({origin})"]
    if spec.pinned:
        lines.append("pinned: kept through Resample Unpinned")
    return "\n".join(lines)
