"""The camera (engine/camera.py): one evented model of what the window shows, without Qt."""
from __future__ import annotations

import json
import math

import pytest

from alis_studio.engine.camera import CRISP_MAX, MIN_SCALE, ZOOM_IN_LIMIT, Camera


# ---------------------------------------------------------------------- the model
def test_the_camera_clamps_the_zoom_and_the_rows():
    c = Camera(height=32, width=320, screen_height=120)
    c.set(scale=100.0, fit=False)
    assert c.scale == ZOOM_IN_LIMIT == c.max_scale()  # 120 / 32 < 4: the limit is 4x
    c.set(scale=1e-6)
    assert c.scale == MIN_SCALE
    c.set(scale=2.0, cy=-50.0)  # 60 rows on screen over a 32-row panorama: centred
    assert c.cy == 16.0
    c.set(scale=4.0, cy=-50.0)  # 30 rows on screen: cy stays where the panorama covers the screen
    assert c.cy == pytest.approx(15.0)
    c.set(cy=1e9)
    assert c.cy == pytest.approx(32 - 15.0)
    tall = Camera(height=32, width=320, screen_height=400)
    tall.set(scale=100.0, fit=False)
    assert tall.scale == tall.max_scale() == tall.fit_scale() == 400 / 32  # fit beyond the 4x limit


def test_fit_follows_the_screen_and_the_cap_keeps_pixels_crisp():
    c = Camera(height=32, width=320, screen_height=120)
    c.set(fit=True, fit_cap=None)
    assert c.scale == pytest.approx(120 / 32)
    c.crisp_view()
    assert c.fit and c.fit_cap == CRISP_MAX and c.scale == CRISP_MAX
    c.fit_height()
    middle = c.center_x()
    c.resize(320, 64)  # a fit view follows the screen's height, about its centre
    assert c.scale == pytest.approx(2.0) and c.center_x() == pytest.approx(middle)
    c.zoom_at(2.0)
    assert not c.fit and c.scale == pytest.approx(4.0) and c.center_x() == pytest.approx(middle)
    c.actual_size()
    assert c.scale == 1.0 and c.center_x() == pytest.approx(middle)


def test_navigation_moves_the_columns_it_says():
    c = Camera(height=32, width=300, screen_height=32)
    c.set(x0=0.0, scale=2.0, fit=False)
    c.pan_pixels(100)  # the content moves right: the left edge goes 50 columns left
    assert c.x0 == -50.0
    c.center_on(1000.0)
    assert c.center_x() == 1000.0 and c.to_screen_x(1000.0) == 150.0 and c.to_model_x(150.0) == 1000.0
    x = c.to_model_x(30.0)
    c.zoom_at(2 ** 0.5, 30.0)  # the column under the mouse stays there
    assert c.to_model_x(30.0) == pytest.approx(x)
    assert c.visible_range() == (math.floor(c.x0), math.ceil(c.x0 + c.span()) - math.floor(c.x0))
    assert c.patch_range(16) == (math.floor(c.x0 / 16), math.ceil((c.x0 + c.span()) / 16))


def test_one_notification_per_change_and_none_without_one():
    c = Camera(height=32, width=320, screen_height=120)
    c.set(x0=5.0, scale=1.0, fit=False)
    calls = []

    def fn(camera):
        calls.append(camera.to_dict())
    c.subscribe(fn)
    c.set(x0=5.0, scale=1.0, fit=False)  # no change: silence
    c.center_on(c.center_x())
    assert calls == []
    c.zoom_at(2.0, 10.0)  # scale, x0 and fit at once: one notification, with the final state
    assert calls == [c.to_dict()]
    c.crisp_view()  # fit, cap, scale and the re-centring: one
    c.resize(640, 120)
    c.pan_pixels(3, 2)
    assert len(calls) == 4 and calls[-1] == c.to_dict()
    c.unsubscribe(fn)
    c.unsubscribe(fn)  # twice is harmless
    c.pan_pixels(10)
    assert len(calls) == 4


def test_dict_round_trip_keeps_the_sessions_keys():
    c = Camera(height=32, width=320, screen_height=120)
    c.set(x0=-123.4567, scale=1.2345678, cy=10.0, fit=False, fit_cap=None)
    d = c.to_dict()
    assert set(d) == {"x0", "scale", "cy", "fit", "fit_cap"}
    assert d == {"x0": -123.457, "scale": 1.234568, "cy": round(c.cy, 3), "fit": False, "fit_cap": None}
    assert json.loads(json.dumps(d)) == d
    again = Camera.from_dict(d, height=32, width=320, screen_height=120)
    assert again.to_dict() == d
    again.restore({"x0": 7.0, "fit": True, "fit_cap": 2.0})  # the crisp first view, as saved today
    assert again.x0 == 7.0 and again.fit and again.scale == CRISP_MAX
    for bad in ({"x0": "left"}, {"scale": None}, {"x0": float("nan")}, {"cy": 10 ** 400}, []):
        again.set(x0=500.0, scale=0.5, fit=False)
        again.restore(bad)  # a damaged view: the first view (the origin centred, the crisp fit)
        assert again.center_x() == 0.0 and again.fit and again.fit_cap == CRISP_MAX


def test_no_view_is_the_crisp_first_view_centred_on_the_origin():
    """Camera.restore({}) (New Session, a session without a "view") dropped the 2x cap: Fit Height."""
    c = Camera(height=32, width=320, screen_height=120)
    c.set(x0=500.0, scale=0.5, fit=False, fit_cap=None)
    c.restore({})
    assert c.fit and c.fit_cap == CRISP_MAX and c.scale == CRISP_MAX and c.center_x() == 0.0
    first = c.to_dict()
    c.set(x0=-77.0, scale=3.0, fit=False)
    c.first_view()
    assert c.to_dict() == first
    c.restore({"x0": 7.0, "fit": True})  # a view saved before fit_cap existed: Fit Height, as it was
    assert c.x0 == 7.0 and c.fit_cap is None and c.scale == pytest.approx(120 / 32)
