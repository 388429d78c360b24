"""Never a half-written file under its final name: write beside it, rename at the end."""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, *, suffix: str = ".part"):
    """Yield a temporary path in `path`'s folder; on success rename it over `path` (atomic within one
    filesystem), on any failure, cancel or Ctrl-C delete it. OSErrors reach the caller unchanged."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
