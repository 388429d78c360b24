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
    r.patch_seconds = 0.066  # the bundled model on 2 cores: a full-HD view's 8 tiles in one call,
    assert r.batch_limit == 8  # not 7 + 1 (two calls: the pan took 1.7x its raw render)
    r.patch_seconds = 3.0  # the paper's LHQ 1024 on 2 CPU cores: one patch a batch
    assert r.batch_limit == 1
    r.patch_seconds = 0.9
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


def test_a_view_that_would_wait_long_gets_the_coarsest_level_first(tiny_bundle):
    """preview_lod: the coarsest level while the missing patches would take over PREVIEW_SECONDS;
    before any batch the load's probe tile (scaled by FLOPs to other levels) is the estimate."""
    import dataclasses

    from alis_studio.engine.renderer import PREVIEW_SECONDS

    assert tiny_bundle.probe_seconds is not None and tiny_bundle.probe_seconds > 0  # measured at load
    slow = dataclasses.replace(tiny_bundle, probe_seconds=2.0)  # the paper's model on a CPU
    r = Renderer(slow, workers=0)
    coarse = slow.levels[0]
    assert r.preview_lod(0, 6) == coarse  # 12 s of full patches: the coarse ones first
    assert r.preview_lod(coarse, 6) is None  # already the coarsest
    assert r.preview_lod(0, 0) is None  # nothing missing
    r.seconds_per_patch[0] = PREVIEW_SECONDS / 10  # measured: the whole view in under PREVIEW_SECONDS
    assert r.preview_lod(0, 6) is None
    r.seconds_per_patch[0] = 2.0
    assert r.preview_lod(0, 6) == coarse
    r.use_levels = False  # the performance panel's switch: full size only
    assert r.preview_lod(0, 6) is None
    fast = Renderer(tiny_bundle, workers=0)  # the tiny model's probe: far under a second
    assert fast.preview_lod(0, 6) is None
    # a level never rendered yet (the 1/2 view of a big model) is estimated by the stages' FLOPs
    half = Renderer(slow, workers=0)
    flops = slow.level_flops
    assert set(flops) == set(slow.levels) and flops[0] > flops[1] > flops[coarse]
    assert half.estimated_seconds(1) == pytest.approx(2.0 * flops[1] / flops[0])
    assert half.preview_lod(1, 6) == coarse
    half.seconds_per_patch[2] = 0.5  # a measured level goes before the probe
    assert half.estimated_seconds(1) == pytest.approx(0.5 * flops[1] / flops[2])


def test_a_full_render_goes_on_from_its_previews_stage_outputs_to_the_same_pixels(tiny_bundle):
    """A preview (the coarsest level, carry=True) keeps its stage outputs; the full render of those
    patches continues from them (the coarse stage is not run again) and gives the very pixels of a
    render from scratch; each continuation is used once. Mixed batches work too."""
    r = Renderer(tiny_bundle, workers=0, batch_size=8)
    scene, coarse = Scene(seed=8), tiny_bundle.levels[0]
    fulls = [r.key(scene, p) for p in range(6)]
    previews = [r.key(scene, p, coarse) for p in range(4)]  # patches 4 and 5 have none
    r.render_batch(previews, carry=True)
    assert len(r.continuations) == 4
    got = r.render_batch(fulls)  # 4 continued, 2 from scratch, in one batch
    assert r.stats["continued"] == 4 and len(r.continuations) == 0
    fresh = Renderer(tiny_bundle, workers=0, batch_size=8).render_batch(fulls)
    assert all(np.array_equal(a, b) for a, b in zip(got, fresh))
    r.render_batch(previews[:2], carry=True)  # to a middle level as well
    half = [r.key(scene, p, 1) for p in range(2)]
    assert all(np.array_equal(a, b) for a, b in zip(r.render_batch(half),
                                                     Renderer(tiny_bundle, workers=0).render_batch(half)))
    with pytest.raises(ValueError, match="cannot continue"):
        tiny_bundle.synthesis.run_from({}, coarse, start=(1, None, None))


def test_continuations_are_bounded_in_bytes(tiny_bundle):
    from alis_studio.engine.levels import Continuations

    c = Continuations(max_bytes=3 * 800)
    for i in range(5):
        c.put(i, 3, np.zeros(100, np.float32), np.zeros(100, np.float32))  # 800 bytes each
    assert len(c) == 3 and c.take(0) is None and c.take(4)[0] == 3 and c.take(4) is None
