"""--360: one loop period tagged with XMP GPano, read back from TIFF, JPEG and PNG."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import tifffile
from PIL import Image

from alis_studio.cli.main import main
from alis_studio.exporters.xmp import gpano_xmp, vertical_fov

GPANO = "{http://ns.google.com/photos/1.0/panorama/}"


def gpano(xmp: bytes | str) -> dict:
    xmp = xmp.decode() if isinstance(xmp, bytes) else xmp
    desc = ET.fromstring(xmp[xmp.index("<x:xmpmeta"):xmp.index("</x:xmpmeta>") + 12]).find(".//{*}Description")
    return {el.tag.replace(GPANO, ""): el.text for el in desc}


def export(model, out, *args) -> int:
    return main(["export", "--model", str(model), "--seed", "2", "--loop", "4", "--360", "--quiet",
                 "--out", str(out), *map(str, args)])


@pytest.mark.parametrize("ext", ["tif", "jpg", "png"])
def test_360_tags(tiny_model_path, tmp_path, ext):
    out = tmp_path / f"pano.{ext}"
    assert export(tiny_model_path, out, "--height-scale", 2) == 0
    if ext == "tif":
        with tifffile.TiffFile(out) as tf:
            xmp = tf.pages[0].tags["XMP"].value
            assert tf.pages[0].shape == (64, 512, 3)
    else:
        with Image.open(out) as img:
            assert img.size == (512, 64)
            xmp = img.info["xmp"] if ext == "jpg" else img.info["XML:com.adobe.xmp"]
    g = gpano(xmp)
    assert g["ProjectionType"] == "equirectangular" and g["UsePanoramaViewer"] == "True"
    assert g["FullPanoWidthPixels"] == g["CroppedAreaImageWidthPixels"] == "512"
    assert g["FullPanoHeightPixels"] == "256" and g["CroppedAreaImageHeightPixels"] == "64"
    assert g["CroppedAreaTopPixels"] == "96" and g["CroppedAreaLeftPixels"] == "0"
    assert vertical_fov(512, 64) == 45.0


def test_360_needs_a_loop_and_a_strip(tiny_model_path, tmp_path, capsys):
    assert main(["export", "--model", str(tiny_model_path), "--width", "300", "--360",
                 "--out", str(tmp_path / "a.jpg")]) == 2
    err = capsys.readouterr().err.strip()
    assert "needs a loop" in err and "\n" not in err
    with pytest.raises(Exception, match="twice as wide"):
        gpano_xmp(100, 80)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("out,fmt", [("view", "dzi"), ("view.zip", None)])
def test_360_with_deep_zoom_is_refused_not_ignored(tiny_model_path, tmp_path, capsys, out, fmt):
    """Deep Zoom tiles carry no XMP (a loop's viewer pans around endlessly by itself): --360 there is
    refused before rendering instead of silently doing nothing."""
    args = ["export", "--model", str(tiny_model_path), "--loop", "4", "--360", "--out", str(tmp_path / out)]
    assert main(args + (["--format", fmt] if fmt else [])) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("alis-studio: error: ") and "\n" not in err and "Deep Zoom" in err, err
    assert list(tmp_path.iterdir()) == []
