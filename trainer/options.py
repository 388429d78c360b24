"""Training options: one dataclass with the defaults a StyleGAN2-ADA user expects, resolved
against the device and the config, and written to RUN_DIR/options.json. Each option is declared
once, as a TrainOptions field whose `Option` metadata holds its flag, help, range and whether
--resume restores it: `alis-studio train`'s arguments, the restore on --resume and the loss's
options (`LossOptions.of`) are derived from it, so a new option is one field."""
from __future__ import annotations

import argparse
import dataclasses
import math

from typing import TYPE_CHECKING

from alis_studio.engine.devices import DEVICES
from alis_studio.errors import UserError

if TYPE_CHECKING:  # torch loads when a config is resolved, not when the parser reads the options
    from alis_studio.trainer.model import ModelConfig

DIFFAUGMENT = "color,translation,cutout"
PRECISIONS = ("auto", "fp32", "bf16", "fp16")


@dataclasses.dataclass(frozen=True)
class Range:
    """The values a number option takes: a kind (int or float, always finite) and bounds. The
    parser's type and resolve_options both check it."""

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


@dataclasses.dataclass(frozen=True)
class Option:
    """How one TrainOptions field meets the user (its field metadata["option"])."""

    flag: str | None  # its `alis-studio train` flag; None: set from Python only (tests, scripts)
    help: str = ""
    metavar: str | None = None
    range: Range | None = None  # numbers: the values it takes
    choices: tuple[str, ...] | None = None
    action: str | None = None  # store_true / store_false for a switch
    restore: bool = True  # --resume takes it from the run's options.json when its flag is not given


def option(default, flag: str | None, metavar: str | None = None, help: str = "", *, kind: type | None = None,
           lo=None, hi=None, open_lo: bool = False, choices=None, action=None, restore: bool = True):
    """A TrainOptions field and its declaration; `kind` makes it a number option with a range."""
    rng = Range(kind, lo, hi, open_lo) if kind else None
    meta = {"option": Option(flag, help, metavar, rng, choices, action, restore)}
    if default is dataclasses.MISSING:
        return dataclasses.field(metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


MAX_SEED = 2 ** 32 - 1  # numpy's Generator and torch take it; the app's scene seeds have the same range
_GROWN = "for --init-from a smaller model: "


@dataclasses.dataclass
class TrainOptions:
    """Everything a run needs; written resolved to RUN_DIR/options.json. Declaration order is the
    order of `alis-studio train --help`. restore=False: given on every run, or this machine's."""

    dataset: str = option(dataclasses.MISSING, "--dataset", "PATH", "a folder (searched recursively) or a zip of "
                          "images", restore=False)
    out: str = option(dataclasses.MISSING, "--out", "RUN_DIR", "the run directory", restore=False)
    config: str = option("small", "--config", "NAME", "model size: tiny, small64, small128, small, paper256, "
                         "paper1024 (default small)")
    resolution: int | None = option(None, "--resolution", "R", "image height in px (default: the config's)",
                                    kind=int, lo=8, hi=4096)
    batch: int | None = option(None, "--batch", "B", "global batch size (default 32 on CUDA, 8 on CPU)", kind=int, lo=1)
    kimg: float = option(1000.0, "--kimg", "K", "training length in thousands of images shown (default 1000)",
                         kind=float, lo=0, open_lo=True)
    resume: bool = option(False, "--resume", None, "continue the run in --out from its checkpoint",
                          action="store_true", restore=False)
    # a resumed run continues from its checkpoint, so the weights a new run started from do not matter
    init_from: str | None = option(None, "--init-from", "CHECKPOINT", "start a new run from this checkpoint's "
                                   "weights: the same config (fine-tune) or a taller one grown from it (layers "
                                   "matched by resolution, new toRGB layers from zero)", restore=False)
    device: str = option("auto", "--device", None, "default auto", choices=DEVICES, restore=False)
    seed: int = option(0, "--seed", "S", "random seed (default 0)", kind=int, lo=0, hi=MAX_SEED)
    augment: str = option("none", "--augment", "POLICY", "none, diffaug (for small datasets) or a DiffAugment policy "
                          "(default none)")
    # options.json holds what auto resolved to on the machine that wrote it, so it is not restored
    precision: str = option("auto", "--precision", None, "autocast precision (default auto: bf16 on CUDA and on CPUs "
                            "with native bf16, else fp32)", choices=PRECISIONS, restore=False)
    snap_kimg: float | None = option(None, "--snap", "KIMG", "kimg between snapshots (default 10 CPU, 50 CUDA)",
                                     kind=float, lo=0, open_lo=True)
    keep_snapshots: bool = option(True, "--no-keep-snapshots", None, "do not keep a slim checkpoint of every "
                                  "snapshot in RUN_DIR/snapshots/ (only the latest)", action="store_false")
    lr: float = option(0.002, "--lr", "LR", "Adam learning rate (default 0.002)", kind=float, lo=0, hi=1,
                       open_lo=True)
    r1_gamma: float | None = option(None, "--gamma", "GAMMA", "R1 weight (default 10 * (H/256)^2)", kind=float, lo=0)
    mixing_prob: float = option(0.9, "--mixing", "P", "style mixing probability (default 0.9)", kind=float, lo=0, hi=1)
    ema_kimg: float | None = option(None, "--ema", "KIMG", "half-life of G's moving average in kimg (default "
                                    "batch * 10 / 32)", kind=float, lo=0)
    ema_rampup: float = option(0.05, "--ema-rampup", "R", "the half-life is at most R x the images shown so far "
                               "(default 0.05; 0 = off: for a fine-tune whose start is already good)", kind=float, lo=0)
    d_warmup_kimg: float = option(0.0, "--d-warmup", "KIMG", f"train D alone for the first KIMG ({_GROWN}the grown "
                                  "G keeps what it knows while D's new layers learn; default 0)", kind=float, lo=0)
    g_top_only_kimg: float = option(0.0, "--g-top-only", "KIMG", "until KIMG, G trains only its top "
                                    f"(full-resolution) block ({_GROWN}its new layers learn first, the grown ones "
                                    "keep what they know; default 0)", kind=float, lo=0)
    d_half: float = option(0.0, "--d-half", "WEIGHT", "a second discriminator that sees the frames shrunk to half "
                           "their height, with this weight in G's loss (a grown model keeps the coarse scene it "
                           "inherited; 0 = off, the default)", kind=float, lo=0)
    d_half_from: str | None = option(None, "--d-half-from", "CHECKPOINT", "start the half-size discriminator from "
                                     "this checkpoint of a model half as tall (its D already knows the images at "
                                     "that size; default: a fresh one)")
    stationarity: float = option(0.0, "--stationarity", "WEIGHT", "penalty on what is drawn at the same place of "
                                 "every anchor interval (streaks, bumps: the share of pixels and of column detail "
                                 "that repeats; 0 = off, the default; scripts/train_default_model.sh uses 0.5-1)",
                                 kind=float, lo=0)
    shift_ramp_kimg: float | None = option(None, "--shift-ramp", "KIMG", "kimg to ramp the frame shift (default "
                                           "min(100, kimg/10))", kind=float, lo=0)
    metric_images: int = option(256, "--metric-images", "N", "images for the SWD at each snapshot, 0 = off "
                                "(default 256)", kind=int, lo=0)
    cache_dir: str | None = option(None, "--cache-dir", "DIR", "where to keep the prepared dataset cache (default: "
                                   "the run directory)", restore=False)
    workers: int | None = option(None, "--workers", "N", "processes that decode images for the cache (default: "
                                 "CPUs, max 8)", kind=int, lo=1, restore=False)
    threads: int | None = option(None, "--threads", "N", "CPU threads for torch (default: torch's; 1 is much faster "
                                 "on a CPU that other jobs share)", kind=int, lo=1, restore=False)
    r1_interval: int = option(16, None, help="R1 every this many steps (0: no R1)", kind=int, lo=0)
    sample_intervals: int = option(6, None, help="anchor intervals per row of the sample panorama", kind=int, lo=1)
    log_every: float = option(10.0, None, help="seconds between log.jsonl records", kind=float, lo=0)


def declared() -> dict[str, Option]:
    """{field: its Option} of every TrainOptions field, in declaration order."""
    return {f.name: f.metadata["option"] for f in dataclasses.fields(TrainOptions)}


def option_ranges() -> dict[str, tuple[str, Range]]:
    """{field: (flag, range)} of every number option (the flag is the field's name where no flag sets it)."""
    return {name: (o.flag or name, o.range) for name, o in declared().items() if o.range is not None}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One argument per TrainOptions field with a flag (required where the field has no default).
    Each defaults to None, "not given": TrainOptions' default applies, or on --resume the saved value."""
    for f in dataclasses.fields(TrainOptions):
        o = f.metadata["option"]
        if o.flag is None:
            continue
        kw = {"dest": f.name, "default": None, "help": o.help, "required": f.default is dataclasses.MISSING}
        if o.action:
            kw["action"] = o.action
        else:
            kw.update(metavar=o.metavar, choices=o.choices, type=o.range.parse if o.range else None)
        parser.add_argument(o.flag, **kw)


def restored(given: dict, saved: dict) -> dict:
    """The options of a resumed run: those `given` on its command line, and for the rest the ones
    `saved` in its options.json whose declaration says --resume restores them."""
    keep = {name for name, o in declared().items() if o.restore and name in saved}
    if "config" in given and "resolution" not in given:  # a new config: not the old resolution
        keep.discard("resolution")
    return {**{k: saved[k] for k in keep}, **given}


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
    if o.precision not in PRECISIONS:
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
