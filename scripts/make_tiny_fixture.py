"""Regenerate tests/data/tiny.alis, the tiny model the tests run on without torch.

    python scripts/make_tiny_fixture.py [OUT]   # default: tests/data/tiny.alis; needs torch (the train extra)

The same as `alis-studio export-onnx --config tiny --random-init --seed 0 --tile-width 16 OUT`: the
`tiny` config with random weights (seed 0), in tiles of 16 px (4 per interval, so the app's
multi-tile paths run). The bytes differ from run to run (the creation time), the pixels do not:
tests/test_tiny_fixture.py checks the committed file against a fresh export, pixel for pixel, and
conftest's `tiny_generator` (torch) is the generator behind it. Regenerate it when the bundle
format changes (a new version), then commit it.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG, SEED, TILE_WIDTH = "tiny", 0, 16  # tests/conftest.py and tests/test_tiny_fixture.py say the same


def main(argv: list[str]) -> int:
    from alis_studio.trainer.export import export_random

    out = Path(argv[0]) if argv else ROOT / "tests" / "data" / "tiny.alis"
    path = export_random(CONFIG, out, seed=SEED, tile_width=TILE_WIDTH)
    print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
