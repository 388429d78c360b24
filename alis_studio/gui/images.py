"""Patches to Qt images: numpy -> QImage, a GUI-side image cache, and the bridge that brings the
renderer's worker-thread callbacks onto the GUI thread."""
from __future__ import annotations

import math
import sys

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from alis_studio.engine.caches import ByteLRU


def to_qimage(pixels: np.ndarray) -> QImage:
    """(H, W, 3) uint8 -> a QImage in the fastest format to draw (RGB32) that owns its pixels."""
    h, w, _ = pixels.shape
    rgb = np.ascontiguousarray(pixels)
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).convertToFormat(
        QImage.Format.Format_RGB32)


def to_numpy(image: QImage) -> np.ndarray:
    """A QImage -> (H, W, 3) uint8 RGB copy (tests, PNG export)."""
    img = image.convertToFormat(QImage.Format.Format_RGB888)
    h, w, stride = img.height(), img.width(), img.bytesPerLine()
    buf = np.frombuffer(img.constBits(), np.uint8, count=h * stride).reshape(h, stride)
    return buf[:, :3 * w].reshape(h, w, 3).copy()


class ImageCache(ByteLRU):
    """LRU of converted QImages, bounded in bytes, so a repaint never converts a patch twice (GUI
    thread only: no lock). An image larger than the whole bound is not kept."""

    def __init__(self, max_bytes: int = 96 * 2 ** 20):
        super().__init__(max_bytes, QImage.sizeInBytes)


class PatchBridge(QObject):
    """Renderer callbacks run on worker threads; this re-emits them as queued Qt signals.

    Pass `bridge.on_patch` / `bridge.on_done` to `Renderer.submit`. After `close()` (the owning
    widget is gone) callbacks are ignored, so a late worker never touches a deleted object.
    """

    patch_ready = Signal(object)  # PatchKey
    request_done = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.alive = True

    def on_patch(self, key) -> None:
        if self.alive:
            try:
                self.patch_ready.emit(key)
            except RuntimeError:  # the C++ object was deleted under us
                self.alive = False

    def on_done(self) -> None:
        if self.alive:
            try:
                self.request_done.emit()
            except RuntimeError:
                self.alive = False

    def close(self) -> None:
        self.alive = False


def detach(bridge: PatchBridge, scene, on_scene) -> None:
    """A view's close: ignore the renderer's late callbacks, stop following the scene (twice is harmless)."""
    bridge.close()
    scene.unsubscribe(on_scene)  # (Observable: unsubscribing twice is harmless)


def mip_level(scale: float, coarsest: int) -> int:
    """The mip level to draw at `scale` screen px per model px: each level halves the patches."""
    return max(0, min(coarsest, int(math.floor(math.log2(1 / scale) + 1e-9))))


def patch_image(renderer, cache: ImageCache, key, level: int) -> QImage | None:
    """The patch of `key` at mip `level` as a QImage if the renderer has it, else None (no waiting)."""
    img = cache.get((key, level))
    if img is None and key in renderer.cache:
        pixels = renderer.get(key, level)
        if pixels is not None:
            img = to_qimage(pixels)
            cache.put((key, level), img)
    return img


# RGB32 is the format Qt draws fastest; in memory it is B, G, R, 255 on little-endian machines
_FAST = (QImage.Format.Format_RGB32, slice(None, None, -1)) if sys.byteorder == "little" else \
    (QImage.Format.Format_RGBX8888, slice(None))


class PatchStrip:
    """Patches [p0, p1) of one mip level side by side in one buffer that a QImage shares.

    Patches are written in place as they arrive, so a repaint never recomposes the view. `fresh`
    marks patches of the current scene, `stale` those kept from a previous scene while it re-renders.
    """

    def __init__(self, p0: int, p1: int, level: int, patch_width: int, height: int, epoch: int,
                 placeholder: tuple[int, int, int]):
        self.p0, self.p1, self.level, self.epoch = p0, p1, level, epoch
        self.pw, self.ph = patch_width >> level, height >> level
        self.pixels = np.empty((self.ph, (p1 - p0) * self.pw, 4), np.uint8)
        self.pixels[...] = [*placeholder[_FAST[1]], 255]
        self.fresh = np.zeros(p1 - p0, bool)
        self.stale = np.zeros(p1 - p0, bool)
        h, w = self.pixels.shape[:2]
        self.image = QImage(self.pixels.data, w, h, 4 * w, _FAST[0])  # no copy: writes show at once

    def covers(self, p0: int, p1: int, level: int, epoch: int) -> bool:
        return level == self.level and epoch == self.epoch and self.p0 <= p0 and p1 <= self.p1

    def put(self, p: int, rgb: np.ndarray, stale: bool = False) -> None:
        """Write patch p ((ph, pw, 3) uint8 RGB); `stale`: a stand-in until the right one comes."""
        j = p - self.p0
        self.pixels[:, j * self.pw:(j + 1) * self.pw, :3] = rgb[..., _FAST[1]]
        self.fresh[j], self.stale[j] = not stale, stale

    def inherit(self, old: "PatchStrip") -> None:
        """Take over the overlapping patches of `old`: fresh if `old` shows the same scene at this
        level, else stale (kept on screen until this strip's own patches arrive): another scene, or
        another level, resampled (zooming does not blank the view)."""
        a, b = max(self.p0, old.p0), min(self.p1, old.p1)
        if a >= b:
            return
        pixels = old.pixels[:, (a - old.p0) * old.pw:(b - old.p0) * old.pw]
        if old.level != self.level:  # nearest up, or every other pixel down: a stand-in only
            f = 2 ** abs(old.level - self.level)
            pixels = np.repeat(np.repeat(pixels, f, 0), f, 1) if old.level > self.level else pixels[::f, ::f]
        self.pixels[:, (a - self.p0) * self.pw:(b - self.p0) * self.pw] = pixels
        shown = old.fresh[a - old.p0:b - old.p0] | old.stale[a - old.p0:b - old.p0]
        if old.epoch == self.epoch and old.level == self.level:
            self.fresh[a - self.p0:b - self.p0] = old.fresh[a - old.p0:b - old.p0]
            self.stale[a - self.p0:b - self.p0] = old.stale[a - old.p0:b - old.p0]
        else:
            self.stale[a - self.p0:b - self.p0] = shown

    def blank(self, p0: int, p1: int) -> list[int]:
        """Patches in [p0, p1) with nothing to show yet."""
        j0, j1 = p0 - self.p0, p1 - self.p0
        return [self.p0 + j for j in np.flatnonzero(~(self.fresh[j0:j1] | self.stale[j0:j1])) + j0]

    def waiting(self, p0: int, p1: int) -> list[int]:
        """Patches in [p0, p1) still to come: blank ones and stand-ins."""
        j0, j1 = p0 - self.p0, p1 - self.p0
        return [self.p0 + j for j in np.flatnonzero(~self.fresh[j0:j1]) + j0]
