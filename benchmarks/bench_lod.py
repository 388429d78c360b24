"""Levels of detail: how much faster an overview refills, what each level costs, what it shows.

    python benchmarks/bench_lod.py [--model M.alis ...] [--width 1920] [--official-width 960]
                                   [--picture docs/levels.png]

Models: the bundled default (re-exported here from assets/default-checkpoint.pt, pixel for pixel the
release) and a random-init bundle of the paper's LHQ 1024 shape (trainer/official_import.py), unless
--model is given. For each, in the real viewport (offscreen) at 1/8 zoom, `--width` px wide: the time
from a psi edit to the view complete again, with levels of detail off (every patch rendered full
size and shrunk, as before) and on (one run each, alternating, the best of two); the convolution
FLOPs of a patch at each level (model.json); and each level's PSNR against the full render shrunk
to the same size by the app's 2x2 box filter (16 patches of seed 0), so a user knows what the
overview shows. `--picture` writes level 0 shrunk / each level side by side for the default model.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]


def default_bundle(tmp: Path) -> Path:
    from alis_studio.trainer.checkpoint import generator_from_checkpoint, load_checkpoint
    from alis_studio.trainer.export import export_bundle

    meta = json.loads(__import__("zipfile").ZipFile(ROOT / "assets" / "default.alis").read("model.json"))
    G = generator_from_checkpoint(load_checkpoint(ROOT / "assets" / "default-checkpoint.pt"))
    return export_bundle(G, tmp / "default.alis", training=meta["training"], tile_width=meta["tile_width"])


def official_bundle(tmp: Path) -> Path:
    from alis_studio.trainer.official_import import export_random_official, lhq1024_kwargs

    return export_random_official(lhq1024_kwargs(), tmp / "lhq1024-random.alis", seed=0)


def refill(app, bundle, width: int, use_levels: bool) -> tuple[float, int, int]:
    """(seconds from a psi edit to the complete 1/8 view, patches, level on screen)."""
    from alis_studio.engine.renderer import Renderer
    from alis_studio.engine.scene import Scene
    from alis_studio.gui.viewport import PanoramaView

    r = Renderer(bundle, workers=1, batch_size=8)
    r.use_levels = use_levels
    view = PanoramaView(Scene(seed=4, psi=0.7), r)
    view.resize(width, 200)
    view.show()
    view.camera.set(x0=0, scale=1 / 8, fit=False)
    try:
        wait(app, view)  # the first picture (and the time per patch measured)
        view.scene.set_psi(0.71)
        t0 = time.perf_counter()
        wait(app, view)
        p0, p1 = view.patch_range()
        return time.perf_counter() - t0, p1 - p0, view.lod
    finally:
        view.close_view()
        r.close()


def wait(app, view, timeout: float = 900.0) -> None:
    t0 = time.perf_counter()
    while not (view.is_complete() and view.pending() == 0):
        app.processEvents()
        time.sleep(0.001)
        if time.perf_counter() - t0 > timeout:
            raise TimeoutError("the view did not complete")


def psnr_by_level(bundle, patches: int = 16) -> dict[int, float]:
    from alis_studio.engine.renderer import Renderer
    from alis_studio.engine.scene import Scene

    r = Renderer(bundle, workers=0, batch_size=4)
    scene = Scene(seed=0, psi=0.7)
    keys = r.keys(scene, 0, patches)
    r.render(keys)  # full size, cached with its 2x2 box-filter mips
    out = {}
    for lv in [lv for lv in bundle.levels if lv]:
        own = np.concatenate(r.render(r.keys(scene, 0, patches, lv)), axis=1).astype(np.float64)
        full = np.concatenate([r.get(k, lv) for k in keys], axis=1).astype(np.float64)
        mse = np.mean((own - full) ** 2)
        out[lv] = 10 * np.log10(255 ** 2 / mse) if mse else float("inf")
    return out


def picture(bundle, path: Path, patches: int = 4) -> None:
    """Rows: the full render shrunk to each level (above) and the level's own image (below), each
    scaled back up (nearest) to the full height so the pixels can be seen."""
    from PIL import Image

    from alis_studio.engine.renderer import Renderer
    from alis_studio.engine.scene import Scene

    r = Renderer(bundle, workers=0, batch_size=4)
    scene = Scene(seed=7, psi=0.7)
    keys = r.keys(scene, 0, patches)
    r.render(keys)
    rows = []
    for lv in [lv for lv in bundle.levels if lv]:
        f = 2 ** lv
        shrunk = np.concatenate([r.get(k, lv) for k in keys], axis=1)
        own = np.concatenate(r.render(r.keys(scene, 0, patches, lv)), axis=1)
        for img in (shrunk, own):
            rows.append(np.repeat(np.repeat(img, f, 0), f, 1))
        rows.append(np.full((4, rows[-1].shape[1], 3), 25, np.uint8))
    Image.fromarray(np.concatenate(rows[:-1], axis=0)).save(path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", action="append", type=Path)
    ap.add_argument("--width", type=int, default=1920, help="viewport width for the bundled-size models")
    ap.add_argument("--official-width", type=int, default=960, help="viewport width for 1024 px models")
    ap.add_argument("--picture", type=Path, help="write the levels picture of the first model here")
    args = ap.parse_args()
    from alis_studio.engine.bundle import load_bundle
    from alis_studio.gui.app import make_app

    app = make_app(theme=True)
    print("CPU:", next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")),
                       "?"), f"({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as tmp:
        paths = args.model or [default_bundle(Path(tmp)), official_bundle(Path(tmp))]
        for n, path in enumerate(paths):
            b = load_bundle(path)
            width = args.official_width if b.height >= 512 else args.width
            print(f"{path.name}: {b.height} px, tiles {b.tile_width} px, levels {b.levels}, {b.provider}")
            for s in b.meta.get("stages", []):
                print(f"  level {s['level']}: {s['height']} x {s['tile_width']} px, "
                      f"{s['flops'] / 1e9:.2f} GFLOP a tile ({b.meta['tile_flops'] / s['flops']:.1f}x less than full)")
            runs = {False: [], True: []}
            for _ in range(2):
                for use in (False, True):
                    runs[use].append(refill(app, b, width, use))
            (off, patches, _), (on, _, lod) = min(runs[False]), min(runs[True])
            print(f"  1/8 overview, {width} px wide ({patches} tiles), refill after a psi edit: "
                  f"{off:.2f} s full size, {on:.2f} s at level {lod}: {off / on:.1f}x faster")
            for lv, db in psnr_by_level(b).items():
                print(f"  level {lv} against the full render shrunk to its size: PSNR {db:.1f} dB")
            if args.picture and n == 0:
                picture(b, args.picture)
                print(f"  wrote {args.picture}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
