"""The trainer's sub-commands. Nothing here imports torch until a command runs, so the app's
`alis-studio --help` stays light and a missing torch is a one-line hint, not a traceback."""
from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from alis_studio.errors import UserError
from alis_studio.progress import StatusLine

TORCH_HINT = "this command needs PyTorch: pip install 'alis-studio[train]'"


def require_torch() -> None:
    try:
        import torch  # noqa: F401
        import onnx  # noqa: F401
    except ModuleNotFoundError:
        raise UserError(TORCH_HINT) from None


def add_parser(sub) -> None:
    """`train` (alis_studio.cli.train registers it)."""
    _add_train(sub)


def add_tool_parsers(sub) -> None:
    """`dataset`, `export-onnx` and `slim-checkpoint` (alis_studio.cli.train registers them, after `eval`)."""
    _add_dataset(sub)
    p = sub.add_parser("export-onnx", help="export a checkpoint (or a random-weight model) as an .alis bundle")
    p.add_argument("checkpoint", nargs="?", help="a training checkpoint (.pt)")
    p.add_argument("out", help="the .alis file to write")
    p.add_argument("--config", help="model config for --random-init (tiny, small64, small128, small, paper256, paper1024)")
    p.add_argument("--random-init", action="store_true", help="random weights (tests, benchmarks)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random weights (default 0)")
    p.add_argument("--tile-width", type=int, help="format 2: columns per synthesis call, a multiple of "
                   "height/4 that divides the anchor spacing (default: the whole spacing)")
    p.add_argument("--metrics", metavar="EVAL_JSON",
                   help="record these measurements in the bundle (`alis-studio eval --json` output; `info` shows them)")
    p.set_defaults(run=run_export_onnx)
    p = sub.add_parser("slim-checkpoint", help="a small checkpoint to continue training from (fp16, no optimiser)")
    p.add_argument("checkpoint", help="a training checkpoint (.pt)")
    p.add_argument("out", help="the slim checkpoint to write")
    p.set_defaults(run=run_slim_checkpoint)


def run_slim_checkpoint(args: argparse.Namespace) -> int:
    require_torch()
    from alis_studio.trainer.checkpoint import slim_checkpoint

    path = slim_checkpoint(args.checkpoint, args.out)
    print(f"wrote {path} ({path.stat().st_size / 2 ** 20:.1f} MiB)")
    return 0


def run_export_onnx(args: argparse.Namespace) -> int:
    require_torch()
    from alis_studio.trainer.model import TileWidthError
    if args.random_init:
        if args.checkpoint:
            raise UserError("give either a checkpoint or --random-init, not both")
        from alis_studio.trainer.export import export_random
        from alis_studio.trainer.model import get_config

        try:
            cfg = get_config(args.config or "tiny")
        except ValueError as e:
            raise UserError(str(e)) from None
        try:
            path = export_random(cfg, args.out, seed=args.seed, tile_width=args.tile_width)
        except TileWidthError as e:
            raise UserError(f"--tile-width: {e}") from None
    else:
        if not args.checkpoint:
            raise UserError("give a checkpoint to export, or --random-init --config NAME")
        from alis_studio.trainer.checkpoint import export_checkpoint

        try:
            path = export_checkpoint(args.checkpoint, args.out, tile_width=args.tile_width,
                                     metrics=read_metrics(args.metrics) if args.metrics else None)
        except TileWidthError as e:
            raise UserError(f"--tile-width: {e}") from None
    print(f"wrote {path}")
    return 0


def read_metrics(path: str) -> dict:
    """The numbers of an `eval --json` result (its last JSON line); names and paths stay out."""
    try:
        lines = [ln for ln in Path(path).read_text(encoding="utf-8").splitlines() if ln.strip().startswith("{")]
        res = json.loads(lines[-1])
    except (OSError, ValueError, IndexError) as e:
        raise UserError(f"{path}: not an `alis-studio eval --json` result ({type(e).__name__})") from None
    return {k: v for k, v in res.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


# --------------------------------------------------------------------------- train

TRAIN_HELP = """Train an ALIS generator on a folder or zip of landscape photos. The run directory gets
options.json, log.txt, log.jsonl, samples/*.png, checkpoint.pt and model.alis (the app opens it).
Ctrl-C or SIGTERM stops after the current step and writes a checkpoint; --resume continues.
Several GPUs: torchrun --nproc_per_node N -m alis_studio train ... (each process its own data
shard and GPU, gradients averaged, rank 0 alone writes; --batch is the global batch)."""


def _add_train(sub) -> None:
    from alis_studio.trainer.options import add_arguments  # no torch: TrainOptions' declarations

    p = sub.add_parser("train", help="train a model on your images", description=TRAIN_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=run_train)


def train_options(args: argparse.Namespace):
    """TrainOptions from the command line; with --resume, options not given come from the run's
    options.json (those TrainOptions declares restored)."""
    import dataclasses

    from alis_studio.trainer.options import TrainOptions, restored

    names = [f.name for f in dataclasses.fields(TrainOptions)]
    given = {k: v for k, v in vars(args).items() if k in names and v is not None}
    saved = Path(args.out) / "options.json"
    if given.get("resume") and saved.exists():
        try:
            old = json.loads(saved.read_text())
        except (OSError, ValueError) as e:
            raise UserError(f"{saved}: unreadable ({e})") from None
        if not isinstance(old, dict):
            raise UserError(f"{saved}: not the options of a run (a JSON object)")
        given = restored(given, old)
    return TrainOptions(**given)


class TrainProgress(StatusLine):
    """One status line on stderr: bar, kimg, steps/s, ETA and the losses; `message` prints a log line."""

    def __init__(self, stream=None):
        super().__init__(stream)
        self.last = 0.0

    def __call__(self, info: dict) -> None:
        import time

        from alis_studio.progress import bar, fmt_time

        now = time.perf_counter()
        if now - self.last < 0.25 and info["step"] < info["total_steps"]:
            return
        self.last = now
        frac = min(1.0, info["step"] / max(1, info["total_steps"]))
        losses = " ".join(f"{k} {v:.3f}" for k, v in info["losses"].items())
        self.draw(f"train [{bar(frac, 20)}] {info['kimg']:.3f}/{info['total_kimg']:g} kimg  "
                  f"{info['steps_per_s']:.2f} steps/s  ETA {fmt_time(info['eta_s'])}  {losses}   ")


def _install_stop_handlers(progress) -> tuple[dict, callable]:
    """SIGINT / SIGTERM ask the loop to stop after the current step; a second Ctrl-C quits at once."""
    state = {"stop": False}

    def handler(signum, frame):
        if state["stop"] and signum == signal.SIGINT:
            raise KeyboardInterrupt
        state["stop"] = True
        progress.message("stopping after this step and writing a checkpoint (Ctrl-C again to quit at once)")

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    return old, lambda: state["stop"]


def run_train(args: argparse.Namespace) -> int:
    require_torch()
    from alis_studio.trainer.loop import Trainer

    opts = train_options(args)
    progress = TrainProgress()
    old, abort = _install_stop_handlers(progress)
    try:
        trainer = Trainer(opts, progress_fn=None if args.quiet else progress, abort_fn=abort,
                          log_fn=progress.message)
        result = trainer.run()
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    if trainer.rank == 0:
        progress.message(f"{result['status']}: {result['kimg']:.3f} kimg, model {result['model']}")
    return 0 if result["status"] == "done" else 130


# --------------------------------------------------------------------------- dataset


def _add_dataset(sub) -> None:
    p = sub.add_parser("dataset", help="make training datasets")
    dsub = p.add_subparsers(metavar="KIND")
    p.set_defaults(run=lambda a: p.print_help() or 2)
    q = dsub.add_parser("procedural", help="write procedural landscape pictures (PNG) for tests, demos, or no data")
    q.add_argument("--out", required=True, help="folder to write into")
    q.add_argument("--count", type=int, default=1000, help="number of pictures (default 1000)")
    q.add_argument("--resolution", type=int, default=128, help="square size in px (default 128)")
    q.add_argument("--seed", type=int, default=0, help="seed; the same seed writes the same pictures (default 0)")
    q.add_argument("--quiet", action="store_true", help="no progress bar")
    q.set_defaults(run=run_dataset_procedural)


def run_dataset_procedural(args: argparse.Namespace) -> int:
    from alis_studio.progress import ProgressBar
    from alis_studio.trainer.procedural import write_dataset

    if args.count < 1:
        raise UserError(f"--count must be at least 1, got {args.count}")
    if not 16 <= args.resolution <= 4096:
        raise UserError(f"--resolution must be in [16, 4096], got {args.resolution}")
    bar = None if args.quiet else ProgressBar("procedural", "img")
    out = write_dataset(args.out, args.count, args.resolution, args.seed, progress=bar)
    print(f"wrote {args.count} pictures to {out}")
    return 0
