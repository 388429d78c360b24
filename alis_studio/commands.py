"""Headless sub-commands on the engine: `info` and `render`."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from alis_studio.errors import ModelError, UserError


def default_model_path() -> Path:
    from alis_studio.assets import DEFAULT_MODEL

    return DEFAULT_MODEL


def resolve_model(path: str | None) -> Path:
    """The model to use: the one given, else the bundled default."""
    if path:
        return Path(path)
    p = default_model_path()
    if not p.exists():
        raise ModelError(f"{p}: the bundled default model is missing; pass --model MODEL.alis")
    return p


def add_generator_options(p) -> None:
    """--device, --batch and --direction, shared by the commands that run the generator headless."""
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--batch", type=int, default=8, help="patches per generator call (default 8)")
    p.add_argument("--direction", type=direction_arg, action="append", default=[], metavar="K=AMOUNT",
                   help="move the whole scene AMOUNT standard deviations along latent direction K "
                        "(principal component K of w, from 1; repeatable; replaces a session's K)")


def direction_arg(text: str) -> tuple[int, float]:
    """'K=AMOUNT' -> (K, AMOUNT), checked against the session file's limits."""
    import argparse
    import math

    from alis_studio.engine.session_schema import MAX_AMOUNT, MAX_COMPONENT

    k, sep, amount = text.partition("=")
    try:
        k, amount = int(k), float(amount)
    except ValueError:
        k = None
    if not sep or k is None or not 1 <= k <= MAX_COMPONENT or not math.isfinite(amount) or abs(amount) > MAX_AMOUNT:
        raise argparse.ArgumentTypeError(f"expected K=AMOUNT with K in 1..{MAX_COMPONENT} and AMOUNT in "
                                         f"[-{MAX_AMOUNT:g}, {MAX_AMOUNT:g}], got {text!r}")
    return k, amount


def check_generator_options(args: argparse.Namespace) -> None:
    """The one validation of what `add_generator_options` and --psi accept (render and export)."""
    if args.batch < 1:
        raise UserError(f"--batch must be at least 1, got {args.batch}")
    if args.psi is not None and not 0.0 <= args.psi <= 2.0:  # also refuses nan
        raise UserError(f"--psi must be in [0, 2], got {args.psi}")


def add_parser(sub) -> None:
    p = sub.add_parser("info", help="print a model's metadata and the ONNX Runtime providers")
    p.add_argument("model", nargs="?", help="an .alis model bundle (default: the bundled model)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--json", action="store_true", help="print the metadata as JSON")
    p.set_defaults(run=run_info)

    p = sub.add_parser("render", help="render a panorama headless to PNG or JPEG")
    p.add_argument("--model", help="an .alis model bundle (default: the bundled model)")
    p.add_argument("--seed", type=int, default=0, help="scene seed (default 0)")
    p.add_argument("--session", help="render the scene of a saved session instead of --seed")
    p.add_argument("--intervals", type=int, default=4, help="anchor intervals to render (default 4)")
    p.add_argument("--start", type=int, default=0, help="first anchor interval (default 0)")
    p.add_argument("--psi", type=float, default=None, help="truncation psi in [0, 2] (default 0.7)")
    add_generator_options(p)
    p.add_argument("--quality", type=int, default=92, help="JPEG quality (default 92)")
    p.add_argument("--out", required=True, help="output .png or .jpg")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=run_render)


def run_info(args: argparse.Namespace) -> int:
    from alis_studio.engine.bundle import available_providers, load_bundle

    b = load_bundle(resolve_model(args.model), device=args.device)
    if args.json:
        print(json.dumps({**b.meta, "sha256": b.sha256, "provider": b.provider}, indent=1))
        return 0
    m, arch, tr = b.meta, b.meta.get("arch", {}), b.meta.get("training", {}) or {}
    rows = [
        ("model", str(b.path)), ("sha256", b.sha256),
        ("config", str(arch.get("name", "?"))),
        ("image", f"{b.height} px tall, tiles {b.tile_width} px, "
                  f"{b.tiles_per_interval} tiles per anchor interval ({b.interval_width} px), "
                  f"format {b.version} ({b.anchor_window} anchors per tile)"),
        ("latents", f"z {b.z_dim}, w {b.w_dim}"),
        ("trained on", f"{tr.get('dataset') or '-'} ({tr.get('kimg', 0)} kimg)"),
        ("metrics", ", ".join(f"{k} {v:.4g}" for k, v in (tr.get("metrics") or {}).items()) or "none recorded"),
        ("created", f"{m.get('created', '?')} by {m.get('producer', '?')}"),
        ("providers", ", ".join(available_providers())),
        ("using", f"{b.provider} ({b.device_name})"),
    ]
    for k, v in rows:
        print(f"{k:>11}: {v}")
    return 0


def scene_from_args(args: argparse.Namespace):
    from alis_studio.engine.scene import Scene, load_session

    check_generator_options(args)
    if getattr(args, "session", None):
        scene, _ = load_session(args.session)
        if args.psi is not None:
            scene.set_psi(args.psi)
    else:
        scene = Scene(seed=args.seed, psi=0.7 if args.psi is None else args.psi)
    for k, amount in getattr(args, "direction", []):
        scene.set_direction(k, amount)
    return scene


def run_render(args: argparse.Namespace) -> int:
    from alis_studio.engine.bundle import load_bundle
    from alis_studio.engine.panorama import render_strip
    from alis_studio.engine.renderer import Renderer
    from alis_studio.progress import ProgressBar
    from alis_studio.exporters.images import check_small_image_target, write_small_image

    check_generator_options(args)
    if args.intervals < 1:
        raise UserError(f"--intervals must be at least 1, got {args.intervals}")
    out = Path(args.out)
    bundle = load_bundle(resolve_model(args.model), device=args.device)
    width = args.intervals * bundle.interval_width
    check_small_image_target(out, width, bundle.height, overwrite=args.overwrite)
    scene = scene_from_args(args)
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
