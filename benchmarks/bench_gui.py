"""GUI benchmark: paint time of a full-HD main window from cached patches, the time from a pan
into unseen territory to a complete view against the renderer's raw throughput, and paint and
event-loop times while the seed browser renders page after page of unseen candidates.

    python benchmarks/bench_gui.py [--model M.alis ...] [--json OUT]     (headless unless QT_QPA_PLATFORM is set)

Without --model it uses the bundled default model if present, else random-weight `tiny` and `small`
models exported on the fly (needs the trainer, i.e. torch). Targets: paint under 16 ms; the pan
ratio near 1 (the GUI adds little on top of the generator); with the seed browser rendering, paint
under 16 ms and no event-loop turn much longer (the GUI thread never waits for a tile).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

if "QT_QPA_PLATFORM" not in os.environ:  # a headless screen big enough for a full-HD viewport
    _screen = Path(tempfile.gettempdir()) / "alis-bench-screen.json"
    _screen.write_text(json.dumps({"screens": [{"name": "bench", "x": 0, "y": 0, "width": 2560, "height": 1600,
                                                "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_screen}"


def default_models(tmp: Path) -> list[Path]:
    from alis_studio.assets import DEFAULT_MODEL

    if DEFAULT_MODEL.exists():
        return [DEFAULT_MODEL]
    from alis_studio.trainer.export import export_random

    return [export_random(name, tmp / f"{name}.alis", seed=0) for name in ("tiny", "small")]


def wait(app, cond, timeout: float = 300.0) -> float:
    t0 = time.perf_counter()
    while not cond():
        app.processEvents()
        time.sleep(0.0005)
        if time.perf_counter() - t0 > timeout:
            raise TimeoutError("the view did not complete")
    return time.perf_counter() - t0


def paint_ms(app, view, repeats: int, mode: str) -> float:
    """Median wall time (ms) of one synchronous repaint of the viewport, all patches cached:
    "reuse": the picture is up to date (an overlay, a patch arriving elsewhere);
    "pan": a jump of 0.3 view widths, past the prepared margin (request, strip rebuilt from the old
    strip and the cache);
    "rebuild": the picture is rebuilt from the renderer's cache alone (a change of zoom level);
    "edit": psi changes to a value seen before (keys recomputed, request, rebuild)."""
    times, scene = [], view.scene
    psis = (scene.psi, round(scene.psi + 0.01, 2))
    xs = (view.camera.x0, view.camera.x0 + 0.3 * view.width() / view.camera.scale)
    for i in range(repeats):
        t0 = time.perf_counter()
        if mode == "pan":
            view.camera.set(x0=xs[(i + 1) % 2])
            if i < 2:
                wait(app, lambda: view.is_complete() and view.pending() == 0)
        elif mode == "rebuild":
            view.invalidate()
        elif mode == "edit":
            scene.set_psi(psis[i % 2])
            if i < 2:
                wait(app, lambda: view.is_complete() and view.pending() == 0)
                t0 = time.perf_counter()
                scene.set_psi(psis[(i + 1) % 2])
                scene.set_psi(psis[i % 2])
        view.repaint()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times[2:])


def bench_model(app, path: Path, repeats: int) -> dict:
    from PySide6.QtCore import QSettings

    from alis_studio.engine.bundle import load_bundle
    from alis_studio.gui.main_window import MainWindow

    bundle = load_bundle(path)
    tmp = tempfile.mkdtemp()
    w = MainWindow(QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat), device="auto")
    w.resize(1920, 1080)
    w.show()
    w.install_bundle(bundle)
    v = w.viewport
    for _ in range(3):  # size the window so that the viewport itself is full HD
        app.processEvents()
        w.resize(w.width() + 1920 - v.width(), w.height() + 1080 - v.height())
    wait(app, lambda: v.size().toTuple() == (1920, 1080), timeout=10)
    out = {"model": path.name, "height": bundle.height, "provider": bundle.device_name,
           "viewport": f"{v.width()}x{v.height()}", "paint_ms": {}}
    for label, scale, cap in (("crisp (first)", None, 2.0), ("fit", None, None), ("1:1", 1.0, None),
                              ("overview 1/8", 1 / 8, None)):
        v.camera.set(x0=0, scale=scale, fit=scale is None, fit_cap=cap)
        wait(app, lambda: v.is_complete() and v.pending() == 0 and not w.renderer.busy())  # the strip's too
        v.repaint()
        p0, p1 = v.patch_range()
        out["paint_ms"][label] = {"patches": p1 - p0, "scale": round(v.camera.scale, 3),
                                  **{m: round(paint_ms(app, v, repeats, m), 2) for m in ("reuse", "pan", "rebuild", "edit")}}
    out["pan"] = bench_pan(app, w)
    out["browser"] = bench_browser(app, w)
    w.close()
    return out


def bench_pan(app, w) -> dict:
    """Pan at 1:1 into columns never rendered; compare with rendering the same patches directly."""
    v, r = w.viewport, w.renderer
    v.camera.set(x0=0, scale=1.0, fit=False)
    wait(app, lambda: v.is_complete() and not r.busy())
    v.camera.set(x0=10 ** 6)
    t_view = wait(app, lambda: v.is_complete() and v.pending() == 0)
    v.repaint()
    p0, p1 = v.patch_range()
    wait(app, lambda: not r.busy())
    keys = r.keys(w.scene, p0 + 10 ** 5, p1 + 10 ** 5)  # as many unseen patches, rendered directly
    t0 = time.perf_counter()
    for i in range(0, len(keys), r.batch_size):
        r.render_batch(keys[i:i + r.batch_size])
    t_raw = time.perf_counter() - t0
    return {"patches": p1 - p0, "view_complete_s": round(t_view, 3), "raw_render_s": round(t_raw, 3),
            "ratio": round(t_view / t_raw, 2)}


def timed_frame(app, view) -> tuple[float, float]:
    """One ~60 Hz frame: (ms of a synchronous repaint of `view`, ms of the event-loop turn after it)."""
    t0 = time.perf_counter()
    view.repaint()
    t1 = time.perf_counter()
    app.processEvents()
    t2 = time.perf_counter()
    time.sleep(max(0.0, 0.016 - (t2 - t0)))
    return (t1 - t0) * 1000, (t2 - t1) * 1000


def bench_browser(app, w, seconds: float = 4.0) -> dict:
    """Repaint the view (crisp first view) at ~60 Hz while the seed browser renders unseen candidates,
    paging on whenever the renderer runs dry; time each repaint and each turn of the event loop
    (where the thumbnails are composed as tiles arrive)."""
    v, r = w.viewport, w.renderer
    v.camera.crisp_view()
    wait(app, lambda: v.is_complete() and not r.busy())
    w.docks.docks["seeds"].show()
    browser = w.docks.seeds
    wait(app, lambda: not browser._dirty, timeout=10)
    paints, turns, busy = [], [], []
    tiles0, pages, t_end = r.perf()["patches"], 0, time.perf_counter() + seconds
    while time.perf_counter() < t_end:
        if not r.busy():
            browser.set_page(browser.page + 1)  # never seen: all its tiles go to the workers
            pages += 1
        paint, turn = timed_frame(app, v)
        paints.append(paint)
        turns.append(turn)
        busy.append(r.busy())
    return {"frames": len(paints), "pages": pages, "tiles": r.perf()["patches"] - tiles0,
            "busy_share": round(sum(busy) / len(busy), 2),
            "paint_ms_median": round(statistics.median(paints), 2), "paint_ms_max": round(max(paints), 2),
            "event_ms_median": round(statistics.median(turns), 2), "event_ms_max": round(max(turns), 2)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", action="append", type=Path, help="an .alis model (repeatable)")
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--json", type=Path, help="also write the results as JSON")
    args = ap.parse_args(argv)
    from alis_studio.gui.app import make_app

    app = make_app(theme=True)
    with tempfile.TemporaryDirectory() as tmp:
        models = args.model or default_models(Path(tmp))
        results = [bench_model(app, m, args.repeats) for m in models]
    for res in results:
        print(f"{res['model']} ({res['height']} px, {res['provider']}), viewport {res['viewport']}")
        for label, p in res["paint_ms"].items():
            print(f"  paint {label:>12}: {p['patches']:4d} patches: {p['reuse']:6.2f} ms up to date, "
                  f"{p['pan']:6.2f} ms after a pan, {p['rebuild']:6.2f} ms rebuilt from cache, "
                  f"{p['edit']:6.2f} ms after a psi edit")
        p = res["pan"]
        print(f"  pan into unseen territory: {p['patches']} patches complete in {p['view_complete_s']:.3f} s, "
              f"raw render {p['raw_render_s']:.3f} s, ratio {p['ratio']:.2f}")
        b = res["browser"]
        print(f"  seed browser rendering ({b['pages']} pages, {b['tiles']} tiles, renderer busy "
              f"{b['busy_share']:.0%} of {b['frames']} frames): paint {b['paint_ms_median']:.2f} ms median, "
              f"{b['paint_ms_max']:.2f} ms max; event loop {b['event_ms_median']:.2f} ms median, "
              f"{b['event_ms_max']:.2f} ms max")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
