"""The export formats' one registry (exporters/registry.py): the CLI, the dialog, the plan and the job read it,
so a new format is a writer plus one entry."""
from __future__ import annotations

import argparse
import dataclasses

import numpy as np
import pytest

from alis_studio.engine.panorama import render_strip
from alis_studio.engine.renderer import Renderer
from alis_studio.engine.scene import Scene
from alis_studio.errors import ExportError
from alis_studio.exporters import registry
from alis_studio.exporters.plan import ExportPlan, format_for
from alis_studio.exporters.stream import TimedPieces, WriteStats
from alis_studio.jobs.export import ExportJob


def _format_choices() -> list[str]:
    from alis_studio.cli.export import add_parser

    sub = argparse.ArgumentParser().add_subparsers()
    add_parser(sub)
    p = sub.choices["export"]
    return next(a.choices for a in p._actions if a.dest == "format")


def test_cli_dialog_and_suffixes_list_the_registry():
    from alis_studio.gui.export_dialog import FORMATS as dialog

    assert list(_format_choices()) == list(registry.FORMATS) == ["tiff", "png", "jpeg", "dzi", "mp4"]
    assert [name for name, _ in dialog.values()] == list(registry.FORMATS)
    assert dict(dialog.values()) == {"tiff": ".tif", "png": ".png", "jpeg": ".jpg", "dzi": "", "mp4": ".mp4"}
    for f in registry.FORMATS.values():
        for s in f.suffixes:
            assert format_for(f"x{s.upper()}") == f.name
    assert registry.image_formats() == ("tiff", "png", "jpeg", "dzi")


def _ppm_write(path, pieces, plan, *, xmp, wrap, width, height, progress, cancel, **kw):
    """A new format's writer: binary PPM, the whole image in memory."""
    stats = WriteStats(width, height, [(width, height)])
    source = TimedPieces(pieces, width, stats, progress, cancel)
    img = np.concatenate(list(source), axis=1)
    source.check_exhausted()
    path.write_bytes(f"P6 {width} {height} 255\n".encode() + img.tobytes())
    stats.bytes = path.stat().st_size
    return stats


def _ppm_check(plan):
    if plan.width > 10_000:
        raise ExportError(f"{plan.width} px is too wide for a PPM")


@pytest.fixture
def with_ppm(monkeypatch):
    ppm = registry.Format("ppm", "PPM", (".ppm",), frozenset({"pano360"}), check=_ppm_check,
                          codec=lambda plan: "none", write=_ppm_write)
    monkeypatch.setitem(registry.FORMATS, "ppm", ppm)
    return ppm


def test_a_new_format_is_one_registry_entry(with_ppm, tiny_bundle, tmp_path):
    assert format_for(tmp_path / "a.ppm") == "ppm" and "ppm" in _format_choices()
    with pytest.raises(ExportError, match="too wide for a PPM"):
        ExportPlan(20_000, 32, "ppm")
    plan = ExportPlan(300, 32, "ppm")
    assert plan.raw_bytes() == 300 * 32 * 3 and plan.temp_bytes() == 0 and plan.codec == "none"
    renderer = Renderer(tiny_bundle, workers=0, batch_size=8, cache_bytes=0)
    try:
        scene = Scene(seed=3)
        job = ExportJob(renderer, scene, tmp_path / "a.ppm", width=300, fmt="ppm")
        job.check()
        stats = job.run()
        ref = render_strip(renderer, scene, 0, 300)
    finally:
        renderer.close()
    data = (tmp_path / "a.ppm").read_bytes()
    header = f"P6 300 {ref.shape[0]} 255\n".encode()
    assert data.startswith(header) and stats.bytes == len(data)
    np.testing.assert_array_equal(np.frombuffer(data[len(header):], np.uint8).reshape(ref.shape), ref)


def test_360_follows_the_options(with_ppm, tiny_bundle, tmp_path, monkeypatch):
    renderer = Renderer(tiny_bundle, workers=0, batch_size=8, cache_bytes=0)
    try:
        kw = dict(period=4 * tiny_bundle.interval_width, pano360=True)
        assert ExportJob(renderer, Scene(seed=1), tmp_path / "a.ppm", fmt="ppm", **kw).xmp()
        with pytest.raises(ExportError, match="pans around endlessly"):
            ExportJob(renderer, Scene(seed=1), tmp_path / "v", fmt="dzi", **kw)
        monkeypatch.setitem(registry.FORMATS, "ppm", dataclasses.replace(with_ppm, options=frozenset()))
        with pytest.raises(ExportError, match=r"a 360° export is a TIFF, PNG or JPEG image, not ppm"):
            ExportJob(renderer, Scene(seed=1), tmp_path / "a.ppm", fmt="ppm", **kw)
    finally:
        renderer.close()
