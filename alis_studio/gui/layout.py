"""Where the timeline's anchor slots sit on a strip of a given width, from the camera: the one place
for that maths, which the timeline draws and hit-tests with and the ruler ties its ticks to. No Qt."""
from __future__ import annotations

import math

from alis_studio.engine.camera import Camera

GAP = 14  # px between neighbouring slots at least
MAX_SPACING = 160  # px between anchors at most: zoomed far in, the timeline still shows the neighbours


class SlotLayout:
    """Anchor slots `interval` model px apart, each `slot_width` px wide (the timeline keeps that
    current: it depends on its font), centred on the camera's centre column."""

    def __init__(self, interval: int, slot_width: float):
        self.interval, self.slot_width = int(interval), float(slot_width)

    def spacing_scale(self, scale: float) -> float:
        """Screen pixels per model pixel along the slots: the view's `scale` (so anchors sit under
        their place in the view) as long as slots neither overlap nor drift further apart than
        MAX_SPACING."""
        lo = (self.slot_width + GAP) / self.interval
        return max(lo, min(scale, max(lo, MAX_SPACING / self.interval)))

    def anchor_x(self, i: int, camera: Camera, width: float) -> float:
        """The centre of anchor i's slot on a strip `width` px wide."""
        return width / 2 + (i * self.interval - camera.center_x()) * self.spacing_scale(camera.scale)

    def anchor_at(self, sx: float, camera: Camera, width: float) -> int:
        """The anchor whose slot centre is nearest to strip x `sx`."""
        d = self.interval
        return round((camera.center_x() + (sx - width / 2) / self.spacing_scale(camera.scale)) / d)

    def anchor_range(self, camera: Camera, width: float) -> tuple[int, int]:
        """The first and last anchor with a slot (even in part) on the strip, one more each side."""
        half = width / 2 / self.spacing_scale(camera.scale)
        c, d = camera.center_x(), self.interval
        return math.floor((c - half) / d) - 1, math.ceil((c + half) / d) + 1
