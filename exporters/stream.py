"""Column pieces in, statistics out: what every writer shares (timing, progress, cancel)."""
from __future__ import annotations

import dataclasses
import time
from typing import Callable, Iterable

import numpy as np

from alis_studio.errors import Cancelled


@dataclasses.dataclass
class WriteStats:
    """What a write did: sizes and where the time went (the source's share is the generator's)."""

    width: int
    height: int
    levels: list[tuple[int, int]]  # (width, height) of each page, base first
    bytes: int = 0
    seconds: float = 0.0
    source_seconds: float = 0.0  # time spent waiting for pieces (the generator)

    @property
    def writer_seconds(self) -> float:
        return max(0.0, self.seconds - self.source_seconds)

    @property
    def writer_share(self) -> float:
        """Fraction of the wall time spent writing rather than waiting for pieces."""
        return self.writer_seconds / self.seconds if self.seconds > 0 else 0.0


class TimedPieces:
    """Iterate the caller's (H, w, 3) pieces, timing the waits, reporting progress, checking cancel.

    Progress counts columns; `measure(item)` counts something else (a video: 1 per frame).
    """

    def __init__(self, pieces: Iterable[np.ndarray], width: int, stats: WriteStats,
                 progress: Callable[[int, int], None] | None, cancel: Callable[[], bool] | None,
                 measure: Callable[[np.ndarray], int] | None = None):
        self._it, self.width, self.stats = iter(pieces), int(width), stats
        self.progress, self.cancel, self.done = progress, cancel, 0
        self.measure = measure or (lambda piece: piece.shape[1] if getattr(piece, "ndim", 0) == 3 else 0)

    def __iter__(self):
        return self

    def __next__(self) -> np.ndarray:
        if self.cancel and self.cancel():
            raise Cancelled()
        t = time.perf_counter()
        try:
            piece = next(self._it)
        finally:
            self.stats.source_seconds += time.perf_counter() - t
        self.done += self.measure(piece)
        if self.progress:
            self.progress(min(self.done, self.width), self.width)
        return piece

    def check_exhausted(self) -> None:
        """After the write: exactly `width` columns, and a source that ends there."""
        if self.done != self.width:
            raise ValueError(f"the source gave {self.done} columns (or frames), expected {self.width}")
        t = time.perf_counter()
        extra = next(self._it, None)
        self.stats.source_seconds += time.perf_counter() - t
        if extra is not None:
            raise ValueError(f"the pieces run past the image width {self.width}")
