"""A window onto a stream of column pieces: the one buffer the streaming writers share.

The renderer hands a panorama over as (H, w, 3) uint8 pieces, left to right, of any widths. The
resampler, the fly-through camera, the Deep Zoom bands and the TIFF tiles each need a window of
columns that moves right: read pieces until the window's right end is there, use it, forget the
columns left of it. Memory is the window plus one piece, whatever the width of the panorama.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np


class ColumnBuffer:
    """Panorama columns [start, end) read so far from `pieces`, held as one (H, n, 3) array.

    start: the panorama column of the first piece's first column. Pieces are read only when
    `fill` asks for columns not yet here, never past the first piece that reaches them.
    """

    def __init__(self, pieces: Iterable[np.ndarray], start: int = 0):
        self._it = iter(pieces)
        self.data: np.ndarray | None = None  # (H, end - start, 3); None before the first piece
        self.start = int(start)
        self.ended = False  # the pieces have run out (never read from them again)

    @property
    def end(self) -> int:
        """The column past the last one read."""
        return self.start + (0 if self.data is None else self.data.shape[1])

    def fill(self, end: int) -> bool:
        """Read pieces until the buffer reaches column `end`; False when they run out first."""
        parts = [] if self.data is None else [self.data]
        have = self.end
        while have < end and not self.ended:
            piece = next(self._it, None)
            if piece is None:
                self.ended = True
                break
            parts.append(piece)
            have += piece.shape[1]
        if len(parts) > (self.data is not None):  # one copy per fill, only when something came
            self.data = np.concatenate(parts, axis=1)
        return have >= end

    def window(self, lo: int, hi: int) -> np.ndarray:
        """Columns [lo, hi) as a view (lo >= start, hi <= end)."""
        return self.data[:, lo - self.start:hi - self.start]

    def drop(self, column: int) -> None:
        """Forget the columns left of `column` (none when it is at or before `start`)."""
        n = max(0, int(column) - self.start)
        if n and self.data is not None:
            self.data, self.start = self.data[:, n:], self.start + n

    def exhausted(self) -> bool:
        """True when no piece is left to read (reads one more piece to know, unless they ended)."""
        if not self.ended and next(self._it, None) is not None:
            return False
        self.ended = True
        return True
