"""`alis-studio render`: a panorama of a few anchor intervals, headless, to PNG or JPEG."""
from __future__ import annotations

import argparse
from pathlib import Path

from alis_studio.cli.options import add_generator_options, add_psi_option, check_generator_options, scene_from_args
from alis_studio.engine.session_schema import SEED_LIMIT
from alis_studio.errors import UserError


def add_parser(sub) -> None:
    p = sub.add_parser("render", help="render a panorama headless to PNG or JPEG")
    p.add_argument("--model", help="an .alis model bundle (default: the bundled model)")
    p.add_argument("--seed", type=int, default=0, help=f"scene seed in [0, {SEED_LIMIT - 1}] (default 0)")
    p.add_argument("--session", help="render the scene of a saved session instead of --seed")
    p.add_argument("--intervals", type=int, default=4, help="anchor intervals to render (default 4)")
    p.add_argument("--start", type=int, default=0, help="first anchor interval (default 0; within ±10^12)")
    add_psi_option(p)
    add_generator_options(p)
    p.add_argument("--quality", type=int, default=92, help="JPEG quality (default 92)")
    p.add_argument("--out", required=True, help="output .png or .jpg")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=run_render)


def run_render(args: argparse.Namespace) -> int:
    from alis_studio.engine.bundle import load_bundle, resolve_model
    from alis_studio.engine.panorama import render_strip
    from alis_studio.engine.renderer import Renderer
    from alis_studio.exporters.images import check_small_image_target, write_small_image
    from alis_studio.progress import ProgressBar

    check_generator_options(args)
    if args.intervals < 1:
        raise UserError(f"--intervals must be at least 1, got {args.intervals}")
    out = Path(args.out)
    scene = scene_from_args(args)  # --seed, --start and the session refused before the model loads
    bundle = load_bundle(resolve_model(args.model), device=args.device)
    width = args.intervals * bundle.interval_width
    check_small_image_target(out, width, bundle.height, overwrite=args.overwrite, quality=args.quality)
    renderer = Renderer(bundle, workers=0, batch_size=args.batch, cache_bytes=0)
    bar = None if args.quiet else ProgressBar(f"render {out.name}", "Mpx", bundle.height * bundle.tile_width / 1e6)
    try:
        pixels = render_strip(renderer, scene, args.start * bundle.interval_width, width,
                              use_cache=False, progress=bar)
    finally:
        renderer.close()
    write_small_image(out, pixels, quality=args.quality, overwrite=args.overwrite,
                      description={"model_sha256": bundle.sha256, "scene": scene.to_dict(),
                                   "x0": args.start * bundle.interval_width, "width": width})
    if not args.quiet:
        print(f"wrote {out} ({width} x {bundle.height} px, {bundle.device_name})")
    return 0
