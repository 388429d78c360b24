"""`alis-studio eval`: measure an .alis model against real images (SWD, infinite SWD, seams, FID),
through the engine: no torch needed, so the binary has it too."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from alis_studio.cli.options import add_device_option
from alis_studio.errors import UserError

METRIC_ROWS = (
    ("swd_frames", "SWD x1e3, single frames (mean over levels)"),
    ("swd_infinite", "SWD x1e3, frames of long panoramas (infinite)"),
    ("swd_ratio", "infinite / single-frame SWD"),
    ("seam_patch", "seam score, patch borders / inside"),
    ("seam_anchor", "seam score, anchors / inside"),
    ("periodic_share", "share that repeats every interval (0 = none)"),
    ("detail_periodic_share", "share of column detail that repeats (0 = none)"),
    ("fid_frames", "FID, single frames"),
    ("fid_infinite", "FID, frames of long panoramas"),
)


MIN_HEIGHT = 16  # the SWD pyramid's smallest level


def height_arg(text: str) -> int:
    """--height: a positive whole number of pixels (the model's range, MIN_HEIGHT to 4x its height, is
    checked once the model is loaded)."""
    try:
        h = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of pixels, got {text!r}") from None
    if h < 1:
        raise argparse.ArgumentTypeError(f"must be a positive number of pixels, got {h}")
    return h


def add_parser(sub) -> None:
    p = sub.add_parser("eval", help="measure a model against real images (SWD, infinite SWD, seams, FID)",
                       description="Runs the .alis model through the app's engine (no torch needed). FID only "
                       "with --inception: a local ONNX Inception-v3 feature extractor (float32 (N, 3, 299, 299) "
                       "in [0, 255] -> (N, 2048)).")
    p.add_argument("--model", required=True, help="an .alis model bundle")
    p.add_argument("--dataset", required=True, help="a folder or zip of real images")
    p.add_argument("--images", type=int, default=1000, help="images per set (default 1000)")
    p.add_argument("--inception", help="a local ONNX Inception feature extractor, for FID")
    add_device_option(p)
    p.add_argument("--height", type=height_arg, metavar="H",
                   help="measure the frames shown H px tall (resized like the real crops, down or up to 4x), to "
                   "compare models of different heights on one reference (default: the model's height)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sampled images (default 0)")
    p.add_argument("--cache-dir", help="where to keep the prepared real crops (default: a temp folder)")
    p.add_argument("--json", action="store_true", help="print only the JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=run_eval)


def run_eval(args: argparse.Namespace) -> int:
    import tempfile

    from alis_studio.engine.bundle import load_bundle
    from alis_studio.progress import ProgressBar
    from alis_studio.evaluation.datasets import prepare
    from alis_studio.evaluation.evaluate import evaluate_bundle
    from alis_studio.evaluation.metrics import inception_session

    if args.images < 2:
        raise UserError(f"--images must be at least 2, got {args.images}")
    if args.inception and not Path(args.inception).is_file():
        raise UserError(f"{args.inception}: no such Inception model file")
    if args.inception:
        inception_session(args.inception)  # not an Inception graph: say so before any work
    b = load_bundle(args.model, device="cpu")
    height = b.height if args.height is None else args.height
    if not MIN_HEIGHT <= height <= 4 * b.height or (b.frame_width * height) % b.height:
        raise UserError(f"--height {height}: the model's frames are {b.height} px tall and {b.frame_width} wide; "
                        f"choose {MIN_HEIGHT} to {4 * b.height} px, at which the frame width stays a whole number "
                        "of pixels")
    cache = Path(args.cache_dir or Path(tempfile.gettempdir()) / "alis-studio-eval-cache")
    reals = prepare(args.dataset, height, b.frame_width * height // b.height, cache).images
    if len(reals) < 2:
        raise UserError(f"{args.dataset}: {len(reals)} usable image; eval compares sets of at least 2")
    del b
    bar = None if args.quiet or args.json else ProgressBar("eval", "img")
    res = evaluate_bundle(args.model, reals, args.images, device=args.device, inception=args.inception,
                          seed=args.seed, progress=bar)
    if not args.json:
        print(format_table(res))
    print(json.dumps(res))
    return 0


def format_table(res: dict) -> str:
    lines = [f"{res['model']} vs {res['images']} real crops ({res.get('provider', '?')})"]
    for key, label in METRIC_ROWS:
        if key in res:
            lines.append(f"  {label:<48} {res[key]:10.4f}")
    levels = sorted((int(k.split("_")[1]) for k in res if k.startswith("swd_") and k.endswith("_frames")
                     and k.split("_")[1].isdigit()), reverse=True)
    for lv in levels:
        lines.append(f"  {f'SWD x1e3 at {lv} px (frames / infinite)':<48} {res[f'swd_{lv}_frames']:10.4f} "
                     f"/ {res[f'swd_{lv}_infinite']:.4f}")
    return "\n".join(lines)
