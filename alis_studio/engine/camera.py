"""The camera: which part of the infinite panorama the window shows. One evented model, like the
scene: the viewport draws from it and writes the user's input into it, the overview strip, ruler
and timeline follow it and move it, and the session file saves it as its "view" (DESIGN.md 3.2).

State: `x0` is the panorama column (model pixels, float) at the left edge of the screen, `scale` the
screen pixels per model pixel, `cy` the model row at the vertical centre (only matters when zoomed in
past the height of the screen). With `fit` on, the scale follows the screen so the panorama fills its
height, or (`fit_cap`, the first view) fills it only up to that magnification, so model pixels stay
crisp. The screen is the viewport's size in pixels (`resize`), which the fit and the clamps depend on.

A plain evented object (engine/events.py's Observable: once per real change, never for a no-op, a
compound move notifies once); it knows no Qt. Camera moves are not scene edits: they are not undo steps.
"""
from __future__ import annotations

import math

from alis_studio.engine.events import Observable

MIN_SCALE, ZOOM_IN_LIMIT = 1 / 8, 4.0
CRISP_MAX = 2.0  # the first view magnifies model pixels at most this much (a 64 px model: 128 px tall)

_KEEP = object()  # "leave fit_cap as it is" (None is a value: no cap)


class Camera(Observable):
    """x0, scale, cy, fit and fit_cap over a panorama `height` model pixels tall, seen on a screen of
    `width` x `screen_height` pixels. Mutate only through methods; `subscribe` to hear of changes."""

    def __init__(self, height: int = 64, width: float = 0.0, screen_height: float = 0.0):
        super().__init__()
        self._H = int(height)
        self._w, self._h = float(width), float(screen_height)
        self._x0, self._scale, self._cy, self._fit = 0.0, 1.0, self._H / 2, True
        self._fit_cap: float | None = None

    def _state(self) -> tuple:
        return self._x0, self._scale, self._cy, self._fit, self._fit_cap, self._w, self._h, self._H

    # ---------------------------------------------------------------- reading
    @property
    def x0(self) -> float:
        return self._x0

    @property
    def scale(self) -> float:
        return self._scale

    @property
    def cy(self) -> float:
        return self._cy

    @property
    def fit(self) -> bool:
        return self._fit

    @property
    def fit_cap(self) -> float | None:
        return self._fit_cap

    @property
    def height(self) -> int:
        """The panorama's height in model pixels."""
        return self._H

    @property
    def width(self) -> float:
        """The screen's width in pixels (the viewport's)."""
        return self._w

    @property
    def screen_height(self) -> float:
        return self._h

    def fit_scale(self) -> float:
        """The scale at which the panorama fills the screen's height."""
        return max(MIN_SCALE, self._h / self._H)

    def max_scale(self) -> float:
        return max(ZOOM_IN_LIMIT, self.fit_scale())

    def span(self) -> float:
        """Model columns across the screen."""
        return self._w / self._scale

    def center_x(self) -> float:
        return self._x0 + self._w / (2 * self._scale)

    def to_model_x(self, sx: float) -> float:
        return self._x0 + sx / self._scale

    def to_screen_x(self, x: float) -> float:
        return (x - self._x0) * self._scale

    def top(self) -> float:
        """Screen y of the panorama's top row."""
        return self._h / 2 - self._cy * self._scale

    def patch_range(self, tile_width: int) -> tuple[int, int]:
        """Global patches [p0, p1) of `tile_width` columns that intersect the screen."""
        return math.floor(self._x0 / tile_width), math.ceil((self._x0 + self.span()) / tile_width)

    def visible_range(self) -> tuple[int, int]:
        """(x0, width) in whole model pixels covering what the screen shows."""
        x0 = math.floor(self._x0)
        return x0, max(1, math.ceil(self._x0 + self.span()) - x0)

    # ---------------------------------------------------------------- moving
    def set(self, x0: float | None = None, scale: float | None = None, cy: float | None = None,
            fit: bool | None = None, fit_cap=_KEEP) -> bool:
        """Set any of the state; the scale is clamped to [MIN_SCALE, max_scale()] (the fit scale with
        `fit` on) and cy so the panorama covers the screen's height where it can. True if it moved."""
        def apply():
            if fit is not None:
                self._fit = bool(fit)
            if fit_cap is not _KEEP:
                self._fit_cap = None if fit_cap is None else float(fit_cap)
            if scale is not None:
                self._scale = min(self.max_scale(), max(MIN_SCALE, float(scale)))
            if self._fit:
                fs = self.fit_scale()
                self._scale = fs if self._fit_cap is None else max(MIN_SCALE, min(self._fit_cap, fs))
            if x0 is not None:
                self._x0 = float(x0)
            half = self._h / (2 * self._scale)
            c = self._cy if cy is None else float(cy)
            self._cy = self._H / 2 if 2 * half >= self._H else min(self._H - half, max(half, c))
        return self._apply(apply)

    def resize(self, width: float, screen_height: float, keep_center: bool = True) -> bool:
        """The screen (the viewport) changed size: refit; with `fit` on (and `keep_center`), the
        column at the centre stays there."""
        def apply():
            c = self.center_x() if keep_center and self._w > 0 else None
            self._w, self._h = float(width), float(screen_height)
            self.set()
            if c is not None and self._fit:
                self.center_on(c)
        return self._apply(apply)

    def set_height(self, height: int) -> bool:
        """Another model: the panorama is `height` model pixels tall."""
        def apply():
            self._H = int(height)
            self.set()
        return self._apply(apply)

    def pan_pixels(self, dx: float, dy: float = 0.0) -> bool:
        """Move the content by (dx, dy) screen pixels (positive dx: the content moves right)."""
        return self.set(x0=self._x0 - dx / self._scale, cy=self._cy - dy / self._scale)

    def zoom_at(self, factor: float, sx: float | None = None) -> bool:
        """Zoom by `factor` keeping the column under screen x `sx` (default: the centre) in place."""
        sx = self._w / 2 if sx is None else sx
        x = self.to_model_x(sx)

        def apply():
            self._fit = False
            scale = min(self.max_scale(), max(MIN_SCALE, self._scale * factor))
            self.set(x0=x - sx / scale, scale=scale)
        return self._apply(apply)

    def center_on(self, x: float) -> bool:
        """Put column x at the centre of the screen."""
        return self.set(x0=x - self._w / (2 * self._scale))

    def fit_height(self) -> bool:
        """Fill the screen's height (and follow it), keeping the centre."""
        return self._refit(None)

    def crisp_view(self) -> bool:
        """Fill the height, but magnify model pixels at most CRISP_MAX times (the first view)."""
        return self._refit(CRISP_MAX)

    def _refit(self, cap: float | None) -> bool:
        c = self.center_x()

        def apply():
            self.set(fit=True, fit_cap=cap)
            self.center_on(c)
        return self._apply(apply)

    def first_view(self) -> bool:
        """The view a model or a session without a "view" opens at: the crisp fit (CRISP_MAX) with
        the origin centred, as Home (Go to Origin) centres it."""
        def apply():
            self.set(fit=True, fit_cap=CRISP_MAX)
            self.center_on(0.0)
        return self._apply(apply)

    def actual_size(self) -> bool:
        """One screen pixel per model pixel, about the centre."""
        return self.zoom_at(1.0 / self._scale)

    # ---------------------------------------------------------------- the session's "view"
    def to_dict(self) -> dict:
        return {"x0": round(self._x0, 3), "scale": round(self._scale, 6), "cy": round(self._cy, 3), "fit": self._fit,
                "fit_cap": self._fit_cap}

    def restore(self, state: dict) -> bool:
        """Take the state of `to_dict()` (a session's "view"). An empty one (a new session, a file
        without a view) or a damaged one gives the first view (`first_view`); otherwise missing
        keys keep their value, and a missing `fit_cap` is no cap (views saved before it existed)."""
        if not state or not isinstance(state, dict):
            return self.first_view()
        try:
            cap = state.get("fit_cap")
            values = dict(x0=float(state.get("x0", 0.0)), scale=float(state.get("scale", self._scale)),
                          cy=float(state.get("cy", self._cy)), fit=bool(state.get("fit", True)),
                          fit_cap=None if cap is None else max(MIN_SCALE, float(cap)))
            if not all(math.isfinite(v) for k, v in values.items() if k not in ("fit", "fit_cap")):
                raise ValueError("not a finite number")
        except (TypeError, ValueError, AttributeError, OverflowError):
            return self.first_view()
        return self.set(**values)

    @classmethod
    def from_dict(cls, state: dict, height: int = 64, width: float = 0.0, screen_height: float = 0.0) -> "Camera":
        camera = cls(height, width, screen_height)
        camera.restore(state)
        return camera
