"""`alis-studio import-official CHECKPOINT.pkl OUT.alis` (alis_studio.cli.train registers it; torch is
imported only when it runs)."""
from __future__ import annotations

import argparse
from pathlib import Path

from alis_studio.errors import UserError


def add_parser(sub) -> None:
    p = sub.add_parser("import-official", help="convert an official ALIS checkpoint (e.g. lhq1024-snapshot.pkl) "
                       "to an .alis bundle; the pickle is read as data, no code in it runs")
    p.add_argument("checkpoint", help="the official StyleGAN2-ADA-style snapshot pickle")
    p.add_argument("out", help="the .alis bundle to write")
    p.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    p.set_defaults(run=run_import_official)


def run_import_official(args: argparse.Namespace) -> int:
    from alis_studio.progress import ProgressBar
    from alis_studio.trainer.cli import require_torch

    require_torch()
    from alis_studio.trainer.official_import import import_official

    if Path(args.out).exists() and not args.overwrite:
        raise UserError(f"{args.out}: exists; pass --overwrite to replace it")
    path = import_official(args.checkpoint, args.out, progress=ProgressBar("importing", unit="%"))
    print(f"wrote {path} ({path.stat().st_size / 2 ** 20:.1f} MiB)")
    return 0
