"""A terminal progress bar with rate and ETA (stderr), shared by the CLI's long commands."""
from __future__ import annotations

import sys
import time


def fmt_time(s: float) -> str:
    """Seconds as m:ss, or h:mm:ss from an hour."""
    s = int(max(0, s))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def bar(frac: float, width: int) -> str:
    """The bar itself: `width` characters, '#' for the part done, '.' for the rest."""
    fill = int(min(1.0, max(0.0, frac)) * width)
    return "#" * fill + "." * (width - fill)


class ProgressBar:
    """`bar(done, total)` redraws at most 10 times a second; `unit_scale` turns units into e.g. Mpx."""

    def __init__(self, label: str, unit: str = "", unit_scale: float = 1.0, stream=None, width: int = 24):
        self.label, self.unit, self.scale, self.width = label, unit, unit_scale, width
        self.stream = stream or sys.stderr
        self.t0, self._last = time.perf_counter(), 0.0
        self._first: tuple[float, int] | None = None  # (time, done) of the first report

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if self._first is None:
            self._first = (now, done)
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        el = now - self.t0
        frac = done / total if total else 1.0
        # the rate since the first report: start-up (model load, warm-up) is not work still to come
        t1, d1 = self._first
        steady = (done - d1) / (now - t1) if done > d1 and now > t1 else 0.0
        rate = steady * self.scale if steady else (done * self.scale / el if el > 0 else 0.0)
        eta = (total - done) / steady if steady else None  # no guess before a second report
        u = f" {self.unit}" if self.unit else ""
        nd = 0 if total * self.scale >= 100 else 2
        line = (f"\r{self.label} [{bar(frac, self.width)}] {frac:4.0%} "
                f"{done * self.scale:.{nd}f}/{total * self.scale:.{nd}f}{u}  {rate:.2f}{u}/s  "
                f"{'in ' + fmt_time(el) if done >= total else 'ETA ' + (fmt_time(eta) if eta is not None else '-:--')}")
        self.stream.write(line)
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()
