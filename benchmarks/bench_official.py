"""The paper's LHQ 1024 generator shape in the app: a random-init bundle built by the importer's own
module (trainer/official.py), measured as a user meets it.

    python benchmarks/bench_official.py [--model LHQ.alis] [--patches 3] [--device cpu|cuda] [--no-rounding]

Prints: parameters, FLOPs per 1024x512 patch, bundle size and export time; the bundle probe's load
time (what opening the model costs: ONNX Runtime sessions plus one test patch); seconds per patch
at batch 1 and 2; the time from a renderer request to its first patch (what the app waits for) and
to the whole first view of a 1280 x 720 window (a 1280 x 450 px view fitted to the model's height:
6 patches); in the real window, when its first view is covered (every patch shows at least its
coarse level: the preview) and when it is complete, preview on and off; peak memory of the
process that renders. `--no-rounding`
also measures the same weights without the fp16 blocks' rounding emulation, as a ratio.
The measuring half runs in a child process, so the exporter's memory is not counted.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def build(out: Path, rounding: bool) -> float:
    from alis_studio.trainer.official_import import export_random_official, lhq1024_kwargs

    t0 = time.perf_counter()
    export_random_official(lhq1024_kwargs(), out, seed=0, fp16_rounding=rounding)  # the same weights either way
    return time.perf_counter() - t0


def measure(model: str, patches: int, device: str) -> dict:
    """In a fresh process: load, per-patch time, first patch through the renderer, peak RSS."""
    from alis_studio.engine.bundle import load_bundle
    from alis_studio.engine.renderer import Renderer
    from alis_studio.engine.scene import Scene

    t0 = time.perf_counter()
    b = load_bundle(model, device=device)
    out = {"load_s": time.perf_counter() - t0, "provider": b.provider, "height": b.height,
           "patch_width": b.tile_width, "tile_gflop": b.meta["tile_flops"] / 1e9}
    w = b.mapping.run(["w"], {"z": np.random.default_rng(0).standard_normal((2, b.z_dim), np.float32)})[0]
    for batch in (1, 2):
        pair = np.repeat(w[None, np.arange(b.anchor_window) % 2], batch, axis=0)  # (batch, A, w_dim)
        times = []
        for _ in range(patches):
            t0 = time.perf_counter()
            b.synthesize(pair, np.zeros(batch, np.int64))
            times.append((time.perf_counter() - t0) / batch)
        out[f"s_per_patch_batch{batch}"] = float(np.median(times))
    r = Renderer(b, workers=1, batch_size=1)
    try:
        scene, got = Scene(seed=5), []
        view = -(-1280 * b.height // (450 * b.tile_width))  # patches across a 1280 x 450 px view, fitted
        t0 = time.perf_counter()
        r.submit(r.keys(scene, 0, view), on_patch=lambda k: got.append(time.perf_counter() - t0), tag="view")
        r.wait_idle(timeout=600)
        out["first_patch_s"], out["view_s"], out["view_patches"] = got[0], got[-1], len(got)
    finally:
        r.close()
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def app_window():
    """The app and its real main window, offscreen, 1280 x 720, with private settings."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings

    from alis_studio.gui.app import make_app
    from alis_studio.gui.main_window import MainWindow

    app = make_app(theme=True)
    w = MainWindow(QSettings(str(Path(tempfile.mkdtemp()) / "s.ini"), QSettings.Format.IniFormat))
    w.resize(1280, 720)
    w.show()
    return app, w


def gui_fluidity(model: str, seconds: float) -> dict:
    """The real main window (offscreen, 1280 x 720) on the model: a pan into unseen columns every 2 s
    for `seconds`, repainting at ~60 Hz; each repaint and each turn of the event loop is timed (the
    GUI thread must never wait for a patch), and the ORT calls stopped because the user panned away
    are counted."""
    import statistics

    from alis_studio.engine.bundle import load_bundle
    from bench_gui import timed_frame

    app, w = app_window()
    w.install_bundle(load_bundle(model))
    v, r = w.viewport, w.renderer
    paints, turns, t0, first, next_pan = [], [], time.perf_counter(), None, 2.0
    while (now := time.perf_counter() - t0) < seconds:
        if now > next_pan:
            v.camera.pan_pixels(-1.5 * v.width())  # into columns never rendered: the old patches go stale
            next_pan += 2.0
        paint, turn = timed_frame(app, v)
        paints.append(paint)
        turns.append(turn)
        if first is None and r.stats["patches"] > 0:
            first = time.perf_counter() - t0
    out = {"frames": len(paints), "paint_ms_median": statistics.median(paints), "paint_ms_max": max(paints),
           "event_ms_median": statistics.median(turns), "event_ms_p99": sorted(turns)[int(0.99 * len(turns))],
           "event_ms_max": max(turns), "patches": r.stats["patches"], "stopped": r.stats["stopped"],
           "first_patch_s": first, "viewport": f"{v.width()}x{v.height()}", "scale": v.camera.scale}
    w.close()
    return out


def first_view(model: str, preview: bool) -> dict:
    """The real main window (offscreen, 1280 x 720) opening the model: seconds from the bundle being
    installed until every visible patch shows something (covered) and until all are full (complete)."""
    from alis_studio.engine import renderer as renderer_module
    from alis_studio.engine.bundle import load_bundle

    if not preview:
        renderer_module.PREVIEW_SECONDS = float("inf")
    app, w = app_window()
    bundle = load_bundle(model)
    t0 = time.perf_counter()
    w.install_bundle(bundle)
    v, covered = w.viewport, None
    while time.perf_counter() - t0 < 600:
        app.processEvents()
        v.repaint()
        p0, p1 = v.patch_range()
        if covered is None and (v.is_complete() or v._strip is not None and not v._strip.blank(p0, p1)):
            covered = time.perf_counter() - t0
        if v.is_complete():
            break
        time.sleep(0.01)
    out = {"covered_s": covered, "complete_s": time.perf_counter() - t0, "patches": p1 - p0, "lod": v.lod}
    w.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="an existing bundle (default: build the random-init LHQ 1024 shape)")
    ap.add_argument("--patches", type=int, default=3, help="timed patches per batch size (median)")
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    ap.add_argument("--no-rounding", action="store_true", help="also measure without fp16 rounding emulation")
    ap.add_argument("--gui-seconds", type=float, default=30.0, help="how long the window is panned (0: skip)")
    ap.add_argument("--measure", help=argparse.SUPPRESS)  # the child processes
    ap.add_argument("--gui", help=argparse.SUPPRESS)
    ap.add_argument("--first-view", help=argparse.SUPPRESS)
    ap.add_argument("--preview", choices=("on", "off"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.first_view:
        print(json.dumps(first_view(args.first_view, args.preview == "on")))
        return
    if args.measure:
        print(json.dumps(measure(args.measure, args.patches, args.device)))
        return
    if args.gui:
        print(json.dumps(gui_fluidity(args.gui, args.gui_seconds)))
        return
    import os

    print(f"CPU: {os.cpu_count()} cores; " + next((ln.split(':', 1)[1].strip() for ln in open('/proc/cpuinfo')
                                                  if ln.startswith('model name')), '?'))
    with tempfile.TemporaryDirectory() as tmp:
        variants = [("rounding", True)] + ([("plain fp32", False)] if args.no_rounding else [])
        results = {}
        for name, rounding in variants:
            path = Path(args.model) if args.model and rounding else Path(tmp) / f"lhq1024-{rounding}.alis"
            if not (args.model and rounding):
                print(f"[{name}] exported the random-init LHQ 1024 shape in {build(path, rounding):.1f} s")
            child = subprocess.run([sys.executable, __file__, "--measure", str(path), "--patches", str(args.patches),
                                    "--device", args.device], capture_output=True, text=True, check=True)
            m = results[name] = json.loads(child.stdout.strip().splitlines()[-1])
            meta = json.loads(__import__("zipfile").ZipFile(path).read("model.json"))
            params = meta["arch"].get("parameters")
            print(f"[{name}] {m['height']} x {m['patch_width']} px patches, {m['tile_gflop']:.1f} GFLOP each, bundle "
                  f"{path.stat().st_size / 2 ** 20:.0f} MiB{f', {params / 1e6:.1f} M parameters' if params else ''}; "
                  f"{m['provider']}")
            print(f"[{name}] load (sessions + probe patch) {m['load_s']:.1f} s; per patch {m['s_per_patch_batch1']:.2f} s "
                  f"(batch 1), {m['s_per_patch_batch2']:.2f} s (batch 2) = "
                  f"{m['tile_gflop'] / m['s_per_patch_batch1']:.0f} GFLOP/s")
            print(f"[{name}] renderer: first patch after {m['first_patch_s']:.1f} s, the first view of a 1280 x 720 "
                  f"window ({m['view_patches']} patches) after {m['view_s']:.1f} s; peak memory {m['peak_rss_mib']:.0f} MiB")
            if rounding:
                views = {}
                for mode in ("off", "on"):
                    child = subprocess.run([sys.executable, __file__, "--first-view", str(path), "--preview", mode],
                                           capture_output=True, text=True, check=True)
                    views[mode] = json.loads(child.stdout.strip().splitlines()[-1])
                off, on = views["off"], views["on"]
                print(f"[{name}] the app's first view ({on['patches']} patches at level {on['lod']}): preview off: covered "
                      f"{off['covered_s']:.1f} s, complete {off['complete_s']:.1f} s; preview on: covered "
                      f"{on['covered_s']:.1f} s ({off['covered_s'] / on['covered_s']:.1f}x sooner), complete "
                      f"{on['complete_s']:.1f} s ({on['complete_s'] / off['complete_s']:.2f}x)")
            if args.gui_seconds and rounding:
                child = subprocess.run([sys.executable, __file__, "--gui", str(path), "--gui-seconds",
                                        str(args.gui_seconds)], capture_output=True, text=True, check=True)
                g = json.loads(child.stdout.strip().splitlines()[-1])
                print(f"[{name}] the app's window ({g['viewport']} view at {g['scale']:.2f}x), panned into unseen "
                      f"columns every 2 s for {args.gui_seconds:.0f} s: {g['patches']} patches, {g['stopped']} "
                      f"stale ORT calls stopped; first patch after {g['first_patch_s']:.1f} s; paint "
                      f"{g['paint_ms_median']:.1f} ms median, {g['paint_ms_max']:.1f} max; event loop "
                      f"{g['event_ms_median']:.1f} ms median, {g['event_ms_p99']:.1f} ms p99, {g['event_ms_max']:.1f} max")
        if len(results) == 2:
            ratio = results["rounding"]["s_per_patch_batch1"] / results["plain fp32"]["s_per_patch_batch1"]
            print(f"fp16 rounding emulation costs {ratio:.2f}x the plain fp32 patch time")


if __name__ == "__main__":
    main()
