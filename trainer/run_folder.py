"""A run's folder: the names of what a run writes there, making it, and removing what killed
writes left behind (atomic_write's temporaries, each up to a checkpoint's size)."""
from __future__ import annotations

import re
from pathlib import Path

from alis_studio.errors import UserError

CHECKPOINT = "checkpoint.pt"
BUNDLE = "model.alis"
SNAPSHOT = "snapshots/network-{kimg:06d}kimg-step{step:07d}.pt"  # a slim checkpoint per snapshot
SAMPLE = "samples/fakes-{kimg:06d}kimg-step{step:07d}.png"


def make_run_dir(path: Path) -> None:
    """The run folder, made if missing; one line when --out is a file or cannot be made."""
    if path.exists() and not path.is_dir():
        raise UserError(f"{path}: is a file; --out is the run folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"{path}: cannot make the run folder ({e.strerror or e})") from None


def stale_temporaries(run_dir: Path, with_cache: bool) -> list[Path]:
    """What killed writes of a run left in its folder: atomic_write's temporaries of the files the run
    writes (checkpoint, bundle, snapshots, samples; the dataset cache when it is kept there)."""
    from alis_studio import atomic
    from alis_studio.evaluation.datasets import CACHE_GLOB

    found = []
    for name in [CHECKPOINT, BUNDLE, SNAPSHOT, SAMPLE] + ([CACHE_GLOB] if with_cache else []):
        glob = Path(re.sub(r"\{[^}]*\}", "*", name))  # "snapshots/network-*kimg-step*.pt"
        found += atomic.stale_temporaries(run_dir / glob.parent, glob.name)
    return found


def remove_stale_temporaries(run_dir: Path, with_cache: bool) -> str | None:
    """Delete `stale_temporaries`; returns the line that says so, or None when there were none."""
    stale = stale_temporaries(run_dir, with_cache)
    if not stale:
        return None
    size = sum(p.stat().st_size for p in stale)
    for p in stale:
        p.unlink(missing_ok=True)
    amount = f"{size / 1e9:.1f} GB" if size >= 1e8 else f"{size / 1e6:.1f} MB" if size >= 1e5 else f"{size / 1e3:.1f} kB"
    return f"removed {len(stale)} temporary files of interrupted writes from {run_dir} ({amount})"
