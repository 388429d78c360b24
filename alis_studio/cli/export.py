"""`alis-studio export`: stream a panorama of any width to a tiled BigTIFF, PNG/JPEG, a Deep Zoom
web viewer or a fly-through MP4 video, headless."""
from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from pathlib import Path

from alis_studio.cli.options import add_generator_options, add_psi_option, check_generator_options, scene_from_args
from alis_studio.errors import ExportError, UserError
from alis_studio.exporters.registry import FORMATS

EPILOG = """\
range: --width PX (output pixels, at least one frame of the model: as wide as the image is tall),
--intervals N (anchor intervals), or --loop N (close the scene into a loop of N anchors and export
exactly one period, which wraps around seamlessly). A session with a loop period exports one period
when no range is given.

--height-scale S resamples the panorama by S in both directions (Lanczos-3), so a 128 px model at
--height-scale 2 gives a 256 px tall image with the same aspect ratio; --width then counts output
pixels. S in [0.125, 8]; 1 (the default) writes the model's pixels untouched.

TIFF: tiled BigTIFF, RGB, with reduced-resolution levels for fast zoom-out; memory stays flat
whatever the width. deflate opens everywhere; zstd is faster but some readers (the libvips
wheels, Photoshop, macOS Preview) cannot decode it. PNG and JPEG hold the image in memory
(JPEG: at most 65,535 px wide). The image description records the model's sha256 and the scene.

Deep Zoom (--format dzi, or --out NAME.zip): a folder NAME/ with index.html (OpenSeadragon, works
offline by double-click), NAME.dzi, NAME_files/ and scene.json; a loop pans around endlessly.

360 (--360): a loop period with XMP GPano tags, so panorama viewers show it as a 360-degree
cylinder: a strip whose vertical field of view is 360 * height / width degrees, not a sphere.

video (--format mp4, or --out NAME.mp4): a camera flies along the panorama. --size WxH frame
(even sides), --fps, --speed in frame px/s, --zoom (default: the panorama fills the frame's
height), --ease to start and stop gently. The range is what the frames show (--width counts
frame pixels at that zoom); a loop travels exactly one period, so the video repeats seamlessly.
H.264 (libx264, yuv420p, --crf quality) in MP4; the scene JSON is in the container's comment.

example: alis-studio export --model M.alis --seed 7 --width 1000000 --out pano.tif
         alis-studio export --model M.alis --session loop.json --size 1920x1080 --speed 200 --out fly.mp4
"""



def add_parser(sub) -> None:
    p = sub.add_parser("export", help="export a panorama of any width to TIFF (or PNG/JPEG), headless",
                       description="Render a panorama and stream it to a file, atomically; Ctrl-C "
                                   "or SIGTERM cancels cleanly and leaves nothing behind.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", help="an .alis model bundle (default: the bundled model)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--session", help="export the scene of a saved session (.json)")
    src.add_argument("--seed", type=int, default=None, help="scene seed (default 0)")
    rng = p.add_mutually_exclusive_group()
    rng.add_argument("--width", type=int, help="output width in pixels")
    rng.add_argument("--intervals", type=int, help="anchor intervals to export")
    rng.add_argument("--loop", type=int, metavar="N", help="close the scene into a loop of N anchors, "
                     "export one period")
    p.add_argument("--start", type=int, default=0, help="first anchor interval (default 0)")
    p.add_argument("--height-scale", type=float, default=1.0, metavar="S",
                   help="resample by S in both directions, Lanczos (default 1: the model's pixels)")
    add_psi_option(p)
    p.add_argument("--format", choices=list(FORMATS), help="default: from --out's extension (a known extension must agree with it)")
    p.add_argument("--compression", choices=["none", "deflate", "zstd", "jpeg"], default="deflate",
                   help="TIFF compression (default deflate)")
    p.add_argument("--quality", type=int, default=90, help="JPEG quality 1..100 (default 90)")
    p.add_argument("--levels", type=int, default=None,
                   help="TIFF reduced-resolution levels (default: halve while >= 8 px tall; 0: none)")
    p.add_argument("--tiles", choices=["jpeg", "png"], default="jpeg", help="Deep Zoom tile format (default jpeg)")
    p.add_argument("--360", dest="pano360", action="store_true",
                   help="tag a loop period as a 360-degree panorama (XMP GPano; TIFF, PNG, JPEG)")
    v = p.add_argument_group("video (--format mp4)")
    v.add_argument("--size", default="1280x720", metavar="WxH", help="frame size, even sides (default 1280x720)")
    v.add_argument("--fps", type=float, default=30.0, help="frames per second (default 30)")
    v.add_argument("--speed", type=float, help="camera speed, frame px per second (default 240)")  # the job's
    v.add_argument("--zoom", type=float, default=None, help="frame px per panorama px (default: fill the height)")
    v.add_argument("--ease", action="store_true", help="ease in and out instead of a constant speed")
    v.add_argument("--crf", type=int, default=20, help="H.264 quality, 0 (lossless) .. 51 (default 20)")
    add_generator_options(p)
    p.add_argument("--out", required=True, help="output: .tif, .png, .jpg, .mp4, .zip or a folder (--format dzi)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file without asking")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    p.set_defaults(run=run_export)


@contextlib.contextmanager
def _sigterm_as_ctrl_c():
    """SIGTERM (`kill`, a service manager, `timeout`) stops an export as Ctrl-C does: the writers'
    temporaries go on the way out, and main reports it as cancelled (130)."""
    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        yield
        return

    def stop(signum, frame):
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def run_export(args: argparse.Namespace) -> int:
    with _sigterm_as_ctrl_c():
        return _run_export(args)


def _run_export(args: argparse.Namespace) -> int:
    from alis_studio.engine.bundle import load_bundle, resolve_model
    from alis_studio.engine.renderer import Renderer
    from alis_studio.jobs.export import ExportJob, probe_speed
    from alis_studio.progress import ProgressBar, fmt_time
    from alis_studio.exporters.plan import format_for, human_bytes, measure_ratio

    out = Path(args.out)
    fmt = format_for(out, args.format)
    check_generator_options(args)
    args.seed = 0 if args.seed is None else args.seed
    scene = scene_from_args(args)
    if args.loop is not None:
        try:
            scene.set_loop_period(args.loop)
        except ValueError as e:
            raise UserError(f"--loop: {e}") from None
    spec = FORMATS[fmt]
    if not spec.image and args.pano360:
        raise UserError("--360 tags images (TIFF, PNG, JPEG), not videos")
    args.overwrite = args.overwrite or _confirm_overwrite(out)
    bundle = load_bundle(resolve_model(args.model), device=args.device)
    renderer = Renderer(bundle, workers=0, batch_size=args.batch, cache_bytes=0)
    if "video" in spec.options:
        from alis_studio.cli.export_video import run_video

        try:
            return run_video(args, renderer, scene, out)
        finally:
            renderer.close()
    try:
        job = ExportJob(renderer, scene, out, x0=args.start * bundle.interval_width, fmt=fmt,
                        height_scale=args.height_scale, compression=args.compression, quality=args.quality,
                        levels=args.levels, overwrite=args.overwrite, tile_format=args.tiles,
                        pano360=args.pano360, **_range(args, scene, bundle))
    except UserError:
        renderer.close()
        raise
    # one batch first: the real compression ratio of these pixels and the generator's speed here
    rate, sample = probe_speed(renderer, scene, args.start * bundle.interval_width)
    plan = job.plan()
    ratio = measure_ratio(sample, plan.codec, plan.quality)
    plan, needed, free = job.check(ratio)
    if not args.quiet:
        free_text = f", {human_bytes(free)} free" if free >= 0 else ""
        seconds = job.source_width * job.model_height / 1e6 / rate
        print(f"exporting {plan.width} x {plan.height} px ({plan.megapixels:.1f} Mpx) to {out} "
              f"[{fmt}{'/' + plan.compression if spec.options & {'compression', 'tiles'} else ''}]: about {human_bytes(plan.estimate_bytes(ratio))}"
              f", needs up to {human_bytes(needed)}{free_text}; about {fmt_time(seconds)} on {bundle.device_name}",
              file=sys.stderr)
    bar = None if args.quiet else ProgressBar(f"export {out.name}", "Mpx", plan.height / 1e6)
    try:
        stats = job.run(progress=bar)
    finally:
        renderer.close()
    if not args.quiet:
        kind = spec.folder or f"{len(stats.levels)} level(s)"
        as_folder = spec.folder and out.suffix.lower() not in spec.suffixes
        opened = f"; open {out / 'index.html'} in a browser" if as_folder else ""
        print(f"wrote {out} ({plan.width} x {plan.height} px, {kind}, "
              f"{human_bytes(stats.bytes)}, {stats.seconds:.1f} s, writer {stats.writer_share:.0%} of it){opened}",
              file=sys.stderr)
    return 0


def _range(args, scene, bundle) -> dict:
    """ExportJob's range keywords from --width / --intervals / --loop (or a looping session)."""
    from alis_studio.jobs.export import check_height_scale, scaled_width

    check_height_scale(args.height_scale)  # before --intervals scales by it

    if args.width is not None:
        if args.width < 1:
            raise UserError(f"--width must be at least 1, got {args.width}")
        return {"width": args.width}
    if args.intervals is not None:
        if args.intervals < 1:
            raise UserError(f"--intervals must be at least 1, got {args.intervals}")
        return {"width": scaled_width(args.intervals * bundle.interval_width, bundle.height, args.height_scale)}
    if scene.loop_period:
        return {"period": scene.loop_period * bundle.interval_width}
    raise UserError("give the range: --width PX, --intervals N or --loop N")


def _confirm_overwrite(out: Path) -> bool:
    """An existing target without --overwrite: ask on a terminal; elsewhere the target check refuses."""
    if not out.exists() or out.is_dir() or not (sys.stdin.isatty() and sys.stderr.isatty()):
        return False
    sys.stderr.write(f"{out} exists. Replace it? [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    if answer not in ("y", "yes"):
        raise ExportError(f"{out}: already exists; not replaced")
    return True
