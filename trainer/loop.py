"""The training loop: schedules the loss phases, EMA, logging and snapshots (checkpoint, sample
panorama, `model.alis`). It takes `progress_fn` and `abort_fn` callbacks, so a CLI or a GUI can
drive it. Multi-GPU: launched by `torchrun`, each rank trains on its own shard of the data and the
gradients are averaged with `torch.distributed.all_reduce` (rank 0 alone writes files).
"""
from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
import math
import os
import time
from pathlib import Path
from typing import Callable

import torch

from alis_studio.engine.devices import DEVICES
from alis_studio.errors import DatasetError, UserError
from alis_studio.trainer import checkpoint as ckpt
from alis_studio.evaluation.datasets import prepare
from alis_studio.trainer.data import Sampler
from alis_studio.trainer.export import export_bundle
from alis_studio.trainer.loss import ALISLoss, LossOptions
from alis_studio.trainer.model import Discriminator, Generator, half_height
from alis_studio.trainer.options import TrainOptions, resolve_config, resolve_options
from alis_studio.trainer.run_folder import BUNDLE, CHECKPOINT, SAMPLE, SNAPSHOT, make_run_dir, remove_stale_temporaries
from alis_studio.trainer.sample import save_sample



# --------------------------------------------------------------------------- plumbing


def _dist_env() -> tuple[int, int, int]:
    """(rank, world size, local rank) from torchrun's environment; (0, 1, 0) for a plain run."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    return int(os.environ.get("RANK", "0")), world, int(os.environ.get("LOCAL_RANK", "0"))


def _device(name: str, local_rank: int) -> torch.device:
    if name not in DEVICES:
        raise UserError(f"--device must be auto, cpu or cuda, got {name!r}")
    if name == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda: PyTorch sees no CUDA device here (is this the CUDA build of torch?)")
    if name == "cpu" or not torch.cuda.is_available():
        return torch.device("cpu")
    torch.cuda.set_device(local_rank)
    return torch.device("cuda", local_rank)


def _native_bf16() -> bool:
    """Whether this CPU computes bf16 natively; emulated bf16 was ~25x slower than fp32 on an AVX2 CPU."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def _precision(asked: str, dev: torch.device) -> str:
    """auto: bf16 on CUDA with bf16 and on CPUs with native bf16, else fp32; fp16 is CUDA-only."""
    if asked == "auto":
        native = torch.cuda.is_bf16_supported() if dev.type == "cuda" else _native_bf16()
        return "bf16" if native else "fp32"
    if asked == "fp16" and dev.type != "cuda":
        raise UserError("--precision fp16 needs CUDA (its loss scaling); on the CPU use bf16 or fp32")
    return asked


def _allreduce_grads(module: torch.nn.Module, world: int) -> None:
    """Average the gradients over the ranks in one flat all-reduce (no-op for a single process)."""
    params = [p for p in module.parameters() if p.grad is not None]
    if world == 1 or not params:
        return
    flat = torch.cat([p.grad.flatten() for p in params])
    torch.distributed.all_reduce(flat)
    flat = torch.nan_to_num(flat / world, nan=0.0, posinf=1e5, neginf=-1e5)
    for p, g in zip(params, flat.split([p.numel() for p in params])):
        p.grad.copy_(g.reshape(p.shape))


def _broadcast(module: torch.nn.Module, world: int) -> None:
    if world > 1:
        for t in list(module.parameters()) + list(module.buffers()):
            torch.distributed.broadcast(t.data, src=0)


class Diverged(UserError):
    """A run whose losses or weights turned NaN or infinite: it stops without saving them."""


class RunLog:
    """log.txt (human lines), log.jsonl (one record per line) and TensorBoard when installed.
    Only rank 0 writes; `echo` also shows the human lines (the CLI prints them)."""

    def __init__(self, run_dir: Path, enabled: bool, echo: Callable[[str], None] | None):
        self.enabled, self.echo, self.tb = enabled, echo, None
        if not enabled:
            return
        run_dir.mkdir(parents=True, exist_ok=True)
        self.txt = open(run_dir / "log.txt", "a", encoding="utf-8")
        self.jsonl = open(run_dir / "log.jsonl", "a", encoding="utf-8")
        try:
            from torch.utils.tensorboard import SummaryWriter

            self.tb = SummaryWriter(str(run_dir / "tensorboard"))
        except Exception:  # tensorboard is optional
            self.tb = None

    def info(self, msg: str, echo: bool = True) -> None:
        if not self.enabled:
            return
        self.txt.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {msg}\n")
        self.txt.flush()
        if self.echo and echo:
            self.echo(msg)

    def record(self, rec: dict) -> None:
        if not self.enabled:
            return
        self.jsonl.write(json.dumps(rec) + "\n")
        self.jsonl.flush()
        if self.tb:
            for k, v in rec.items():
                if isinstance(v, (int, float)) and not isinstance(v, bool) and k not in ("step", "time"):
                    self.tb.add_scalar(k, v, rec["nimg"])

    def close(self) -> None:
        if self.enabled:
            self.txt.close()
            self.jsonl.close()
            if self.tb:
                self.tb.close()


# --------------------------------------------------------------------------- the trainer


class Trainer:
    """One run: `Trainer(opts, ...).run()` trains until `opts.kimg`, or until `abort_fn()` is true,
    and leaves a checkpoint, samples and `model.alis` in `opts.out`.

    progress_fn(info) gets a dict after every step (step, kimg, total_kimg, steps_per_s, eta_s,
    losses); abort_fn() -> bool stops the run cleanly (checkpoint written); log_fn(line) gets the
    human-readable log lines.
    """

    def __init__(self, opts: TrainOptions, *, progress_fn=None, abort_fn=None, log_fn=None):
        self.rank, self.world, local_rank = _dist_env()
        self.device = _device(opts.device, local_rank)
        cuda = self.device.type == "cuda"
        self.opts = resolve_options(opts, cuda, self.world)
        self.cfg = resolve_config(self.opts.config, self.opts.resolution)
        self.run_dir = Path(self.opts.out)
        self.progress_fn, self.abort_fn = progress_fn, abort_fn
        if self.opts.threads:
            torch.set_num_threads(self.opts.threads)
        if self.device.type == "cpu":
            torch.set_flush_denormal(True)  # tiny weights and gradients otherwise run at microcode speed
        if self.rank == 0:
            make_run_dir(self.run_dir)
        self._owns_group = self.world > 1 and not torch.distributed.is_initialized()
        if self._owns_group:
            torch.distributed.init_process_group("nccl" if cuda else "gloo")
        self.log = RunLog(self.run_dir, self.rank == 0, log_fn)
        if cuda:
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
            torch.backends.cudnn.benchmark = True
        self.step = self.nimg = 0
        self._saved_step: int | None = None  # the step checkpoint.pt holds
        try:
            state = self._check_run_dir()
            self._remove_temporaries()
            self._load_data()
            self._build()
            if state is not None:
                self._resume(state)
            else:
                if self.opts.init_from:
                    self._init_from()
                self._init_d_half()
        except BaseException:
            self._teardown()
            raise
        if self.rank == 0:
            (self.run_dir / "options.json").write_text(json.dumps(self.resolved_options(), indent=1))

    # ------------------------------------------------------------------ setup
    def _check_run_dir(self) -> dict | None:
        """The checkpoint to resume from (its config checked before any work), or None."""
        path = self.run_dir / CHECKPOINT
        if path.exists() and not self.opts.resume:
            raise UserError(f"{self.run_dir} already holds a run: pass --resume to continue it, or another --out")
        if not self.opts.resume:
            return None
        if not path.exists():
            self.log.info(f"no checkpoint in {self.run_dir} yet: starting a new run")
            return None
        state = ckpt.load_checkpoint(path, map_location=self.device)
        ckpt.check_config(path, state, self.cfg)
        return state

    def _remove_temporaries(self) -> None:
        """A run owns its folder: the temporaries of writes killed there go, and the log says so."""
        if self.rank != 0:
            return
        cache_here = not self.opts.cache_dir or Path(self.opts.cache_dir).resolve() == self.run_dir.resolve()
        said = remove_stale_temporaries(self.run_dir, cache_here)
        if said:
            self.log.info(said)

    def _load_data(self) -> None:
        o, cfg = self.opts, self.cfg
        cache_dir = Path(o.cache_dir) if o.cache_dir else self.run_dir
        shape = (cfg.height, 2 * cfg.patch_width)
        if self.rank == 0:
            self.log.info(f"preparing {o.dataset} at {shape[0]}x{shape[1]} px ...")
            ds = prepare(o.dataset, *shape, cache_dir, workers=o.workers, progress=self._prep_progress())
        if self.world > 1:
            torch.distributed.barrier()
        if self.rank != 0:
            ds = prepare(o.dataset, *shape, cache_dir, workers=o.workers)
        verb = "reusing the cache" if ds.reused else "cached"
        self.log.info(f"dataset: {len(ds)} images, {verb} {ds.cache_path}")
        if ds.skipped:
            self.log.info(f"skipped {len(ds.skipped)} unreadable files:")
            for name, why in ds.skipped:
                self.log.info(f"  skipped {name}: {why}")
        if len(ds) < o.batch:
            raise DatasetError(f"{o.dataset}: {len(ds)} usable images, fewer than a batch of {o.batch}")
        self.dataset = ds
        self.sampler = Sampler(ds.images, o.batch // self.world, seed=o.seed, rank=self.rank, world=self.world)

    def _prep_progress(self):
        """Log a line every 15 s while a big dataset is decoded into the cache."""
        last = [time.perf_counter()]

        def report(done: int, total: int) -> None:
            if time.perf_counter() - last[0] >= 15 and done < total:
                last[0] = time.perf_counter()
                self.log.info(f"  decoded {done} / {total} images")
        return report

    def _build(self) -> None:
        o, cfg, dev = self.opts, self.cfg, self.device
        torch.manual_seed(o.seed)
        self.G, self.D = Generator(cfg).to(dev), Discriminator(cfg).to(dev)
        self.D_half = Discriminator(half_height(cfg)).to(dev) if o.d_half else None  # --d-half
        for m in (self.G, self.D, self.D_half):
            if m is not None:
                _broadcast(m, self.world)
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        torch.manual_seed(o.seed * 1009 + self.rank)  # each rank its own latents
        c = o.r1_interval / (o.r1_interval + 1) if o.r1_gamma > 0 and o.r1_interval > 0 else 1.0
        # fused: one kernel per optimiser step instead of ~10 ops per tensor (a 3x cheaper step on CPU)
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=o.lr, betas=(0.0, 0.99), eps=1e-8, fused=True)
        top = set(self.G.synthesis.blocks[-1].parameters())
        self._below_top = [p for p in self.G.parameters() if p not in top]  # held by --g-top-only
        self._top_only = False
        adam_D = lambda D: torch.optim.Adam(D.parameters(), lr=o.lr * c, betas=(0.0, 0.99 ** c), eps=1e-8,  # noqa: E731
                                            fused=True)
        self.opt_D = adam_D(self.D)
        self.opt_D_half = adam_D(self.D_half) if self.D_half is not None else None
        self._d_pairs = [(self.D, self.opt_D)] + ([(self.D_half, self.opt_D_half)] if self.opt_D_half else [])
        self.precision = _precision(o.precision, dev)
        dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(self.precision)
        autocast = (lambda: torch.autocast(dev.type, dtype=dtype)) if dtype else contextlib.nullcontext
        fp16 = self.precision == "fp16" and dev.type == "cuda"
        self.scalers = {k: torch.amp.GradScaler("cuda", enabled=fp16) for k in ("G", "D")}
        self.loss = ALISLoss(self.G, self.D, LossOptions.of(o), autocast, D_half=self.D_half)

    def _init_from(self) -> None:
        """A new run starting from another checkpoint's weights (--init-from)."""
        from alis_studio.trainer.grow import grow

        path = Path(self.opts.init_from)
        state = ckpt.load_checkpoint(path, map_location=self.device)
        try:
            account = grow(state, ckpt.checkpoint_config(state), self.G, self.D)
        except ValueError as e:
            raise UserError(f"{path}: {e}") from None
        self.G_ema.load_state_dict(self.G.state_dict())
        self.log.info(f"initialised from {path.name}: {account}")

    def _init_d_half(self) -> None:
        """The half-size D from --d-half-from's D (a model half as tall), when asked for."""
        if self.D_half is None or not self.opts.d_half_from:
            return
        path = Path(self.opts.d_half_from)
        state = ckpt.load_checkpoint(path, map_location=self.device)
        have = ckpt.checkpoint_config(state)
        if (have.height, 2 * have.patch_width) != self.D_half.frame_shape[1:]:
            raise UserError(f"{path}: its frames are {have.height}x{2 * have.patch_width} px; the half-size D of "
                            f"{self.cfg.name} sees {self.D_half.frame_shape[1]}x{self.D_half.frame_shape[2]} px")
        try:
            self.D_half.load_state_dict({k: v.float() for k, v in state["D"].items()})
        except RuntimeError:
            raise UserError(f"{path}: its discriminator's layers differ from the half-size D of "
                            f"{self.cfg.name} (other channel counts)") from None
        self.log.info(f"half-size D from {path.name} ({have.name}, {state['nimg'] / 1000:.1f} kimg)")

    def resolved_options(self) -> dict:
        return {**dataclasses.asdict(self.opts), "model": self.cfg.to_dict(), "world_size": self.world,
                "device": str(self.device), "precision": self.precision,
                "batch_per_process": self.opts.batch // self.world}

    def _resume(self, state: dict) -> None:
        path = self.run_dir / CHECKPOINT
        self.G.load_state_dict(state["G"] if state["G"] is not None else state["G_ema"])  # slim: G from G_ema
        self.D.load_state_dict(state["D"])
        self.G_ema.load_state_dict(state["G_ema"])
        if self.D_half is not None and state.get("D_half") is not None:
            self.D_half.load_state_dict(state["D_half"])
        elif self.D_half is not None:  # --d-half turned on for a run that had none
            self._init_d_half()
        if state["opt_G"] is not None:
            self.opt_G.load_state_dict(state["opt_G"])
            self.opt_D.load_state_dict(state["opt_D"])
            if self.D_half is not None and state.get("opt_D_half") is not None:
                self.opt_D_half.load_state_dict(state["opt_D_half"])
        elif self.rank == 0:
            self.log.info("slim checkpoint: G starts from G_ema, the optimiser moments from zero")
        for k, sc in self.scalers.items():
            if state["scalers"].get(k):
                sc.load_state_dict(state["scalers"][k])
        self.step, self.nimg = int(state["step"]), int(state["nimg"])
        self._saved_step = self.step
        if self.rank == 0:  # rank 0's streams continue exactly; other ranks reseed from the step
            ckpt.restore_rng(state["rng"])
            if state.get("sampler"):
                self.sampler.load_state_dict(state["sampler"])
        else:
            torch.manual_seed(self.opts.seed * 1009 + self.rank + 7919 * self.step)
            self.sampler = Sampler(self.dataset.images, self.opts.batch // self.world,
                                   seed=self.opts.seed + 7919 * self.step, rank=self.rank, world=self.world)
        self.log.info(f"resumed {path} at step {self.step} ({self.nimg / 1000:.3f} kimg)")

    def save(self, keep: bool = False) -> Path | None:
        """Write RUN_DIR/checkpoint.pt atomically (rank 0); `keep`: a slim copy in RUN_DIR/snapshots/ too."""
        if self.rank != 0:
            return None
        snap = self.run_dir / SNAPSHOT.format(kimg=self.nimg // 1000, step=self.step)
        path = ckpt.save_checkpoint(
            self.run_dir / CHECKPOINT, cfg=self.cfg, G=self.G, D=self.D, G_ema=self.G_ema, step=self.step,
            nimg=self.nimg, slim_copy=snap if keep else None, opt_G=self.opt_G, opt_D=self.opt_D,
            D_half=self.D_half, opt_D_half=self.opt_D_half,
            scalers={k: s.state_dict() for k, s in self.scalers.items() if s.is_enabled()},
            sampler=self.sampler.state_dict(), options=self.resolved_options(), training=self.training_info())
        self._saved_step = self.step
        return path

    def training_info(self, metrics: dict | None = None) -> dict:
        # the dataset by name: a bundle is shared, the training machine's folders are nobody's business
        info = {"dataset": Path(self.opts.dataset).name, "kimg": round(self.nimg / 1000, 3), "steps": self.step,
                "config": self.cfg.name, "metrics": metrics or {}}
        if self.opts.init_from:
            info["initialised_from"] = Path(self.opts.init_from).name
        return info

    # ------------------------------------------------------------------ one step
    def reals(self) -> torch.Tensor:
        x = torch.from_numpy(self.sampler.next()).to(self.device, non_blocking=True)  # (B, H, W, 3) uint8
        return x.permute(0, 3, 1, 2).float() / 127.5 - 1  # (B, 3, H, W) in [-1, 1]

    def train_step(self) -> dict:
        """D phase then G phase on the same fake frames, then the EMA. Returns the loss terms."""
        batch = self.opts.batch // self.world
        real = self.reals()
        g_learns = self.nimg >= self.opts.d_warmup_kimg * 1000  # else G waits: D's fresh layers would mislead it
        top_only = self.nimg < self.opts.g_top_only_kimg * 1000
        if top_only != self._top_only:  # no gradient: no backward below the top block, and Adam skips them
            self._top_only = top_only
            for p in self._below_top:
                p.requires_grad_(not top_only)
        with contextlib.nullcontext() if g_learns else torch.no_grad():
            fake = self.loss.generate(batch, self.nimg, self.device)  # (B, 3, H, 2P), graph kept for G
        for _, opt in self._d_pairs:
            opt.zero_grad(set_to_none=True)
        terms = self.loss.d_phase(real, fake, self.step, scale=self.scalers["D"].scale)
        self._optimise(self._d_pairs, self.scalers["D"])
        if g_learns:
            self.opt_G.zero_grad(set_to_none=True)
            terms.update(self.loss.g_phase(fake, scale=self.scalers["G"].scale))
            terms.update(self.loss.stationarity_phase(batch, self.step, self.device, scale=self.scalers["G"].scale))
            self._optimise([(self.G, self.opt_G)], self.scalers["G"])
        self.step += 1
        self.nimg += self.opts.batch
        self._update_ema()
        return terms

    def _optimise(self, pairs, scaler) -> None:
        """Step each (module, optimiser) of one backward pass, then the pass's loss scaler once."""
        for module, opt in pairs:
            _allreduce_grads(module, self.world)
            scaler.step(opt)
        scaler.update()

    @torch.no_grad()
    def _update_ema(self) -> None:
        o = self.opts
        ema_nimg = o.ema_kimg * 1000
        if o.ema_rampup:
            ema_nimg = min(ema_nimg, self.nimg * o.ema_rampup)
        beta = 0.5 ** (o.batch / max(ema_nimg, 1e-8))
        torch._foreach_lerp_(list(self.G_ema.parameters()), list(self.G.parameters()), 1 - beta)
        for b_ema, b in zip(self.G_ema.buffers(), self.G.buffers()):
            b_ema.copy_(b)

    # ------------------------------------------------------------------ the loop
    def total_steps(self) -> int:
        return math.ceil(self.opts.kimg * 1000 / self.opts.batch)

    def _stop_requested(self) -> bool:
        flag = bool(self.abort_fn and self.abort_fn())
        if self.world > 1:  # every rank must take the same decision
            t = torch.tensor([float(flag)], device=self.device)
            torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.MAX)
            flag = bool(t.item())
        return flag

    def run(self) -> dict:
        """Train to `kimg`. Returns {"status": "done" | "aborted", "step", "kimg", "model"}."""
        total = self.total_steps()
        snap = max(1, round(self.opts.snap_kimg * 1000 / self.opts.batch))
        self.log.info(f"training {self.cfg.name} ({sum(p.numel() for p in self.G.parameters()) / 1e6:.2f} M "
                      f"G params) on {self.device} x{self.world}, batch {self.opts.batch}, {self.precision}, "
                      f"to {self.opts.kimg} kimg ({total} steps), snapshot every {snap} steps")
        status, meter = "done", _Meter(self.step, total)
        try:
            while self.step < total:
                if self._stop_requested():
                    status = "aborted"
                    break
                terms = {k: float(v) for k, v in self.train_step().items()}
                self._check_finite([k for k, v in terms.items() if not math.isfinite(v)], "losses")
                info = meter.update(self.step, self.nimg, self.opts.kimg, terms)
                if self.progress_fn and self.rank == 0:
                    self.progress_fn(info)
                if meter.due(self.opts.log_every) or self.step == total:
                    self.log.record({k: v for k, v in info.items() if k != "losses"} | info["losses"])
                if self.step % snap == 0 and self.step < total:
                    self.snapshot()
            self.snapshot()  # not on an exception: a half-done step is no state to keep
            self.log.info(f"{'finished' if status == 'done' else 'stopped'} at step {self.step} "
                          f"({self.nimg / 1000:.3f} kimg); checkpoint {self.run_dir / CHECKPOINT}")
        finally:
            self._teardown()
        return {"status": status, "step": self.step, "kimg": self.nimg / 1000, "model": self.run_dir / BUNDLE}

    def _teardown(self) -> None:
        self.log.close()
        if self._owns_group:
            # Without this a rank could exit while gloo threads still run: C++ terminate (SIGABRT).
            torch.distributed.destroy_process_group()

    def snapshot(self) -> None:
        """Checkpoint (and a slim copy in snapshots/), sample panorama, metrics and RUN_DIR/model.alis;
        leaves the RNG streams alone."""
        if self.world > 1:
            self._check_replicas()
        self._check_finite([name for name, m in (("G", self.G), ("G_ema", self.G_ema), ("D", self.D))
                            if not all(bool(torch.isfinite(p).all()) for p in m.parameters())], "weights")
        if self.rank == 0:
            devices = [self.device] if self.device.type == "cuda" else []
            with torch.random.fork_rng(devices=devices):
                self.save(keep=self.opts.keep_snapshots)
                self._publish()
        if self.world > 1:  # the others wait for rank 0's files (also at the end, before teardown)
            torch.distributed.barrier()

    def _check_finite(self, bad: list[str], what: str) -> None:
        """Stop (Diverged, one line, also in log.txt) when `bad` names NaN or infinite losses or weights
        on any rank; the checkpoint of the last snapshot stays as it is."""
        flag = torch.tensor([float(bool(bad))], device=self.device)
        if self.world > 1:  # every rank must stop at the same step
            torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MAX)
        if not flag.item():
            return
        kept = (f"{self.run_dir / CHECKPOINT} keeps step {self._saved_step}" if self._saved_step is not None
                else "no checkpoint was written yet")
        msg = (f"training diverged at step {self.step} ({self.nimg / 1000:.3f} kimg): the {what} "
               f"{', '.join(bad) or '(on another process)'} are not finite; stopped without saving them, "
               f"{kept} (try a lower --lr or --gamma)")
        self.log.info(msg, echo=False)  # the CLI prints it as its error line
        raise Diverged(msg)

    def _check_replicas(self) -> None:
        """All ranks must hold the same G and D (the averaged gradients keep them equal)."""
        sums = torch.stack([torch.stack([p.detach().double().sum() for p in m.parameters()]).sum()
                            for m in (self.G, self.D, self.D_half) if m is not None]).to(self.device)
        gathered = [torch.zeros_like(sums) for _ in range(self.world)]
        torch.distributed.all_gather(gathered, sums)
        spread = max(float((g - gathered[0]).abs().max()) for g in gathered)
        if spread > 1e-6 * max(1.0, float(sums.abs().max())):
            raise RuntimeError(f"the {self.world} training processes diverged (parameter sums differ by {spread:g})")
        self.log.info(f"distributed: G and D identical on {self.world} processes")

    def _publish(self) -> None:
        t0 = time.perf_counter()
        sample = self.run_dir / SAMPLE.format(kimg=self.nimg // 1000, step=self.step)
        save_sample(self.G_ema, sample, intervals=self.opts.sample_intervals, device=self.device)
        metrics = self._metrics()
        export_bundle(self.G_ema, self.run_dir / BUNDLE, self.training_info(metrics))
        msg = f"snapshot at {self.nimg / 1000:.3f} kimg: {sample.name}, {BUNDLE}"
        if metrics:
            keys = ("swd_frames", "swd_infinite", "swd_ratio", "seam_patch", "seam_anchor")
            msg += " " + " ".join(f"{k}={metrics[k]:.4g}" for k in keys if k in metrics)
        self.log.info(f"{msg} ({time.perf_counter() - t0:.1f} s)")
        self.log.record({"step": self.step, "nimg": self.nimg, "kimg": self.nimg / 1000, "snapshot": True,
                         **{f"metric/{k}": v for k, v in metrics.items()}})

    def _metrics(self) -> dict:
        n = min(self.opts.metric_images, len(self.dataset))
        if n <= 0:
            return {}
        from alis_studio.trainer.metrics import generator_metrics

        return generator_metrics(self.G_ema, self.dataset.images, n, device=self.device)


class _Meter:
    """Steps/s over a sliding window, ETA, and when the next log record is due."""

    def __init__(self, step0: int, total: int):
        self.total, self.t0, self.step0 = total, time.perf_counter(), step0
        self.window = [(self.t0, step0)]
        self.last_log = self.t0

    def update(self, step: int, nimg: int, total_kimg: float, losses: dict) -> dict:
        now = time.perf_counter()
        self.window = (self.window + [(now, step)])[-50:]
        (ta, sa), (tb, sb) = self.window[0], self.window[-1]
        rate = (sb - sa) / (tb - ta) if tb > ta else 0.0
        return {"step": step, "nimg": nimg, "kimg": nimg / 1000, "total_kimg": total_kimg,
                "total_steps": self.total, "steps_per_s": rate, "eta_s": (self.total - step) / rate if rate else 0.0,
                "time": now - self.t0, "losses": losses}

    def due(self, every_s: float) -> bool:
        now = time.perf_counter()
        if now - self.last_log >= every_s:
            self.last_log = now
            return True
        return False
