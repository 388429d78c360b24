"""The target of an export: checked before any work starts (check_target), OS errors met while writing
it said in one line (os_error_message), and written to a temporary file beside it that is renamed at
the end (atomic_path, on alis_studio.atomic's atomic_write): never a partial final file.

On success the temporary file is renamed over the target (same folder, so the rename is atomic);
on an error, a cancel or Ctrl-C it is deleted and the target is untouched.
"""
from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

from alis_studio.atomic import atomic_write
from alis_studio.errors import ExportError

TEMP_SUFFIX = ".part"


def check_target(path: Path, *, overwrite: bool) -> None:
    """One-line errors for targets we cannot or must not write, before any work starts."""
    path = Path(path)
    if path.is_dir():
        raise ExportError(f"{path}: is a folder")
    if path.exists() and not overwrite:
        raise ExportError(f"{path}: already exists (pass --overwrite to replace it)")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ExportError(f"{path}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise ExportError(f"{path}: the folder {parent} is not writable")
    try:  # os.access says yes to root and on some network disks: try it for real
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise ExportError(os_error_message(path, e)) from None


def os_error_message(path: Path, e: OSError) -> str:
    """One line for an OSError met while writing `path`."""
    short_write = e.errno is None and "written" in str(e)  # a buffered write cut short: the disk filled up
    if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or short_write:
        return f"{path}: the disk is full or the file is too large ({e.strerror or 'short write'})"
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{path}: not writable ({e.strerror})"
    return f"{path}: cannot write ({e.strerror or e})"


@contextlib.contextmanager
def atomic_path(path: Path, *, overwrite: bool):
    """Yield a temporary path beside `path`; on success rename it over `path`, on any failure delete it."""
    path = Path(path)
    check_target(path, overwrite=overwrite)
    try:
        with atomic_write(path, suffix=TEMP_SUFFIX) as tmp:
            yield tmp
            if not overwrite and path.exists():
                raise ExportError(f"{path}: appeared while exporting; not replaced")
    except OSError as e:
        raise ExportError(os_error_message(path, e)) from None
