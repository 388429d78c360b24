"""The committed tiny model (tests/data/tiny.alis) is what the exporter writes today, pixel for pixel,
so the torch generator of conftest's `tiny_generator` is the one behind `tiny_model_path`."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

TINY_ALIS = Path(__file__).parent / "data" / "tiny.alis"

STAMPS = ("created", "producer")  # the time and the torch version of the export: not the model


def _outputs(bundle) -> dict[str, np.ndarray]:
    """The mapping of fixed latents, then every tile of an interval at every level of detail."""
    n, a = bundle.tiles_per_interval, bundle.anchor_window
    z = np.random.default_rng(0).standard_normal((n * a, bundle.z_dim)).astype(np.float32)
    w = bundle.mapping.run(["w"], {"z": z})[0]  # (n * A, w_dim)
    tiles = np.arange(n, dtype=np.int64)
    out = {"w": w}
    for level in bundle.levels:
        out[f"level {level}"] = bundle.synthesize(w.reshape(n, a, -1), tiles, level=level)  # (n, 3, H', T')
    return out


def test_committed_bundle_is_a_fresh_export(tmp_path):
    pytest.importorskip("torch")
    from alis_studio.engine.bundle import load_bundle
    from alis_studio.trainer.export import export_random

    fresh = load_bundle(export_random("tiny", tmp_path / "tiny.alis", seed=0, tile_width=16), device="cpu")
    committed = load_bundle(TINY_ALIS, device="cpu")
    strip = lambda meta: {k: v for k, v in meta.items() if k not in STAMPS}  # noqa: E731
    assert strip(committed.meta) == strip(fresh.meta), \
        "tests/data/tiny.alis is out of date: run python scripts/make_tiny_fixture.py"
    assert committed.levels == fresh.levels == [3, 2, 1, 0]
    mine, theirs = _outputs(committed), _outputs(fresh)
    for name in mine:
        np.testing.assert_array_equal(mine[name], theirs[name], err_msg=f"{name}: regenerate tests/data/tiny.alis")


def test_committed_bundle_is_small_and_current():
    """The fixture stays a few hundred KB, and is of the format the engine reads today."""
    from alis_studio.engine.bundle import VERSION, read_meta

    meta = read_meta(TINY_ALIS)
    assert TINY_ALIS.stat().st_size < 512 * 1024
    assert (meta["version"], meta["tile_width"], meta["arch"]["name"]) == (VERSION, 16, "tiny")
    assert meta["training"] == {"dataset": None, "kimg": 0, "metrics": {}, "random_init": True, "seed": 0}
