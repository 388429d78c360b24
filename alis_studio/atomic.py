"""Never a half-written file under its final name: write beside it, rename at the end.

The temporary is `.NAME.XXXXXXXX<suffix>` beside the target NAME (hidden; XXXXXXXX is mkstemp's
random part). A process killed mid-write leaves it behind: `stale_temporaries` finds those by the
same naming, for the owner of a folder to remove.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

_RANDOM = "[a-z0-9_]" * 8  # tempfile.mkstemp's random part (8 of these characters)


def temp_prefix(name: str) -> str:
    """How atomic_write's temporaries for a target called `name` begin."""
    return f".{name}."


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, *, suffix: str = ".part"):
    """Yield a temporary path in `path`'s folder; on success rename it over `path` (atomic within one
    filesystem), on any failure, cancel or Ctrl-C delete it. OSErrors reach the caller unchanged."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path.name), suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def stale_temporaries(folder: str | os.PathLike, name: str) -> list[Path]:
    """atomic_write's temporaries in `folder` for targets matching `name` (a glob such as
    "network-*.pt"), whatever their suffix. Only stale where no other process writes there now."""
    return sorted(p for p in Path(folder).glob(f"{temp_prefix(name)}{_RANDOM}*") if p.is_file())
