"""GDAL, the third independent reader of DESIGN.md 3.4 (runs where Debian's gdal-bin is installed)."""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from alis_studio.engine.panorama import render_strip
from alis_studio.engine.scene import Scene
from alis_studio.jobs.export import ExportJob

pytestmark = pytest.mark.skipif(not shutil.which("gdal_translate"), reason="GDAL (gdal-bin) is not installed")


def test_gdal_reads_size_overviews_and_pixels(tiny_renderer, tmp_path):
    out = tmp_path / "pano.tif"
    ExportJob(tiny_renderer, Scene(seed=6), out, width=5000).run()
    info = subprocess.run(["gdalinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert "Size is 5000, 32" in info and "Overviews: 2500x16, 1250x8" in info
    assert "model_sha256" in info
    crop = tmp_path / "crop.png"
    subprocess.run(["gdal_translate", "-q", "-srcwin", "1234", "0", "700", "32", str(out), str(crop)], check=True)
    expected = render_strip(tiny_renderer, Scene(seed=6), 1234, 700, use_cache=False)
    np.testing.assert_array_equal(np.asarray(Image.open(crop).convert("RGB")), expected)
