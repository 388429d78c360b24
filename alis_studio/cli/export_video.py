"""`alis-studio export --format mp4`: the CLI's side of a fly-through video (options, summary, bar)."""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from alis_studio.engine.renderer import Renderer
from alis_studio.engine.scene import Scene
from alis_studio.errors import UserError


def parse_size(text: str) -> tuple[int, int]:
    """'1920x1080' -> (1920, 1080); a one-line error otherwise."""
    m = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text or "")
    if not m:
        raise UserError(f"--size must be WIDTHxHEIGHT, e.g. 1280x720, got {text!r}")
    return int(m.group(1)), int(m.group(2))


def video_job(args: argparse.Namespace, renderer: Renderer, scene: Scene, out: Path):
    """The VideoJob that --size/--fps/--speed/--zoom/--ease and the range options describe."""
    from alis_studio.jobs.video import VideoJob

    b = renderer.bundle
    width, height = parse_size(args.size)
    zoom = args.zoom if args.zoom is not None else height / b.height
    if args.height_scale != 1.0:
        raise UserError("--height-scale is for images; a video's scale is --zoom (default: fill the frame)")
    rng: dict = {}
    if args.width is not None:
        rng["span"] = args.width / zoom  # frame pixels at this zoom
    elif args.intervals is not None:
        if args.intervals < 1:
            raise UserError(f"--intervals must be at least 1, got {args.intervals}")
        rng["span"] = args.intervals * b.interval_width
    elif scene.loop_period:
        rng["period"] = scene.loop_period * b.interval_width
    else:
        raise UserError("give the range: --width PX, --intervals N or --loop N")
    return VideoJob(renderer, scene, out, x0=args.start * b.interval_width, width=width, height=height,
                    fps=args.fps, zoom=zoom, ease=args.ease, crf=args.crf, overwrite=args.overwrite,
                    **({"speed": args.speed} if args.speed is not None else {}), **rng)  # else the job's default


def run_video(args: argparse.Namespace, renderer: Renderer, scene: Scene, out: Path) -> int:
    from alis_studio.jobs.export import probe_speed
    from alis_studio.progress import ProgressBar, fmt_time
    from alis_studio.exporters.plan import human_bytes

    job = video_job(args, renderer, scene, out)
    job.check()
    if not args.quiet:
        rate, _ = probe_speed(renderer, scene, job.x0)
        seconds = job.source_width * job.model_height / 1e6 / rate
        what = "one loop period, seamless" if job.period else f"{job.travel * job.zoom:,.0f} px"
        print(f"exporting a {job.width} x {job.height} video to {out}: {job.count} frames, {fmt_time(job.seconds)} "
              f"at {args.fps:g} fps, the camera travels {what} at {job.speed:g} px/s"
              f"{' (eased)' if job.ease else ''}; rendering about {fmt_time(seconds)} on {renderer.bundle.device_name}",
              file=sys.stderr)
    bar = None if args.quiet else ProgressBar(f"video {out.name}", "frames")
    stats = job.run(progress=bar)
    if not args.quiet:
        print(f"wrote {out} ({job.width} x {job.height}, {job.count} frames, {fmt_time(job.seconds)}, "
              f"{human_bytes(stats.bytes)}, {stats.seconds:.1f} s, encoder {stats.writer_share:.0%} of it)",
              file=sys.stderr)
    return 0
