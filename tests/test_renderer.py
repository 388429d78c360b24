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



def test_cache_evicts_the_least_recently_used_and_counts_hits():
    cache = PatchCache(max_bytes=3000)
    for i in range(3):
        cache.put(i, [np.full(1000, i, np.uint8)])
    assert cache.get(0)[0] == 0  # 0 is now the most recent: 1 goes first
    cache.put(3, [np.zeros(1000, np.uint8)])
    assert 1 not in cache and {0, 2, 3} <= {k for k in range(4) if k in cache}
    assert cache.get(1) is None
    assert (cache.hits, cache.misses) == (1, 1)
    cache.put(0, [np.zeros(10, np.uint8)])  # an existing key keeps its patch
    assert cache.get(0)[0] == 0 and cache.bytes == 3000


def test_cache_keeps_no_patch_larger_than_itself():
    cache = PatchCache(max_bytes=0)
    cache.put("k", [np.zeros(1, np.uint8)])
    assert len(cache) == 0 and cache.bytes == 0 and cache.get("k") is None
    big = PatchCache(max_bytes=1000)
    big.put("a", [np.zeros(600, np.uint8)])
    big.put("b", [np.zeros(1001, np.uint8)])
    assert "a" in big and "b" not in big


def test_cache_stays_bounded_under_threads():
    cache = PatchCache(max_bytes=50_000)

    def work(t):
        for i in range(500):
            cache.put((t, i), [np.zeros(1000, np.uint8)])
            cache.get((t, i - 3))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert cache.bytes == 1000 * len(cache) <= 50_000 and len(cache) == 50
    assert cache.hits + cache.misses == 4 * 500

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


def test_a_stale_slow_batch_is_stopped_when_the_user_pans_away(tiny_bundle, monkeypatch):
    """A big model's patch takes seconds: the ORT call of patches nobody wants any more is stopped
    (RunOptions.terminate), so the new view does not wait for it."""
    started, stopped = threading.Event(), threading.Event()
    real = tiny_bundle.synthesize

    def slow(windows, tiles, run_options=None, level=0):  # a patch that takes until it is stopped (or 20 s)
        if tiles.shape[0] and tiles[0] == 1:
            started.set()
            for _ in range(2000):
                if run_options is not None and run_options.terminate:
                    stopped.set()
                    raise RuntimeError("Exiting due to terminate flag being set to true.")
                threading.Event().wait(0.01)
        return real(windows, tiles, run_options, level)

    monkeypatch.setattr(tiny_bundle, "synthesize", slow)
    r = Renderer(tiny_bundle, workers=1, batch_size=1)
    try:
        scene = Scene(seed=4)
        r.submit(r.keys(scene, 1, 2), tag="view")  # tile k = 1: the slow one
        assert started.wait(10)
        assert r.inflight() and list(r.inflight().values()) == [None]  # no estimate before a batch ended
        done, away = threading.Event(), [r.key(scene, p) for p in (8, 10, 11)]  # tiles k = 0, 2, 3
        r.submit(away, on_done=done.set, tag="view")  # the user panned away
        assert stopped.wait(5) and done.wait(10)
        assert r.stats["stopped"] == 1 and r.last_error is None
        assert all(r.get(k) is not None for k in away)
        assert r.get(r.keys(scene, 1, 2)[0]) is None  # the stopped patch was not cached
    finally:
        r.close()


def test_a_patch_still_wanted_is_not_stopped(tiny_bundle):
    r = Renderer(tiny_bundle, workers=1, batch_size=2)
    try:
        scene, done = Scene(seed=4), threading.Event()
        r.submit(r.keys(scene, 0, 6), tag="view")
        r.submit(r.keys(scene, 0, 6), on_done=done.set, tag="view")  # the same patches again
        assert done.wait(30) and r.stats["stopped"] == 0
    finally:
        r.close()


def test_onnx_runtime_honours_the_terminate_flag(tiny_bundle):
    import onnxruntime as ort

    options = ort.RunOptions()
    options.terminate = True
    w = np.zeros((1, tiny_bundle.anchor_window, tiny_bundle.w_dim), np.float32)
    with pytest.raises(Exception, match="terminate"):
        tiny_bundle.synthesize(w, np.zeros(1, np.int64), options)


def test_batches_shrink_for_slow_patches_and_start_with_one(tiny_bundle):
    r = Renderer(tiny_bundle, workers=0, batch_size=8)
    assert r.batch_limit == 1  # the first batch measures the model
    r.patch_seconds = 0.01
    assert r.batch_limit == 8
    r.patch_seconds = 3.0  # the paper's LHQ 1024 on 2 CPU cores: one patch a batch
    assert r.batch_limit == 1
    r.patch_seconds = None
    r.render(r.keys(Scene(seed=1), 0, 12))
    assert r.patch_seconds is not None and r.stats["batches"] >= 2


def test_the_view_is_served_before_thumbnails_and_background_work(tiny_bundle):
    """Newest first within a priority, but a newer timeline or overview request never goes before the
    view's own patches (with a model whose patches take seconds, the view would wait a minute)."""
    from alis_studio.engine.renderer import BACKGROUND, THUMBNAILS

    r = Renderer(tiny_bundle, workers=0, batch_size=1)
    scene = Scene(seed=2)
    view = r.submit(r.keys(scene, 0, 2), tag="view")
    thumbs = r.submit(r.keys(scene, 10, 12), tag="timeline", priority=THUMBNAILS)
    r.submit(r.keys(scene, 20, 22), tag="overview", priority=BACKGROUND)
    with r._cv:
        assert r._next_batch()[0] is view
        view.cancel()
        assert r._next_batch()[0] is thumbs


def test_levels_of_detail_are_keys_of_their_own(tiny_bundle):
    """A level-L patch is cached apart, rendered by the bundle's stage for L, and read as mip L of the
    full size; `best` shows the finest cached level that is dense enough, or a coarser one upscaled."""
    r = Renderer(tiny_bundle, workers=0, batch_size=4)
    scene = Scene(seed=6)
    full, coarse = r.key(scene, 5), r.key(scene, 5, lod=2)
    assert full != coarse and r.lod_for(0) == 0 and r.lod_for(2) == 2 and r.lod_for(9) == 3
    (img,) = r.render([coarse])
    assert img.shape == (32 // 4, 16 // 4, 3) and r.get(coarse, 2).shape == img.shape and r.get(coarse, 1) is None
    rgb, exact = r.best(full, 1)  # only the coarse one cached: upscaled 2x, a stand-in
    assert rgb.shape == (16, 8, 3) and not exact and r.has(coarse) and not r.has(full)
    r.render([full])
    rgb, exact = r.best(coarse, 2)  # the full-size patch's mip: better than the level itself
    assert exact and np.array_equal(rgb, r.get(full, 2)) and r.has(coarse)
