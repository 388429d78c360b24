"""Datasets: any image mode becomes RGB, crops and sizes, bad files skipped, zips, the cache."""
from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from alis_studio.errors import DatasetError
from alis_studio.evaluation.datasets import load_image, prepare, scan
from alis_studio.trainer.data import Sampler


def _save(img, path, **kw):
    img.save(path, **kw)
    return path


def _two_colour(w, h, mode="RGB"):
    """Left half red, right half blue."""
    a = np.zeros((h, w, 3), np.uint8)
    a[:, : w // 2] = (255, 0, 0)
    a[:, w // 2:] = (0, 0, 255)
    return Image.fromarray(a).convert(mode) if mode != "RGB" else Image.fromarray(a)


@pytest.fixture
def mixed_folder(tmp_path):
    d = tmp_path / "photos"
    (d / "sub" / "deeper").mkdir(parents=True)
    base = _two_colour(60, 40)
    _save(base, d / "a.jpg", quality=95)
    _save(base.convert("RGBA"), d / "b.png")
    _save(base.convert("LA"), d / "c.png")
    _save(base.convert("P"), d / "sub" / "d.png")
    _save(base.convert("CMYK"), d / "sub" / "e.jpg")
    _save(base, d / "sub" / "f.webp")
    _save(base, d / "sub" / "g.bmp")
    _save(base, d / "sub" / "deeper" / "h.tiff")
    i16 = Image.fromarray((np.linspace(0, 65535, 60 * 40).reshape(40, 60)).astype(np.uint16))
    _save(i16, d / "sub" / "deeper" / "i16.png")
    (d / "notes.txt").write_text("not an image")
    return d


def test_every_mode_becomes_rgb(mixed_folder, tmp_path):
    ds = prepare(mixed_folder, 16, 16, tmp_path / "cache", workers=1)
    assert len(ds) == 9 and ds.skipped == []
    assert ds.images.shape == (9, 16, 16, 3) and ds.images.dtype == np.uint8
    names = scan(mixed_folder).names
    assert names[0] == "a.jpg" and "sub/deeper/h.tiff" in names
    i16 = ds.images[names.index("sub/deeper/i16.png")]
    assert i16[:, 0].mean() < i16[:, -1].mean() and np.ptp(i16[..., 0]) > 100  # 16-bit range kept


def test_square_centre_crop_and_lanczos(tmp_path):
    a = np.zeros((100, 300, 3), np.uint8)
    a[:, 100:200] = 200  # the centre square is grey, the sides black
    path = _save(Image.fromarray(a), tmp_path / "wide.png")
    out = load_image(path, 32, 32)
    assert out.shape == (32, 32, 3) and out[4:-4, 4:-4].min() >= 195  # only the centre square remains
    tall = load_image(_save(Image.fromarray(a.transpose(1, 0, 2).copy()), tmp_path / "tall.png"), 8, 16)
    assert tall.shape == (8, 16, 3)  # frames of H x 2P crop to their own aspect


def test_exif_rotation_is_applied(tmp_path):
    img = _two_colour(40, 20)  # stored landscape: red left, blue right
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW to display: red ends up on top
    path = _save(img, tmp_path / "rot.jpg", exif=exif, quality=95)
    out = load_image(path, 16, 16).astype(int)
    assert out[:4, :, 0].mean() > 150 and out[-4:, :, 2].mean() > 150


def test_corrupt_files_are_skipped_and_listed(mixed_folder, tmp_path):
    good = (mixed_folder / "a.jpg").read_bytes()
    (mixed_folder / "truncated.jpg").write_bytes(good[: len(good) // 3])
    (mixed_folder / "fake.png").write_bytes(b"this is not a png")
    (mixed_folder / "empty.webp").write_bytes(b"")
    ds = prepare(mixed_folder, 16, 16, tmp_path / "cache", workers=1)
    assert len(ds) == 9
    assert sorted(n for n, _ in ds.skipped) == ["empty.webp", "fake.png", "truncated.jpg"]
    assert all(why for _, why in ds.skipped)


def test_zip_dataset_equals_folder(mixed_folder, tmp_path):
    zpath = tmp_path / "photos.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for p in sorted(mixed_folder.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(mixed_folder).as_posix())
    a = prepare(mixed_folder, 16, 16, tmp_path / "c1", workers=1)
    b = prepare(zpath, 16, 16, tmp_path / "c2", workers=1)
    np.testing.assert_array_equal(np.asarray(a.images), np.asarray(b.images))


def test_cache_is_reused_and_keyed(mixed_folder, tmp_path):
    a = prepare(mixed_folder, 16, 16, tmp_path / "cache", workers=1)
    b = prepare(mixed_folder, 16, 16, tmp_path / "cache", workers=1)
    assert not a.reused and b.reused and a.cache_path == b.cache_path
    assert prepare(mixed_folder, 8, 8, tmp_path / "cache", workers=1).cache_path != a.cache_path
    _save(_two_colour(30, 30), mixed_folder / "new.png")
    c = prepare(mixed_folder, 16, 16, tmp_path / "cache", workers=1)
    assert not c.reused and len(c) == 10


def test_parallel_build_matches_serial(tmp_path):
    from alis_studio.trainer.procedural import write_dataset

    write_dataset(tmp_path / "p", 80, 32, workers=1)
    a = prepare(tmp_path / "p", 16, 16, tmp_path / "c1", workers=1)
    b = prepare(tmp_path / "p", 16, 16, tmp_path / "c2", workers=2)
    np.testing.assert_array_equal(np.asarray(a.images), np.asarray(b.images))


def test_bad_datasets_are_one_line_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no images found"):
        prepare(tmp_path / "empty", 16, 16, tmp_path / "c")
    bad = tmp_path / "bad"
    bad.mkdir()
    for i in range(3):
        (bad / f"{i}.jpg").write_bytes(b"garbage")
    with pytest.raises(DatasetError, match="none of the 3 image files could be read"):
        prepare(bad, 16, 16, tmp_path / "c")
    with pytest.raises(DatasetError, match="no such file"):
        prepare(tmp_path / "missing", 16, 16, tmp_path / "c")
    (tmp_path / "x.txt").write_text("x")
    with pytest.raises(DatasetError, match="not a folder or a zip"):
        prepare(tmp_path / "x.txt", 16, 16, tmp_path / "c")


def test_sampler_flips_shards_and_resumes():
    images = np.arange(10 * 2 * 4 * 3, dtype=np.uint8).reshape(10, 2, 4, 3)
    s = Sampler(images, 4, seed=1)
    seen = np.concatenate([s.next() for _ in range(5)])  # 20 = two epochs
    firsts = {int(im[0, 0, 0]) for im in seen} | {int(im[0, -1, 0]) for im in seen}
    assert {int(images[i, 0, 0, 0]) for i in range(10)} <= firsts
    assert any((im[:, ::-1] == images[j]).all() for im in seen for j in range(10))  # some flipped
    state = s.state_dict()
    after = [s.next() for _ in range(4)]
    s2 = Sampler(images, 4, seed=99)
    s2.load_state_dict(state)
    for a, b in zip(after, (s2.next() for _ in range(4))):
        np.testing.assert_array_equal(a, b)
    r0, r1 = Sampler(images, 2, rank=0, world=2), Sampler(images, 2, rank=1, world=2)
    assert set(r0.shard) & set(r1.shard) == set() and len(r0.shard) + len(r1.shard) == 10


def test_big_jpeg_is_decoded_at_reduced_scale(tmp_path):
    big = Image.fromarray(np.random.default_rng(0).integers(0, 255, (750, 1000, 3), np.uint8))
    buf = io.BytesIO()
    big.resize((3000, 2250)).save(buf, "JPEG", quality=80)
    out = load_image(buf.getvalue(), 64, 64)
    assert out.shape == (64, 64, 3)
