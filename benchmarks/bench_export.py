"""Export throughput, peak memory and the writer's share of wall time.

Each case runs in a fresh process, so its peak RSS (ru_maxrss) is its own:
- null: the TIFF writer fed prepared patches (rendered once by the model, then cycled), so the
  generator costs nothing and what is measured is the writer alone (tiling, pyramid, codec, disk);
- model: a real export through the engine (ExportJob) with the given model on this machine;
- dzi-null / dzi: the same for Deep Zoom folders (libvips dzsave in bands; "writer" = libvips);
- video: a real fly-through (VideoJob) of --video-seconds each; frames/s, the encoder's share
  (libx264) and peak RSS, which must not grow with the length (10 s vs 100 s).

    python benchmarks/bench_export.py --model small.alis            # null 0.1 + 1 Gpx, model 20 Mpx
    python benchmarks/bench_export.py --model small.alis --real-mpx 100 --compression deflate jpeg
    python benchmarks/bench_export.py --model small.alis --formats dzi mp4  # Deep Zoom and video only

A real export of 1 Gpx with the `small` model takes about an hour on a 2-core CPU; by default the
model case renders a measured fraction (--real-mpx) and the table extrapolates its rate to 0.1 and
1 Gpx (marked "extrapolated"). Memory does not grow with the width (see the null rows), so the
fraction's peak RSS stands for the whole. Make a model with
`alis-studio export-onnx --random-init --config small small.alis`.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def null_source(args):
    """`--mpx` Mpx of prepared patches, a cycle over 32 rendered ones (the generator costs nothing):
    (height, width, an iterator of column blocks)."""
    from alis_studio.engine.bundle import load_bundle
    from alis_studio.engine.renderer import Renderer
    from alis_studio.engine.scene import Scene

    bundle = load_bundle(args.model, device="cpu")
    renderer = Renderer(bundle, workers=0, batch_size=8, cache_bytes=0)
    patches = renderer.render(renderer.keys(Scene(seed=1), 0, 32), use_cache=False)
    H, P = bundle.height, bundle.tile_width
    width = int(args.mpx * 1e6 / H)
    return H, width, (patches[x // P % len(patches)][:, :min(P, width - x)] for x in range(0, width, P))


def child_null(args) -> dict:
    """Write `--mpx` Mpx of prepared patches to a TIFF."""
    from alis_studio.exporters.tiff import write_tiff

    H, width, source = null_source(args)
    stats = write_tiff(args.out, source, width=width, height=H, compression=args.compression)
    return _result(stats, width * H)


def child_dzi_null(args) -> dict:
    """Deep Zoom of `--mpx` Mpx of prepared patches."""
    from alis_studio.exporters.deepzoom import write_deepzoom

    H, width, source = null_source(args)
    stats = write_deepzoom(args.out, source, width=width, height=H)
    return _result(stats, width * H)


def child_video(args) -> dict:
    """A fly-through of `--seconds` s with the real model: frames/s, the encoder's share, peak RSS."""
    from alis_studio.engine.bundle import load_bundle
    from alis_studio.engine.renderer import Renderer
    from alis_studio.engine.scene import Scene
    from alis_studio.cli.export_video import parse_size
    from alis_studio.jobs.video import VideoJob

    bundle = load_bundle(args.model, device="cpu")
    renderer = Renderer(bundle, workers=0, batch_size=8, cache_bytes=0)
    w, h = parse_size(args.size)
    zoom = h / bundle.height
    span = args.seconds * args.speed / zoom + w / zoom  # model columns the frames show
    job = VideoJob(renderer, Scene(seed=1), Path(args.out), span=span, width=w, height=h, fps=args.fps,
                   speed=args.speed, overwrite=True)
    stats = job.run()
    r = _result(stats, w * h * job.count)
    r.update(frames=job.count, video_seconds=job.seconds)
    return r


def child_model(args) -> dict:
    from alis_studio.engine.bundle import load_bundle
    from alis_studio.engine.renderer import Renderer
    from alis_studio.engine.scene import Scene
    from alis_studio.jobs.export import ExportJob

    bundle = load_bundle(args.model, device="cpu")
    renderer = Renderer(bundle, workers=0, batch_size=8, cache_bytes=0)
    width = int(args.mpx * 1e6 / bundle.height)
    job = ExportJob(renderer, Scene(seed=1), Path(args.out), width=width, compression=args.compression)
    stats = job.run()
    return _result(stats, width * bundle.height)


def _result(stats, pixels: int) -> dict:
    return {"pixels": pixels, "seconds": stats.seconds, "source_seconds": stats.source_seconds,
            "frames": 0,
            "writer_share": stats.writer_share, "bytes": stats.bytes, "levels": len(stats.levels),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_case(kind: str, mpx: float, model: str, compression: str, folder: Path, extra=()) -> dict:
    ext = {"dzi-null": "", "dzi": "", "video": ".mp4"}.get(kind, ".tif")
    out = folder / f"{kind}-{mpx:g}-{compression}{ext}"
    cmd = [sys.executable, __file__, "--child", kind, "--mpx", str(mpx), "--model", model,
           "--compression", compression, "--out", str(out), *map(str, extra)]
    t = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode:
        raise SystemExit(f"{kind} {mpx} Mpx failed:\n{res.stderr}")
    shutil.rmtree(out) if out.is_dir() else out.unlink(missing_ok=True)
    r = json.loads(res.stdout.strip().splitlines()[-1])
    r.update(kind=kind, mpx=mpx, compression=compression, process_seconds=time.perf_counter() - t)
    return r


def video_row(r: dict) -> str:
    return (f"video  {r['video_seconds']:5.0f} s of video, {r['frames']:6d} frames  {r['seconds']:7.1f} s  "
            f"{r['frames'] / r['seconds']:7.1f} frames/s  encoder share {r['writer_share']:6.1%}  "
            f"RSS {r['peak_rss_mb']:6.0f} MB  file {r['bytes'] / 1e6:7.1f} MB")


def row(r: dict, note: str = "") -> str:
    rate = r["pixels"] / r["seconds"] / 1e6
    writer_rate = r["pixels"] / max(r["seconds"] - r["source_seconds"], 1e-9) / 1e6
    return (f"{r['kind']:6s} {r['compression']:8s} {r['pixels'] / 1e9:7.3f} Gpx  {r['seconds']:8.1f} s  "
            f"{rate:8.2f} Mpx/s  writer {writer_rate:7.1f} Mpx/s  share {r['writer_share']:6.1%}  "
            f"RSS {r['peak_rss_mb']:6.0f} MB  file {r['bytes'] / 1e6:8.1f} MB {note}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="an .alis model (the `small` config for the real figures)")
    p.add_argument("--gpx", type=float, nargs="+", default=[0.1, 1.0], help="null-generator sizes (Gpx)")
    p.add_argument("--real-mpx", type=float, default=20.0, help="real-model export size measured (Mpx; 0: skip)")
    p.add_argument("--compression", nargs="+", default=["deflate"], help="TIFF compressions to measure")
    p.add_argument("--dir", help="folder for the (deleted) outputs; default: a temporary folder")
    p.add_argument("--json", help="also write the results here")
    p.add_argument("--formats", nargs="+", choices=["tiff", "dzi", "mp4"], default=["tiff", "dzi", "mp4"])
    p.add_argument("--dzi-mpx", type=float, nargs="+", default=[25.0, 100.0],
                   help="Deep Zoom sizes, null generator (Mpx): peak RSS must not grow with them")
    p.add_argument("--video-seconds", type=float, nargs="+", default=[10.0, 100.0], help="video lengths (s)")
    p.add_argument("--size", default="640x360", help="video frame size (default 640x360)")
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--speed", type=float, default=240.0, help="camera speed, frame px/s")
    p.add_argument("--seconds", type=float, help=argparse.SUPPRESS)
    p.add_argument("--child", choices=["null", "model", "dzi-null", "video"], help=argparse.SUPPRESS)
    p.add_argument("--mpx", type=float, help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        args.compression = args.compression[0]
        child = {"null": child_null, "model": child_model, "dzi-null": child_dzi_null, "video": child_video}
        print(json.dumps(child[args.child](args)))
        return 0
    results = []
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for mpx in (args.dzi_mpx if "dzi" in args.formats else []):
            results.append(run_case("dzi-null", mpx, args.model, "jpeg", Path(tmp)))
            print(row(results[-1], "(Deep Zoom folder, JPEG tiles)"), flush=True)
        if "mp4" in args.formats:
            for sec in args.video_seconds:
                extra = ["--seconds", sec, "--size", args.size, "--fps", args.fps, "--speed", args.speed]
                results.append(run_case("video", sec, args.model, "h264", Path(tmp), extra))
                print(video_row(results[-1]), flush=True)
        for comp in (args.compression if "tiff" in args.formats else []):
            for gpx in args.gpx:
                results.append(run_case("null", gpx * 1000, args.model, comp, Path(tmp)))
                print(row(results[-1]), flush=True)
            if args.real_mpx <= 0:
                continue
            r = run_case("model", args.real_mpx, args.model, comp, Path(tmp))
            results.append(r)
            print(row(r, "(measured)"), flush=True)
            rate = r["pixels"] / r["seconds"]
            for gpx in args.gpx:
                if gpx * 1e9 > r["pixels"] * 1.01:
                    print(f"{'model':6s} {comp:8s} {gpx:7.3f} Gpx  {gpx * 1e9 / rate:8.0f} s  {rate / 1e6:8.2f} Mpx/s"
                          f"  (extrapolated from the {r['pixels'] / 1e6:.0f} Mpx measured: "
                          f"{gpx * 1e9 / rate / 3600:.1f} h)", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
