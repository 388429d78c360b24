"""The renderer: cache bounds, async delivery newest-first, stale requests dropped, cancel."""
import threading

import numpy as np
import pytest

from alis_studio.engine.panorama import render_strip
from alis_studio.engine.renderer import Cancelled, PatchCache, Renderer
from alis_studio.engine.scene import Scene


def test_cache_is_bounded_in_bytes():
    cache = PatchCache(max_bytes=10_000)
    for i in range(20):
        cache.put(("k", i), [np.zeros(1000, np.uint8)])
    assert cache.bytes <= 10_000 and len(cache) == 10
    assert cache.get(("k", 0)) is None and cache.get(("k", 19)) is not None


def test_async_render_matches_sync(tiny_renderer):
    scene = Scene(seed=3)
    keys = tiny_renderer.keys(scene, -5, 7)
    got, done = [], threading.Event()
    tiny_renderer.submit(keys, on_patch=got.append, on_done=done.set, tag="view")
    assert done.wait(30)
    assert set(got) == set(keys)
    sync = tiny_renderer.render(keys, use_cache=False)
    for k, img in zip(keys, sync):
        np.testing.assert_array_equal(tiny_renderer.get(k), img)
        assert tiny_renderer.get(k, level=2).shape == (img.shape[0] // 4, img.shape[1] // 4, 3)


def test_newer_request_with_same_tag_drops_stale(tiny_bundle):
    r = Renderer(tiny_bundle, workers=1, batch_size=1)
    try:
        scene = Scene(seed=9)
        old = r.submit(r.keys(scene, 0, 400), tag="view")
        new_done = threading.Event()
        r.submit(r.keys(scene, 1000, 1004), on_done=new_done.set, tag="view")
        assert new_done.wait(30)
        assert old.cancelled
        assert r.wait_idle(30)
        assert sum(k in r.cache for k in r.keys(scene, 0, 400)) < 400
    finally:
        r.close()


def test_sync_render_cancels(tiny_renderer):
    calls = []
    with pytest.raises(Cancelled):
        render_strip(tiny_renderer, Scene(), 0, 10_000, use_cache=False,
                     cancel=lambda: calls.append(1) or len(calls) > 2)


def test_strip_crops_to_columns(tiny_renderer):
    scene = Scene(seed=1)
    whole = render_strip(tiny_renderer, scene, -64, 256)
    part = render_strip(tiny_renderer, scene, -41, 100)
    np.testing.assert_array_equal(part, whole[:, 23:123])


def test_truncation_zero_gives_the_mean_scene(tiny_renderer):
    a = render_strip(tiny_renderer, Scene(seed=1, psi=0.0), 0, 128)
    b = render_strip(tiny_renderer, Scene(seed=2, psi=0.0), 0, 128)
    np.testing.assert_array_equal(a, b)
