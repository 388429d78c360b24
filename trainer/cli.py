"""The trainer's sub-commands. Nothing here imports torch until a command runs, so the app's
`alis-studio --help` stays light and a missing torch is a one-line hint, not a traceback."""
from __future__ import annotations

import argparse

from alis_studio.errors import UserError

TORCH_HINT = "this command needs PyTorch: pip install 'alis-studio[train]'"


def require_torch() -> None:
    try:
        import torch  # noqa: F401
        import onnx  # noqa: F401
    except ModuleNotFoundError:
        raise UserError(TORCH_HINT) from None


def add_parser(sub) -> None:
    p = sub.add_parser("export-onnx", help="export a checkpoint (or a random-weight model) as an .alis bundle")
    p.add_argument("checkpoint", nargs="?", help="a training checkpoint (.pt)")
    p.add_argument("out", help="the .alis file to write")
    p.add_argument("--config", help="model config for --random-init (tiny, small, small64, paper256, paper1024)")
    p.add_argument("--random-init", action="store_true", help="random weights (tests, benchmarks)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random weights (default 0)")
    p.set_defaults(run=run_export_onnx)


def run_export_onnx(args: argparse.Namespace) -> int:
    require_torch()
    if args.random_init:
        if args.checkpoint:
            raise UserError("give either a checkpoint or --random-init, not both")
        from trainer.export import export_random
        from trainer.model import get_config

        try:
            cfg = get_config(args.config or "tiny")
        except ValueError as e:
            raise UserError(str(e)) from None
        path = export_random(cfg, args.out, seed=args.seed)
    else:
        if not args.checkpoint:
            raise UserError("give a checkpoint to export, or --random-init --config NAME")
        from trainer.checkpoint import export_checkpoint

        path = export_checkpoint(args.checkpoint, args.out)
    print(f"wrote {path}")
    return 0
