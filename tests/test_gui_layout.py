"""The timeline's slot layout (gui/layout.py, issue 30 item 1): pure maths that the timeline draws
with and the ruler reads, so the ruler needs the layout, not the timeline widget."""
from __future__ import annotations

import math

import pytest

from alis_studio.engine.camera import Camera
from alis_studio.engine.scene import Scene
from alis_studio.gui.layout import GAP, MAX_SPACING, SlotLayout


def _camera(scale: float, x0: float = 100.0) -> Camera:
    c = Camera(height=32, width=400, screen_height=120)
    c.set(x0=x0, scale=scale, fit=False)
    return c


def test_slots_follow_the_views_spacing_between_touching_and_max_spacing():
    d, w = 64, 40
    s = SlotLayout(d, w)
    lo, hi = (w + GAP) / d, MAX_SPACING / d
    assert s.spacing_scale(1 / 8) == pytest.approx(lo)  # zoomed out: slots touch, never overlap
    assert s.spacing_scale(1.5) == pytest.approx(1.5)  # in between: anchors sit under the view
    assert s.spacing_scale(4.0) == pytest.approx(hi)  # zoomed in: neighbours stay in sight
    assert SlotLayout(d, 400).spacing_scale(4.0) == pytest.approx((400 + GAP) / d)  # wide slots win


def test_anchor_x_anchor_at_and_anchor_range_agree():
    s, cam, width = SlotLayout(64, 40), _camera(0.5), 700
    i0, i1 = s.anchor_range(cam, width)
    assert s.anchor_x(i0, cam, width) < 0 and s.anchor_x(i1, cam, width) > width
    for i in range(i0, i1 + 1):
        assert s.anchor_at(s.anchor_x(i, cam, width), cam, width) == i
    centre = cam.center_x() / 64
    assert s.anchor_at(width / 2, cam, width) == round(centre)  # the strip's middle is the view's centre
    assert i0 == math.floor((cam.center_x() - width / 2 / s.spacing_scale(cam.scale)) / 64) - 1


def test_a_ruler_ties_ticks_to_a_layout_without_any_timeline(qtbot):
    pytest.importorskip("PySide6")
    from types import SimpleNamespace

    from alis_studio.gui.ruler import Ruler

    bundle = SimpleNamespace(interval_width=64, tile_width=16)
    cam, slots = _camera(1 / 8), SlotLayout(64, 40)
    r = Ruler(cam, Scene(seed=1), bundle, slots)
    qtbot.addWidget(r)
    r.resize(600, 30)
    lines = r.connectors()
    i0, i1 = slots.anchor_range(cam, 600)
    assert [i for i, _, _ in lines] == list(range(i0, i1 + 1))
    assert all(b == pytest.approx(slots.anchor_x(i, cam, 600)) and t == pytest.approx(cam.to_screen_x(i * 64))
               for i, t, b in lines)
    cam.set(scale=slots.spacing_scale(1.0), fit=False)  # the same spacing: ticks already above their slots
    assert r.connectors() == []
    bare = Ruler(cam, Scene(), bundle)
    qtbot.addWidget(bare)
    assert bare.connectors() == []  # no slots below: nothing to tie
    bare.close_view()
    r.close_view()
    r.close_view()  # twice is harmless
