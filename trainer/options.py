"""Training options: one dataclass with the defaults a StyleGAN2-ADA user expects, resolved
against the device and the config, and written to RUN_DIR/options.json."""
from __future__ import annotations

import dataclasses

from alis_studio.errors import UserError
from alis_studio.trainer.model import ModelConfig, get_config

DIFFAUGMENT = "color,translation,cutout"


@dataclasses.dataclass
class TrainOptions:
    """Everything a run needs; written resolved to RUN_DIR/options.json."""

    dataset: str
    out: str
    config: str = "small"
    resolution: int | None = None  # default: the config's height
    batch: int | None = None  # global batch; default 32 on CUDA, 8 on CPU
    kimg: float = 1000.0  # training length in thousands of real images shown
    seed: int = 0
    device: str = "auto"  # auto, cpu, cuda
    resume: bool = False
    init_from: str | None = None  # a checkpoint whose weights start a new run (same or a taller config)
    lr: float = 0.002
    r1_gamma: float | None = None  # default 10 * (H / 256)^2, the paper's 10 at 256 px
    r1_interval: int = 16
    ema_kimg: float | None = None  # default batch * 10 / 32
    ema_rampup: float = 0.05
    mixing_prob: float = 0.9
    shift_ramp_kimg: float | None = None  # default min(100, kimg / 10)
    augment: str = "none"  # none, diffaug, or a DiffAugment policy (color,translation,cutout)
    stationarity: float = 0.0  # weight of the penalty on a pattern repeated every interval (loss.py)
    d_warmup_kimg: float = 0.0  # D trains alone this long first (a grown G waits for its fresh D layers)
    g_top_only_kimg: float = 0.0  # until then G trains only its top block (a grown model's new layers)
    d_half: float = 0.0  # weight of a second D that sees the frames at half size (0 = off)
    d_half_from: str | None = None  # a checkpoint of a model half as tall whose D starts it (default: fresh)
    precision: str = "auto"  # auto (bf16 on CUDA and on CPUs with native bf16, else fp32), fp32, bf16, fp16
    snap_kimg: float | None = None  # default 10 on CPU, 50 on CUDA
    metric_images: int = 256  # SWD sample size at each snapshot (0: no metrics)
    keep_snapshots: bool = True  # a slim checkpoint per snapshot in RUN_DIR/snapshots/ (the best is often not the last)
    sample_intervals: int = 6  # anchor intervals per row of the sample panorama
    cache_dir: str | None = None  # default RUN_DIR
    workers: int | None = None  # processes decoding images for the cache
    log_every: float = 10.0  # seconds between log.jsonl records
    threads: int | None = None  # torch CPU threads (default: torch's); 1 is best on a busy shared CPU


def resolve_config(name: str, resolution: int | None) -> ModelConfig:
    """The named config, rescaled to `resolution` px tall (patch = resolution / 2) when given."""
    try:
        cfg = get_config(name)
    except ValueError as e:
        raise UserError(str(e)) from None
    if not resolution or resolution == cfg.height:
        return cfg
    if resolution < 8 or resolution & (resolution - 1):
        raise UserError(f"--resolution must be a power of two >= 8, got {resolution}")
    ch = dict(cfg.channels)
    r = cfg.height
    while r < resolution:
        ch[r * 2] = max(16, ch[r] // 2)
        r *= 2
    ch = {k: v for k, v in ch.items() if k <= resolution}
    d_ch = {k: v for k, v in (cfg.d_channels or {}).items() if k <= resolution} or None
    return dataclasses.replace(cfg, name=f"{cfg.name}-{resolution}", height=resolution,
                               patch_width=cfg.patch_width * resolution // cfg.height, channels=ch,
                               d_channels=d_ch if d_ch and len(d_ch) == len(ch) else None)


def resolve_options(opts: TrainOptions, cuda: bool, world: int = 1) -> TrainOptions:
    """Fill the defaults that depend on the device and the config; validate the rest."""
    cfg = resolve_config(opts.config, opts.resolution)
    o = dataclasses.replace(opts, resolution=cfg.height)
    if o.batch is None:
        o.batch = 32 if cuda else 8
    if o.batch < 1 or o.batch % world:
        raise UserError(f"--batch must be a positive multiple of the number of processes ({world}), got {o.batch}")
    if o.kimg <= 0:
        raise UserError(f"--kimg must be positive, got {o.kimg}")
    o.r1_gamma = 10.0 * (cfg.height / 256) ** 2 if o.r1_gamma is None else o.r1_gamma
    o.ema_kimg = o.batch * 10 / 32 if o.ema_kimg is None else o.ema_kimg
    o.shift_ramp_kimg = min(100.0, o.kimg / 10) if o.shift_ramp_kimg is None else o.shift_ramp_kimg
    o.snap_kimg = (50.0 if cuda else 10.0) if o.snap_kimg is None else o.snap_kimg
    if o.d_warmup_kimg < 0:
        raise UserError(f"--d-warmup must be >= 0, got {o.d_warmup_kimg}")
    if o.ema_kimg < 0 or o.ema_rampup < 0:
        raise UserError(f"--ema and --ema-rampup must be >= 0, got {o.ema_kimg} and {o.ema_rampup}")
    if o.g_top_only_kimg < 0:
        raise UserError(f"--g-top-only must be >= 0, got {o.g_top_only_kimg}")
    if o.d_half < 0:
        raise UserError(f"--d-half must be >= 0, got {o.d_half}")
    if o.d_half_from and not o.d_half:
        raise UserError("--d-half-from needs --d-half WEIGHT (the half-size D's weight in G's loss)")
    if o.d_half and cfg.height < 16:
        raise UserError(f"--d-half needs a model at least 16 px tall, got {cfg.height}")
    if o.stationarity < 0:
        raise UserError(f"--stationarity must be >= 0, got {o.stationarity}")
    if o.precision not in ("auto", "fp32", "bf16", "fp16"):
        raise UserError(f"--precision must be auto, fp32, bf16 or fp16, got {o.precision!r}")
    policy = augment_policy(o.augment)
    o.augment = policy or "none"
    return o


def augment_policy(augment: str) -> str:
    if augment in ("", "none", None):
        return ""
    policy = DIFFAUGMENT if augment == "diffaug" else augment
    from alis_studio.trainer.loss import AUGMENTS

    bad = [p for p in policy.split(",") if p.strip() not in AUGMENTS]
    if bad:
        raise UserError(f"--augment: unknown {', '.join(bad)}; use none, diffaug or a list of {', '.join(AUGMENTS)}")
    return policy
