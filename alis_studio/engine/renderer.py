"""The renderer (DESIGN.md 3.3): patch keys -> batched ORT calls on worker threads -> byte-bounded LRU.

A "patch" here is one synthesis call's output: a tile of T columns (format 1: a patch of P).

Asynchronous use (the GUI): `submit(keys, on_patch, tag="view")`; the newest request is served
first and a new request with the same tag drops the stale one. Callbacks run on worker threads;
the caller marshals them (the GUI through a Qt signal). Synchronous use (CLI, exporters):
`render(keys)` or `iter_render(keys)`, batched on the caller's thread, with progress and cancel.
"""
from __future__ import annotations

import atexit
import dataclasses
import itertools
import threading
import time
import weakref
from typing import Callable, Iterable, Iterator

import cachetools
import numpy as np

from alis_studio.engine.bundle import ModelBundle
from alis_studio.engine.caches import PatchCache  # noqa: F401 (re-exported: the renderer's cache)
from alis_studio.engine.directions import LazyDirections
from alis_studio.engine.levels import Continuations
from alis_studio.engine.scene import AnchorSpec, Scene, z_from_seed
from alis_studio.errors import Cancelled
from alis_studio.imaging import downsample2

# The longest a batch should take: a longer one only delays its first patch. The paper's LHQ 1024
# patches take a second or more on 2 CPU cores, so it renders one at a time and the first picture
# comes after one patch, not eight; the bundled model's tiles (~55 ms) keep batches of 8: a limit of
# 0.5 s split a full-HD view's 8 tiles into 7 + 1, two calls (the pan took 1.7x its raw render).
BATCH_SECONDS = 1.0
# A view whose missing patches would take longer than this shows their coarsest level first
# (preview_lod): the paper's model fills a window blurred in about a second, then sharpens patch
# by patch, each full render going on from its preview's stage outputs (levels.Continuations), so
# nothing is computed twice; the bundled model's views come in well under it.
PREVIEW_SECONDS = 1.0
CONTINUATION_BYTES = 256 * 2 ** 20  # previews' stage outputs kept for their full renders (LHQ 1024: 16 MiB each)


@dataclasses.dataclass(frozen=True)
class PatchKey:
    """Everything that determines one patch's pixels: the anchor window around its interval
    (anchors i-A/2+1 .. i+A/2; format 1: the interval's two, each with its latent direction edits,
    the scene's included), k, psi and the level of detail."""

    anchors: tuple[AnchorSpec, ...]
    k: int
    psi: float
    lod: int = 0  # level of detail: the patch at 1/2^lod of the full size (a bundle's `levels`)

    def __post_init__(self):
        object.__setattr__(self, "_hash", hash((self.anchors, self.k, self.psi, self.lod)))

    def __hash__(self) -> int:  # computed once: keys are looked up many times per paint
        return self._hash


def to_uint8(images: np.ndarray) -> np.ndarray:
    """(B, 3, H, W) float in about [-1, 1] -> (B, H, W, 3) uint8."""
    x = np.clip(images * 127.5 + 128.0, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1))


VIEW, THUMBNAILS, BACKGROUND = 0, 1, 2  # request priorities: lower is served first


class Request:
    """One submitted set of patches; `cancel()` drops what is not yet rendered."""

    _ids = itertools.count()

    def __init__(self, keys: list[PatchKey], on_patch, on_done, tag, priority: int = VIEW, carry: bool = False):
        self.id = next(self._ids)
        self.pending = list(dict.fromkeys(keys))  # ordered, unique
        self.on_patch, self.on_done, self.tag, self.priority = on_patch, on_done, tag, priority
        self.carry = carry  # keep the stage outputs, for the same patches' finer renders to go on from
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Renderer:
    """Renders patches of a bundle; owns the cache, the latent cache and the worker threads."""

    def __init__(self, bundle: ModelBundle, *, cache_bytes: int = 512 * 2 ** 20, workers: int = 1,
                 batch_size: int = 8, mip_levels: int = 3, directions_dir=None):
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.bundle, self.batch_size = bundle, int(batch_size)
        self.cache = PatchCache(cache_bytes)
        self.mip_levels = max(0, min(mip_levels, _max_levels(bundle.height, bundle.tile_width)))
        self._latents = cachetools.LRUCache(maxsize=4096)  # (spec, psi) -> w
        self.directions = LazyDirections(bundle, directions_dir)  # computed when an edit first needs it
        self._latent_lock = threading.Lock()
        self.continuations = Continuations(CONTINUATION_BYTES)
        self._requests: list[Request] = []
        self._inflight: set[PatchKey] = set()
        self._running: dict[int, tuple] = {}  # worker -> (request, keys, RunOptions, start time)
        self._cv = threading.Condition()
        self._closed = False
        self.stats = {"batches": 0, "patches": 0, "seconds": 0.0, "last_batch_ms": 0.0, "last_batch_size": 0,
                      "stopped": 0,  # ORT calls stopped because nobody wanted their patches any more
                      "continued": 0}  # patches rendered on from a preview's stage outputs
        self.seconds_per_patch: dict[int, float] = {}  # level of detail -> a running estimate (batches, ETAs)
        self.use_levels = True  # False: every view renders full size (to compare, the performance panel)
        self.last_error: str | None = None  # why the workers' last batch failed (for the status bar)
        self._threads = [threading.Thread(target=self._work, name=f"alis-render-{i}", daemon=True)
                         for i in range(workers)]
        _LIVE.add(self)  # closed at exit: a worker still inside ONNX Runtime would abort the process
        for t in self._threads:
            t.start()

    # ------------------------------------------------------------------ keys and latents
    def key(self, scene: Scene, p: int, lod: int = 0) -> PatchKey:
        """Key of global patch p (column x = p * T) of `scene`, at level of detail `lod`."""
        b = self.bundle
        i, k = divmod(int(p), b.tiles_per_interval)
        lo = i - b.anchor_window // 2 + 1
        return PatchKey(tuple(_unpinned(scene.rendered_anchor(j)) for j in range(lo, lo + b.anchor_window)),
                        k, scene.psi, lod)

    def keys(self, scene: Scene, p0: int, p1: int, lod: int = 0) -> list[PatchKey]:
        return [self.key(scene, p, lod) for p in range(p0, p1)]

    # ------------------------------------------------------------------ levels of detail
    def lod_for(self, mip: int) -> int:
        """The coarsest level of detail whose pixels are at least as dense as mip level `mip`'s."""
        if not self.use_levels:
            return 0
        return max((lv for lv in self.bundle.levels if lv <= mip), default=0)

    def estimated_seconds(self, lod: int) -> float | None:
        """One patch's time at level `lod`: as measured, else scaled by the stages' FLOPs from a
        measured level or from the load's probe tile (full size), else None."""
        if lod in self.seconds_per_patch:
            return self.seconds_per_patch[lod]
        flops = self.bundle.level_flops
        known = list(self.seconds_per_patch.items())
        if self.bundle.probe_seconds:
            known.append((0, self.bundle.probe_seconds))
        for lv, seconds in known:
            if flops.get(lv) and lod in flops:
                return seconds * flops[lod] / flops[lv]
        return None

    def preview_lod(self, lod: int, patches: int) -> int | None:
        """The level to render first (with carry=True) while `patches` patches of level `lod` are
        missing from a view: the coarsest, when they would take over PREVIEW_SECONDS; else None."""
        coarse = self.bundle.levels[0]
        if not self.use_levels or coarse <= lod or patches <= 0:
            return None
        fine = self.estimated_seconds(lod)
        if fine is None or fine * patches / max(1, len(self._threads)) < PREVIEW_SECONDS:
            return None
        return coarse

    def best(self, key: PatchKey, mip: int) -> tuple[np.ndarray | None, bool]:
        """What the cache can show for `key`'s patch at mip level `mip` (full-size pixels / 2^mip):
        (pixels, True) from the key or a finer level of the same patch (as good or better), else
        (pixels, False) from a coarser level upscaled (a stand-in, no flicker while zooming in),
        else (None, False)."""
        for lv in sorted(self.bundle.levels):
            other = key if lv == key.lod else dataclasses.replace(key, lod=lv)
            if lv <= mip and other in self.cache:
                return self.get(other, mip), lv <= key.lod
        for lv in sorted(self.bundle.levels):
            other = dataclasses.replace(key, lod=lv)
            if lv > mip and other in self.cache:
                rgb, f = self.cache.get(other, 0), 2 ** (lv - mip)
                return np.repeat(np.repeat(rgb, f, axis=0), f, axis=1), False
        return None, False

    def has(self, key: PatchKey) -> bool:
        """Whether the cache holds `key`'s patch at its level of detail or finer."""
        return any((key if lv == key.lod else dataclasses.replace(key, lod=lv)) in self.cache
                   for lv in self.bundle.levels if lv <= key.lod)

    def latent(self, spec: AnchorSpec, psi: float) -> np.ndarray:
        """Truncated w of an anchor moved along its direction edits, (w_dim,) float32; memoised (mapping
        is cheap but not free)."""
        spec = _unpinned(spec)
        with self._latent_lock:
            w = self._latents.get((spec, psi))
        if w is not None:
            return w
        if spec.w is not None:
            w = np.asarray(spec.w, np.float32)
        else:
            z = z_from_seed(spec.seed, self.bundle.z_dim)[None]
            w = self.bundle.mapping.run(["w"], {"z": z})[0][0]
        avg = self.bundle.w_avg
        w = (avg + np.float32(psi) * (w - avg)).astype(np.float32)
        if spec.edits:
            w = w + self.directions.get().offset(spec.edits)
        with self._latent_lock:
            self._latents[(spec, psi)] = w
        return w

    # ------------------------------------------------------------------ synchronous
    @property
    def patch_seconds(self) -> float | None:
        """The running estimate of one full-size patch's time."""
        return self.seconds_per_patch.get(0)

    @patch_seconds.setter
    def patch_seconds(self, value: float | None) -> None:
        if value is None:
            self.seconds_per_patch.pop(0, None)
        else:
            self.seconds_per_patch[0] = value

    @property
    def batch_limit(self) -> int:
        return self.batch_limit_for(0)

    def batch_limit_for(self, lod: int) -> int:
        """Patches per batch: the batch size (times 2^lod for coarse levels: small patches, fewer
        calls), fewer where patches are slow (BATCH_SECONDS); one until a batch has measured them."""
        seconds = self.seconds_per_patch.get(lod)
        if seconds is None:
            return 1
        return max(1, min(self.batch_size * 2 ** lod, int(BATCH_SECONDS / seconds)))

    def render_batch(self, keys: list[PatchKey], run_options=None, carry: bool = False) -> list[np.ndarray]:
        """Run the generator on `keys` (no cache lookup); returns (H, T, 3) uint8 patches. Patches
        with continuations (a preview's stage outputs) go on from them; `carry` keeps this batch's."""
        if not keys:
            return []
        t0 = time.perf_counter()
        lod = keys[0].lod
        assert all(k.lod == lod for k in keys), "one level of detail per batch"
        windows = np.stack([np.stack([self.latent(a, k.psi) for a in k.anchors]) for k in keys])  # (B, A, w_dim)
        tiles = np.array([k.k for k in keys], np.int64)
        starts = [self.continuations.take(_patch(k)) for k in keys] if lod < self.bundle.levels[0] else [None] * len(keys)
        if not carry and not any(starts):
            out = list(to_uint8(self.bundle.synthesize(windows, tiles, run_options, level=lod)))
        else:
            out = [None] * len(keys)
            for level in dict.fromkeys(s and s[0] for s in starts):  # one call per level gone on from
                ix = [i for i, s in enumerate(starts) if (s and s[0]) == level]
                start = None if level is None else (level, *(np.stack([starts[i][j] for i in ix]) for j in (1, 2)))
                images, carried = self.bundle.synthesize_from(windows[ix], tiles[ix], lod, start, run_options, carry)
                for j, (i, img) in enumerate(zip(ix, to_uint8(images))):
                    out[i] = img
                    if carried is not None:
                        self.continuations.put(_patch(keys[i]), carried[0], carried[1][j], carried[2][j])
        dt = time.perf_counter() - t0
        per, old = dt / len(keys), self.seconds_per_patch.get(lod)
        self.seconds_per_patch[lod] = per if old is None else 0.7 * old + 0.3 * per
        with self._cv:
            self.stats["batches"] += 1
            self.stats["patches"] += len(keys)
            self.stats["seconds"] += dt
            self.stats["last_batch_ms"] = dt * 1000
            self.stats["continued"] += sum(s is not None for s in starts)
            self.stats["last_batch_size"] = len(keys)  # its own size: batch_size may change, a batch may be short
        return out

    def iter_render(self, keys: Iterable[PatchKey], *, use_cache: bool = True,
                    progress: Callable[[int, int], None] | None = None,
                    cancel: Callable[[], bool] | None = None) -> Iterator[np.ndarray]:
        """Yield the patches of `keys` in order, rendering missing ones in batches on this thread."""
        keys = list(keys)
        done = 0
        while done < len(keys):
            if cancel and cancel():
                raise Cancelled()
            chunk = _same_lod(keys[done:done + self.batch_limit_for(keys[done].lod)])
            cached = [self.cache.get(k) if use_cache else None for k in chunk]
            missing = list(dict.fromkeys(k for k, c in zip(chunk, cached) if c is None))
            fresh = dict(zip(missing, self.render_batch(missing)))
            if use_cache:
                for k, img in fresh.items():
                    self.cache.put(k, self._levels(img, k.lod))
            for k, c in zip(chunk, cached):
                yield c if c is not None else fresh[k]
            done += len(chunk)
            if progress:
                progress(done, len(keys))

    def render(self, keys: Iterable[PatchKey], **kw) -> list[np.ndarray]:
        return list(self.iter_render(keys, **kw))

    # ------------------------------------------------------------------ asynchronous
    def get(self, key: PatchKey, level: int = 0) -> np.ndarray | None:
        """`key`'s patch at mip `level` of the full size (a patch of level of detail L is its mip L);
        None if not cached or coarser than that."""
        if level < key.lod:
            return None
        return self.cache.get(key, level - key.lod)

    def submit(self, keys: Iterable[PatchKey], on_patch: Callable[[PatchKey], None] | None = None,
               on_done: Callable[[], None] | None = None, tag: str | None = None,
               background: bool = False, priority: int | None = None, carry: bool = False) -> Request:
        """Queue `keys` for the workers; cached ones are reported at once. Lower `priority` first
        (VIEW: what the window shows; THUMBNAILS: the timeline; BACKGROUND, also `background=True`:
        the overview, candidate thumbnails), newest first within a priority: with a model whose
        patches take seconds, the view must not wait behind the timeline's thumbnails. `carry`: keep
        the patches' stage outputs, for their finer levels to go on from (the view's previews)."""
        prio = priority if priority is not None else (BACKGROUND if background else VIEW)
        req = Request(list(keys), on_patch, on_done, tag, prio, carry)
        ready = [k for k in req.pending if k in self.cache]
        ready_set = set(ready)
        req.pending = [k for k in req.pending if k not in ready_set]
        with self._cv:
            if tag is not None:
                for old in self._requests:
                    if old.tag == tag:
                        old.cancel()
                self._requests = [r for r in self._requests if not r.cancelled]
            if req.pending:
                self._requests.append(req)
                self._cv.notify_all()
            self._stop_stale()
        for k in ready:
            if on_patch:
                on_patch(k)
        if not req.pending and on_done:
            on_done()
        return req

    def _stop_stale(self) -> None:
        """Under the lock: stop the ORT calls whose patches no live request wants any more (the user
        panned away), so a big model's seconds-long patches do not delay the new view."""
        wanted = set().union(*(r.pending for r in self._requests if not r.cancelled))
        for req, keys, options, _ in self._running.values():
            if req.cancelled and not wanted.intersection(keys):
                options.terminate = True

    def inflight(self) -> dict[PatchKey, float | None]:
        """Patches being rendered now -> the estimated fraction done (None before any estimate)."""
        now = time.perf_counter()
        with self._cv:
            running = list(self._running.values())
        out = {}
        for _, keys, _, t0 in running:
            seconds = self.seconds_per_patch.get(keys[0].lod) if keys else None
            expected = seconds * len(keys) if seconds else None
            for k in keys:
                out[k] = min(0.99, (now - t0) / expected) if expected else None
        return out

    def _next_batch(self) -> tuple[Request, list[PatchKey]] | None:
        """Under the lock: the newest live request's next keys that nobody is rendering."""
        for req in sorted(reversed(self._requests), key=lambda r: r.priority):  # stable: newest first
            if req.cancelled:
                continue
            free = [k for k in req.pending if k not in self._inflight]
            batch = _same_lod(free[: self.batch_limit_for(free[0].lod)]) if free else []
            if batch:
                return req, batch
        return None

    def _work(self):
        import onnxruntime as ort

        me = threading.get_ident()
        while True:
            with self._cv:
                job = None
                while not self._closed and (job := self._next_batch()) is None:
                    self._cv.wait()
                if self._closed:
                    return
                req, batch = job
                todo = [k for k in batch if k not in self.cache]
                self._inflight.update(todo)
                options = ort.RunOptions()
                self._running[me] = (req, todo, options, time.perf_counter())
            try:
                for k, img in zip(todo, self.render_batch(todo, options, carry=req.carry)):
                    self.cache.put(k, self._levels(img, k.lod))
                self.last_error = None
            except Exception as e:  # a failing model must not kill the worker; drop the request, say why
                if options.terminate:  # stopped by _stop_stale: nothing went wrong
                    self.stats["stopped"] += 1
                else:
                    self.last_error = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
                    req.cancel()
            finally:
                with self._cv:
                    self._running.pop(me, None)
                    self._inflight.difference_update(todo)
                    finished = self._deliver(set(batch))
                    self._cv.notify_all()
            for fn in finished:
                fn()

    def _deliver(self, keys: set) -> list[Callable[[], None]]:
        """Under the lock: report `keys` to every request waiting for them; return callbacks to run."""
        calls = []
        for req in list(self._requests):
            hit = [k for k in req.pending if k in keys]
            if not hit and not req.cancelled:
                continue
            req.pending = [k for k in req.pending if k not in keys]
            if req.on_patch and not req.cancelled:
                calls.extend(lambda r=req, k=k: r.on_patch(k) for k in hit)
            if req.cancelled or not req.pending:
                self._requests.remove(req)
                if req.on_done and not req.cancelled:
                    calls.append(req.on_done)
        return calls

    def busy(self) -> bool:
        with self._cv:
            return any(not r.cancelled for r in self._requests) or bool(self._inflight)

    def wait_idle(self, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._cv:
            while any(not r.cancelled for r in self._requests) or self._inflight:
                if not self._cv.wait(max(0.0, deadline - time.monotonic())) and time.monotonic() > deadline:
                    return False
        return True

    def close(self) -> None:
        with self._cv:
            self._closed = True
            for r in self._requests:
                r.cancel()
            for _, _, options, _ in self._running.values():  # a big model's patch takes seconds
                options.terminate = True
            self._cv.notify_all()
        for t in self._threads:
            t.join(timeout=10)

    def _levels(self, img: np.ndarray, lod: int = 0) -> list[np.ndarray]:
        """The patch and its mips down to mip level `mip_levels` of the full size."""
        levels = [img]
        for _ in range(max(0, self.mip_levels - lod)):
            levels.append(downsample2(levels[-1]))
        return levels

    def perf(self) -> dict:
        """Readout for the status bar and the performance panel: ms per batch, patches/s, cache use."""
        s = self.stats
        with self._cv:
            queued = sum(len(r.pending) for r in self._requests if not r.cancelled)
        return {"last_batch_ms": s["last_batch_ms"], "last_batch_size": s["last_batch_size"],
                "patches_per_s": s["patches"] / s["seconds"] if s["seconds"] else 0.0,
                "patches": s["patches"], "batches": s["batches"], "busy_s": s["seconds"], "queued": queued,
                "cache_hits": self.cache.hits, "cache_misses": self.cache.misses,
                "cache_mb": self.cache.bytes / 2 ** 20, "cache_limit_mb": self.cache.max_bytes / 2 ** 20,
                "cache_patches": len(self.cache)}


_LIVE: "weakref.WeakSet[Renderer]" = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for r in list(_LIVE):
        r.close()


def _same_lod(keys: list[PatchKey]) -> list[PatchKey]:
    """The leading keys of one level of detail (a batch renders one)."""
    n = next((i for i, k in enumerate(keys) if k.lod != keys[0].lod), len(keys))
    return keys[:n]


def _patch(key: PatchKey) -> PatchKey:
    """The patch a key of any level of detail shows (its continuations' key)."""
    return dataclasses.replace(key, lod=0) if key.lod else key


def _unpinned(spec: AnchorSpec) -> AnchorSpec:
    return dataclasses.replace(spec, pinned=False) if spec.pinned else spec


def _max_levels(h: int, w: int) -> int:
    n = 0
    while h % 2 ** (n + 1) == 0 and w % 2 ** (n + 1) == 0:
        n += 1
    return n
