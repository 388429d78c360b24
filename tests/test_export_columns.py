"""The column buffer the streaming writers share (exporters/columns.py), and the one 2x2 filter."""
from __future__ import annotations

import numpy as np
import pytest

from alis_studio.exporters.columns import ColumnBuffer
from alis_studio.exporters import deepzoom_tiles, flythrough, resample
from alis_studio.imaging import downsample2


def _image(width: int, height: int = 5) -> np.ndarray:
    return np.random.default_rng(width).integers(0, 256, (height, width, 3), np.uint8)


class Counted:
    """Pieces of an image, counting how many were read."""

    def __init__(self, img: np.ndarray, widths: list[int]):
        self.pieces, x = [], 0
        for w in widths:
            self.pieces.append(img[:, x:x + w])
            x += w
        self.read = 0

    def __iter__(self):
        for p in self.pieces:
            self.read += 1
            yield p


def test_fill_reads_only_the_pieces_it_needs_and_windows_are_the_columns():
    img = _image(40)
    src = Counted(img, [7, 0, 13, 10, 10])
    buf = ColumnBuffer(src, start=100)
    assert buf.end == 100 and buf.data is None
    assert buf.fill(105) and src.read == 1 and buf.end == 107
    assert buf.fill(107) and src.read == 1  # already there: nothing read
    assert buf.fill(108) and src.read == 3 and buf.end == 120  # the empty piece is read through
    np.testing.assert_array_equal(buf.window(103, 118), img[:, 3:18])
    buf.drop(110)
    assert buf.start == 110 and buf.data.shape[1] == 10
    buf.drop(50)  # left of start: nothing to forget
    assert buf.start == 110
    assert buf.fill(140) and src.read == 5
    np.testing.assert_array_equal(buf.window(110, 140), img[:, 10:40])
    assert buf.exhausted() and buf.ended


def test_fill_reports_the_end_of_the_pieces_and_reads_no_further():
    img = _image(12)
    src = Counted(img, [5, 7])
    buf = ColumnBuffer(src)
    assert not buf.fill(20) and buf.ended and buf.end == 12
    assert not buf.fill(30) and src.read == 2  # ended: the iterator is left alone
    assert buf.exhausted()


def test_exhausted_reads_one_more_piece_to_know():
    buf = ColumnBuffer(iter([_image(4), _image(3)]))
    assert buf.fill(4) and buf.end == 4
    assert not buf.exhausted()  # a piece was left (it is consumed by asking)
    assert buf.exhausted()


def test_no_pieces_at_all():
    buf = ColumnBuffer([], start=3)
    assert not buf.fill(1 + 3) and buf.end == 3 and buf.data is None
    buf.drop(10)  # nothing held: nothing to drop
    assert buf.start == 3


@pytest.mark.parametrize("scale", [0.25, 0.5, 1.0, 2.0, 3.5])
def test_one_margin_for_the_resampler_and_the_camera(scale):
    assert not hasattr(flythrough, "LANCZOS_SUPPORT") and not hasattr(flythrough, "source_margin")
    assert resample.margin_for(scale) == resample.filter_reach(scale) + 2
    assert resample.filter_reach(scale) == int(np.ceil(resample.LANCZOS_SUPPORT * max(1.0, 1.0 / scale)))


@pytest.mark.parametrize("shape", [(6, 8), (7, 8), (6, 9), (7, 9), (1, 1)])
def test_downsample2_copies_odd_edges_as_dzsave(shape):
    a = _image(shape[1], shape[0])
    padded = np.concatenate([a, a[-1:]], axis=0) if shape[0] % 2 else a
    padded = np.concatenate([padded, padded[:, -1:]], axis=1) if shape[1] % 2 else padded
    s = padded.astype(np.uint16)
    ref = ((s[0::2, 0::2] + s[1::2, 0::2] + s[0::2, 1::2] + s[1::2, 1::2] + 2) >> 2).astype(np.uint8)
    np.testing.assert_array_equal(downsample2(a), ref)
    assert deepzoom_tiles.down2 is downsample2
