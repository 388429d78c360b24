"""Training options: one dataclass with the defaults a StyleGAN2-ADA user expects, resolved
against the device and the config, and written to RUN_DIR/options.json. Each number option
declares its range once (`Range`): the parser's type and `resolve_options` both check it."""
from __future__ import annotations

import argparse
import dataclasses
import math

from typing import TYPE_CHECKING

from alis_studio.errors import UserError

if TYPE_CHECKING:  # torch loads when a config is resolved, not when the parser reads the ranges
    from alis_studio.trainer.model import ModelConfig

DIFFAUGMENT = "color,translation,cutout"


@dataclasses.dataclass(frozen=True)
class Range:
    """The values a number option takes: a kind (int or float, always finite), bounds, and the flag
    that sets it. Declared once per TrainOptions field; the parser and resolve_options both use it."""

    flag: str
    kind: type = float
    lo: float | None = None
    hi: float | None = None
    open_lo: bool = False  # lo itself is excluded (a positive rate)

    def problem(self, value) -> str | None:
        """None when `value` is in the range, else what it must be."""
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        ok = ok and (self.kind is float or float(value).is_integer())
        ok = ok and (self.lo is None or value > self.lo or value == self.lo and not self.open_lo)
        ok = ok and (self.hi is None or value <= self.hi)
        return None if ok else f"must be {self.describe()}, got {value}"

    def describe(self) -> str:
        what = "a whole number" if self.kind is int else "a number"
        if self.lo is not None and self.hi is not None:
            return f"{what} in {'(' if self.open_lo else '['}{self.lo:g}, {self.hi:g}]"
        if self.lo is not None:
            return f"{what} {'>' if self.open_lo else '>='} {self.lo:g}"
        return f"{what} <= {self.hi:g}" if self.hi is not None else what

    def parse(self, text: str):
        """An argparse `type`: the value, or ArgumentTypeError (argparse's one-line usage error)."""
        try:
            value = self.kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {self.describe()}, got {text!r}") from None
        if self.problem(value):
            raise argparse.ArgumentTypeError(f"must be {self.describe()}, got {text}")
        return value


def _opt(default, flag: str, kind: type = float, lo=None, hi=None, *, open_lo: bool = False):
    return dataclasses.field(default=default, metadata={"range": Range(flag, kind, lo, hi, open_lo)})


MAX_SEED = 2 ** 32 - 1  # numpy's Generator and torch take it; the app's scene seeds have the same range


@dataclasses.dataclass
class TrainOptions:
    """Everything a run needs; written resolved to RUN_DIR/options.json. Each number declares its range."""

    dataset: str
    out: str
    config: str = "small"
    resolution: int | None = _opt(None, "--resolution", int, 8, 4096)  # default: the config's height
    batch: int | None = _opt(None, "--batch", int, 1)  # global batch; default 32 on CUDA, 8 on CPU
    kimg: float = _opt(1000.0, "--kimg", lo=0, open_lo=True)  # training length in thousands of real images shown
    seed: int = _opt(0, "--seed", int, 0, MAX_SEED)
    device: str = "auto"  # auto, cpu, cuda
    resume: bool = False
    init_from: str | None = None  # a checkpoint whose weights start a new run (same or a taller config)
    lr: float = _opt(0.002, "--lr", lo=0, hi=1, open_lo=True)
    r1_gamma: float | None = _opt(None, "--gamma", lo=0)  # default 10 * (H / 256)^2, the paper's 10 at 256 px
    r1_interval: int = _opt(16, "r1_interval", int, 0)  # 0: no R1
    ema_kimg: float | None = _opt(None, "--ema", lo=0)  # default batch * 10 / 32
    ema_rampup: float = _opt(0.05, "--ema-rampup", lo=0)
    mixing_prob: float = _opt(0.9, "--mixing", lo=0, hi=1)
    shift_ramp_kimg: float | None = _opt(None, "--shift-ramp", lo=0)  # default min(100, kimg / 10)
    augment: str = "none"  # none, diffaug, or a DiffAugment policy (color,translation,cutout)
    stationarity: float = _opt(0.0, "--stationarity", lo=0)  # penalty on a pattern repeated every interval
    d_warmup_kimg: float = _opt(0.0, "--d-warmup", lo=0)  # D trains alone this long first (a grown G waits)
    g_top_only_kimg: float = _opt(0.0, "--g-top-only", lo=0)  # until then G trains only its top block
    d_half: float = _opt(0.0, "--d-half", lo=0)  # weight of a second D that sees the frames at half size (0 = off)
    d_half_from: str | None = None  # a checkpoint of a model half as tall whose D starts it (default: fresh)
    precision: str = "auto"  # auto (bf16 on CUDA and on CPUs with native bf16, else fp32), fp32, bf16, fp16
    snap_kimg: float | None = _opt(None, "--snap", lo=0, open_lo=True)  # default 10 on CPU, 50 on CUDA
    metric_images: int = _opt(256, "--metric-images", int, 0)  # SWD sample size at each snapshot (0: no metrics)
    keep_snapshots: bool = True  # a slim checkpoint per snapshot in RUN_DIR/snapshots/ (the best is often not the last)
    sample_intervals: int = _opt(6, "sample_intervals", int, 1)  # anchor intervals per row of the sample panorama
    cache_dir: str | None = None  # default RUN_DIR
    workers: int | None = _opt(None, "--workers", int, 1)  # processes decoding images for the cache
    log_every: float = _opt(10.0, "log_every", lo=0)  # seconds between log.jsonl records
    threads: int | None = _opt(None, "--threads", int, 1)  # torch CPU threads (default torch's; 1 on a busy CPU)


def option_ranges() -> dict[str, tuple[str, Range]]:
    """{field: (flag, range)} of every number option (the flag is the field's name where no flag sets it)."""
    return {f.name: (f.metadata["range"].flag, f.metadata["range"]) for f in dataclasses.fields(TrainOptions)
            if "range" in f.metadata}


def option_type(name: str):
    """The argparse `type` of a TrainOptions field: parses and checks its declared range."""
    return option_ranges()[name][1].parse


def check_ranges(opts: TrainOptions) -> None:
    """Every number option inside its declared range (None: the default, filled in later)."""
    for name, (flag, rng) in option_ranges().items():
        value = getattr(opts, name)
        if value is not None and (why := rng.problem(value)):
            raise UserError(f"{flag} {why}")


def resolve_config(name: str, resolution: int | None) -> ModelConfig:
    """The named config, rescaled to `resolution` px tall (patch = resolution / 2) when given."""
    from alis_studio.trainer.model import get_config

    try:
        cfg = get_config(name)
    except ValueError as e:
        raise UserError(str(e)) from None
    if resolution is None or resolution == cfg.height:
        return cfg
    if resolution & (resolution - 1) or resolution < 1:  # its bounds: TrainOptions.resolution's range
        raise UserError(f"--resolution must be a power of two, got {resolution}")
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
    check_ranges(opts)
    cfg = resolve_config(opts.config, opts.resolution)
    o = dataclasses.replace(opts, resolution=cfg.height)
    if o.batch is None:
        o.batch = 32 if cuda else 8
    if o.batch % world:
        raise UserError(f"--batch must be a positive multiple of the number of processes ({world}), got {o.batch}")
    o.r1_gamma = 10.0 * (cfg.height / 256) ** 2 if o.r1_gamma is None else o.r1_gamma
    o.ema_kimg = o.batch * 10 / 32 if o.ema_kimg is None else o.ema_kimg
    o.shift_ramp_kimg = min(100.0, o.kimg / 10) if o.shift_ramp_kimg is None else o.shift_ramp_kimg
    o.snap_kimg = (50.0 if cuda else 10.0) if o.snap_kimg is None else o.snap_kimg
    check_ranges(o)  # the defaults derived from them too (e.g. the EMA's)
    if o.d_half_from and not o.d_half:
        raise UserError("--d-half-from needs --d-half WEIGHT (the half-size D's weight in G's loss)")
    if o.d_half and cfg.height < 16:
        raise UserError(f"--d-half needs a model at least 16 px tall, got {cfg.height}")
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
