"""A terminal progress bar with rate and ETA (stderr), shared by the CLI's long commands.

A bar redraws one line in place ("\r...") and leaves it open; whatever is printed next must start
on a line of its own: `StatusLine.message` ends it first, and the CLI calls `end_lines()` before
its error line.
"""
from __future__ import annotations

import sys
import time

_open_lines: set = set()  # streams whose last write is a status line without its newline (this module's)


def end_lines() -> None:
    """End every status line left open (a bar interrupted by an error), so the next line starts anew."""
    for stream in list(_open_lines):
        _open_lines.discard(stream)
        try:
            stream.write("\n")
            stream.flush()
        except (OSError, ValueError):  # a closed or broken stream: nothing more to tidy
            pass


class StatusLine:
    """One line redrawn in place on `stream` (stderr by default). `with` ends it however the block stops."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr

    def draw(self, text: str) -> None:
        self.stream.write("\r" + text)
        self.stream.flush()
        _open_lines.add(self.stream)

    def end(self) -> None:
        """Finish the drawn line with a newline (nothing when none is open)."""
        if self.stream in _open_lines:
            _open_lines.discard(self.stream)
            self.stream.write("\n")
            self.stream.flush()

    def message(self, line: str) -> None:
        """A line of its own between redraws: on a terminal it replaces the bar, elsewhere follows it."""
        tty = getattr(self.stream, "isatty", lambda: False)()
        if tty and self.stream in _open_lines:
            _open_lines.discard(self.stream)
            self.stream.write("\r\033[K")
        self.end()
        self.stream.write(line + "\n")
        self.stream.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.end()


def fmt_time(s: float) -> str:
    """Seconds as m:ss, or h:mm:ss from an hour."""
    s = int(max(0, s))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def bar(frac: float, width: int) -> str:
    """The bar itself: `width` characters, '#' for the part done, '.' for the rest."""
    fill = int(min(1.0, max(0.0, frac)) * width)
    return "#" * fill + "." * (width - fill)


class ProgressBar(StatusLine):
    """`bar(done, total)` redraws at most 10 times a second; `unit_scale` turns units into e.g. Mpx."""

    def __init__(self, label: str, unit: str = "", unit_scale: float = 1.0, stream=None, width: int = 24):
        super().__init__(stream)
        self.label, self.unit, self.scale, self.width = label, unit, unit_scale, width
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
        line = (f"{self.label} [{bar(frac, self.width)}] {frac:4.0%} "
                f"{done * self.scale:.{nd}f}/{total * self.scale:.{nd}f}{u}  {rate:.2f}{u}/s  "
                f"{'in ' + fmt_time(el) if done >= total else 'ETA ' + (fmt_time(eta) if eta is not None else '-:--')}")
        self.draw(line)
        if done >= total:
            self.end()
