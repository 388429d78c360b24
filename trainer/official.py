"""The official ALIS generator (github:universome/alis, configs/alis.yml), inference only, one patch a call.

Written from the paper and a reading of the official code, in plain PyTorch (no custom ops), so that
its checkpoints (e.g. LHQ 1024) export to a format-1 bundle. Module and parameter names follow the
official state dict, so a checkpoint loads name for name. What the official graph does, as used here:
- The official frame is `grid_size` patches rendered side by side, each with its own zero padding
  (patch-wise convolutions and upsampling): a patch alone is exactly one patch of a frame.
- Anchors sit `w_coord_dist / 2` frames apart: K = w_coord_dist * grid_size / 2 patches per interval.
  A column's style is (m - m t) A(w_left) + m t A(w_right), t the column centre in the interval at
  the resolution of the tensor it modulates (m = w_lerp_multiplier), the official linspace.
- The input block is a learned column (constant along x) modulated by its own affine, plus fixed
  sin/cos coordinate features; every later block concatenates coordinate features (at its input
  resolution, from a logarithmic basis of its own resolution) before its first conv.
- Convolutions: activations times the column style, a plain conv, then a weight-only demodulation
  (a constant per output channel), bias, leaky ReLU x sqrt 2, clamp. In fp16 blocks the official
  code first divides each anchor's styles by their largest magnitude and the weight by its fan-in
  and largest magnitude: reproduced in fp32. Upsampling is a stride-2 transposed conv followed by
  the [1,3,3,1] filter (x 4); the RGB skip is upsampled by the same filter; noise is off.
"""
from __future__ import annotations

import dataclasses
import math
import re

import torch
import torch.nn.functional as F
from torch import nn

from alis_studio.trainer.model import EqualLinear

FILTER = (1.0, 3.0, 3.0, 1.0)


class UnsupportedConfig(ValueError):
    """A constructor option of the official code that this importer does not implement."""


@dataclasses.dataclass(frozen=True)
class OfficialConfig:
    """The official Generator's constructor arguments that shape inference, validated."""

    z_dim: int
    w_dim: int
    resolution: int
    mapping_layers: int
    mapping_lr: float
    mapping_hidden: int
    channel_base: int
    channel_max: int
    num_fp16_res: int
    conv_clamp: float | None
    grid_size: int
    w_coord_dist: int
    lerp: float  # w_lerp_multiplier
    coord_dims: dict  # resolution -> (dim, use_diagonal, use_cosine) of its coordinate features
    remove_lowest_freq: bool
    # fp16 blocks: round to fp16 after every operation as the official arithmetic does (False: plain
    # fp32, up to a few 1e-3 away, for benchmarks of what the rounding costs)
    fp16_rounding: bool = True

    @property
    def resolutions(self) -> list[int]:
        return [2 ** i for i in range(2, int(math.log2(self.resolution)) + 1)]

    def channels(self, res: int) -> int:
        return min(self.channel_base // res, self.channel_max)

    @property
    def patches_per_interval(self) -> int:
        return self.w_coord_dist * self.grid_size // 2

    @property
    def patch_width(self) -> int:
        return self.resolution // self.grid_size

    def fp16(self, res: int) -> bool:
        """Whether the official code runs block `res` in fp16 (its styles and weights are normalised)."""
        return res >= max(2 ** (int(math.log2(self.resolution)) + 1 - self.num_fp16_res), 8)


# --------------------------------------------------------------------------- constructor arguments

# options read below, and options that do not change what an inference computes
_MAPPING_KEYS = {"num_layers", "lr_multiplier", "h_dim", "activation", "w_avg_beta", "embed_features"}
_SYNTHESIS_KEYS = {"channel_base", "channel_max", "num_fp16_res", "conv_clamp", "fp16_channels_last",
                   "architecture", "resample_filter"}
_CFG_REQUIRED = {  # synthesis_cfg entries, dotted, and the only value supported
    "patchwise.enabled": True, "patchwise.instance_norm": False, "style.is_spatial": True,
    "style.fallback_to_mean": False, "input.type": "grid", "input.resolution": 4, "min_resolution": 4,
    "coords.enabled": True, "coords.logarithmic": True, "coords.fallback": False,
    "coords.no_fourier_fallback": False, "coords.use_cips_embs": False, "coords.coord_dim": 2,
    "coords.kernel_size": 3, "coords.growth_schedule.enabled": False, "fmm.enabled": False,
    "upsampling_mode": None, "force_zero_padding": False, "num_modes": 1,
}
_CFG_KNOWN = {"modulated_second_conv", "mode_max_norm", "style", "patchwise", "input", "coords", "fmm",
              "dataset"} | {k.split(".")[0] for k in _CFG_REQUIRED}


def _resolve(value, root: dict, depth: int = 0):
    """omegaconf's `${a.b}` interpolations (relative to the synthesis config, as the official modules
    resolve them), in nested dicts and lists."""
    if isinstance(value, dict):
        return {k: _resolve(v, root, depth) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, root, depth) for v in value]
    if isinstance(value, str) and "${" in value:
        m = re.fullmatch(r"\$\{([A-Za-z0-9_.]+)\}", value)
        if not m or depth > 8:
            raise UnsupportedConfig(f"synthesis_cfg interpolation {value!r} is not supported")
        return _resolve(_lookup(root, m.group(1)), root, depth + 1)
    return value


def _lookup(cfg: dict, dotted: str):
    node = cfg
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            raise UnsupportedConfig(f"synthesis_cfg lacks {dotted!r}")
        node = node[part]
    return node


def _refuse_unknown(where: str, given: dict, known: set):
    extra = sorted(set(given) - known)
    if extra:
        raise UnsupportedConfig(f"{where} option{'s' if len(extra) > 1 else ''} {', '.join(extra)} "
                                "not supported (the configs/alis.yml family only)")


def parse_config(kwargs: dict) -> OfficialConfig:
    """OfficialConfig from the Generator's constructor kwargs (`G_ema.init_kwargs`); UnsupportedConfig
    names the first option outside the supported set."""
    for key in ("z_dim", "w_dim", "img_resolution"):
        if not isinstance(kwargs.get(key), int) or kwargs[key] <= 0:
            raise UnsupportedConfig(f"Generator argument {key} is missing or invalid")
    res = kwargs["img_resolution"]
    if res < 8 or res & (res - 1):
        raise UnsupportedConfig(f"img_resolution {res} is not a power of two >= 8")
    if kwargs.get("c_dim", 0) != 0 or kwargs.get("img_channels", 3) != 3:
        raise UnsupportedConfig("conditional or non-RGB generators (c_dim, img_channels) are not supported")
    mapping, synthesis = dict(kwargs.get("mapping_kwargs") or {}), dict(kwargs.get("synthesis_kwargs") or {})
    _refuse_unknown("mapping_kwargs", mapping, _MAPPING_KEYS)
    _refuse_unknown("synthesis_kwargs", synthesis, _SYNTHESIS_KEYS)
    if mapping.get("activation", "lrelu") != "lrelu" or mapping.get("embed_features") is not None:
        raise UnsupportedConfig("mapping_kwargs activation/embed_features other than the default")
    if synthesis.get("architecture", "skip") != "skip":
        raise UnsupportedConfig(f"synthesis architecture {synthesis['architecture']!r} (only 'skip')")
    if [float(v) for v in synthesis.get("resample_filter", FILTER)] != list(FILTER):
        raise UnsupportedConfig("a resample_filter other than [1, 3, 3, 1]")
    raw = kwargs.get("synthesis_cfg")
    if not isinstance(raw, dict):
        raise UnsupportedConfig("the Generator has no synthesis_cfg")
    cfg = _resolve(raw, raw)
    _refuse_unknown("synthesis_cfg", cfg, _CFG_KNOWN)
    for dotted, want in _CFG_REQUIRED.items():
        got = _lookup(cfg, dotted)
        if got != want:
            raise UnsupportedConfig(f"synthesis_cfg.{dotted} = {got!r} is not supported (only {want!r})")
    pw, coords = cfg["patchwise"], cfg["coords"]
    for section in (cfg["input"].get("kwargs", {}), coords):
        for key, base in (("grid_size", "grid_size"), ("w_coord_dist", "w_coord_dist"),
                          ("w_lerp_multiplier", "w_lerp_multiplier")):
            if key in section and section[key] != pw[base]:
                raise UnsupportedConfig(f"synthesis_cfg {key} differs between sections")
    g, c = pw["grid_size"], pw["w_coord_dist"]
    period = 4 if coords["remove_lowest_freq"] else 8  # x period of the lowest diagonal feature
    if not (isinstance(g, int) and g >= 1 and res % g == 0 and isinstance(c, int) and c > 0 and c % period == 0):
        raise UnsupportedConfig(f"patchwise grid_size {g} / w_coord_dist {c} (w_coord_dist must be a multiple "
                                f"of {period}, so that every anchor interval has the same coordinates)")
    dims = {}
    for r in [2 ** i for i in range(3, int(math.log2(res)) + 1)]:
        entry = coords["channels_dict"].get(str(r))
        if not isinstance(entry, dict):
            raise UnsupportedConfig(f"synthesis_cfg.coords.channels_dict has no entry for {r}")
        dims[r] = (int(entry["dim"]), bool(entry["use_diagonal"]), bool(entry["use_cosine"]))
    clamp = synthesis.get("conv_clamp")
    return OfficialConfig(
        z_dim=kwargs["z_dim"], w_dim=kwargs["w_dim"], resolution=res,
        mapping_layers=int(mapping.get("num_layers", 8)), mapping_lr=float(mapping.get("lr_multiplier", 0.01)),
        mapping_hidden=int(mapping.get("h_dim") or kwargs["w_dim"]),
        channel_base=int(synthesis.get("channel_base", 32768)), channel_max=int(synthesis.get("channel_max", 512)),
        num_fp16_res=int(synthesis.get("num_fp16_res", 0)), conv_clamp=None if clamp is None else float(clamp),
        grid_size=g, w_coord_dist=c, lerp=float(pw["w_lerp_multiplier"]), coord_dims=dims,
        remove_lowest_freq=bool(coords["remove_lowest_freq"]))


# --------------------------------------------------------------------------- fixed tables


def log_basis(res: int, max_feats: int, remove_lowest: bool, diagonal: bool) -> torch.Tensor:
    """(D, 2) wave vectors (x, y): per direction (horizontal wavefronts, vertical, the two diagonals)
    frequencies 2^k of a period of 4 coordinate units (4 sqrt 2 on the diagonals), k < log2(res);
    directions are dropped from the last while they do not fit in max_feats."""
    n = math.ceil(math.log2(res))
    s = 1 / math.sqrt(2)
    directions = [((0.0, 1.0), 4.0), ((1.0, 0.0), 4.0), ((-s, s), 4.0 * math.sqrt(2)), ((s, s), 4.0 * math.sqrt(2))]
    if not diagonal:
        directions = directions[:2]
    while n * len(directions) > max_feats and len(directions) > 2:
        directions = directions[:-1]
    rows = []
    for (dx, dy), period in directions:
        powers = 2.0 ** torch.arange(1 if remove_lowest else 0, n)
        vec = torch.tensor([dx, dy])[None, :] * powers[:, None] * (2 * math.pi / period)
        rows.append(vec.float())
    basis = torch.cat(rows)
    if basis.shape[0] > max_feats:
        raise UnsupportedConfig(f"{basis.shape[0]} coordinate features at {res} px exceed the {max_feats} allowed")
    return basis


class _Tables(nn.Module):
    """Per-patch column tables of one resolution r (the width of the tensor they apply to).

    t: (K, P_r) style positions m t of the patch's columns in the interval; x: (K, P_r) and y: (r,)
    the official coordinates of a frame starting at the patch's frame (the first interval's frames:
    coordinates repeat every interval, see parse_config)."""

    def __init__(self, cfg: OfficialConfig, r: int):
        super().__init__()
        g, c, K = cfg.grid_size, cfg.w_coord_dist, cfg.patches_per_interval
        P, wd = r // g, int(0.5 * c * r)
        t = torch.linspace(1 / (2 * wd), 1 - 1 / (2 * wd), wd) * cfg.lerp  # (wd,) = (K * P,)
        # fp16 blocks interpolate in fp16, from an fp16 linspace
        t16 = torch.linspace(1 / (2 * wd), 1 - 1 / (2 * wd), wd, dtype=torch.float16) * cfg.lerp
        k = torch.arange(K)
        first = (k - k % g).float()  # the official frame's left border, in patches
        shift = (first * P - wd) / wd * c + 1.0  # (K,)
        row = (torch.arange(r).float() / r) * 2 - 1  # (r,)
        cols = (k % g)[:, None] * P + torch.arange(P)[None, :]  # (K, P) column in the frame
        self.register_buffer("t", t.view(K, P), persistent=False)
        self.register_buffer("t16", t16.float().view(K, P), persistent=False)
        self.register_buffer("x", row[cols] + shift[:, None], persistent=False)
        self.register_buffer("y", row.flip(0), persistent=False)


def half(x: torch.Tensor) -> torch.Tensor:
    """x rounded to fp16 (kept in fp32): the official fp16 blocks round after every operation, and
    fp16 operations are correctly rounded, so rounding fp32 results reproduces them."""
    return x.half().float()


def _same(x):
    return x


def column_styles(s: torch.Tensor, t: torch.Tensor, m: float, r=_same) -> torch.Tensor:
    """s: (B, 2, C) styles of the left and right anchor, t: (B, W) m t per column -> (B, C, 1, W).
    r: the rounding after each operation (`half` in fp16 arithmetic)."""
    left = r(s[:, 0, None, :] * r(m - t)[:, :, None])  # (B, W, C)
    lerp = r(left + r(s[:, 1, None, :] * t[:, :, None]))
    return lerp.permute(0, 2, 1)[:, :, None, :]


def coordinate_features(basis: torch.Tensor, tables: _Tables, patch: torch.Tensor, cosine: bool) -> torch.Tensor:
    """(D, 2) basis -> (B, D or 2D, r, P): sin (and cos) of basis . (x, y) at the patch's pixels."""
    x = tables.x[patch][:, None, None, :]  # (B, 1, 1, P)
    y = tables.y[None, None, :, None]  # (1, 1, r, 1)
    arg = basis[None, :, 0, None, None] * x + basis[None, :, 1, None, None] * y  # (B, D, r, P)
    return torch.cat([arg.sin(), arg.cos()], dim=1) if cosine else arg.sin()


def _filter2d() -> torch.Tensor:
    f = torch.tensor(FILTER)
    return torch.outer(f, f) / f.sum() ** 2  # (4, 4), sums to 1


def upsample_skip(img: torch.Tensor, fir: torch.Tensor) -> torch.Tensor:
    """The official upsample2d: zeros between pixels, pad (2, 1), the 4x4 filter x 4 (`fir`, (3, 1, 4, 4)).
    (B, 3, h, w) -> (B, 3, 2h, 2w)."""
    B, _, h, w = img.shape
    z = F.pad(img[:, :, :, None, :, None], (0, 1, 0, 0, 0, 1)).reshape(B, 3, 2 * h, 2 * w)
    return F.conv2d(F.pad(z, (2, 1, 2, 1)), fir, groups=3)


# --------------------------------------------------------------------------- layers


def FullyConnected(in_f: int, out_f: int, lr: float = 1.0, act: bool = False) -> EqualLinear:
    """The official FullyConnectedLayer is our EqualLinear: weight x lr / sqrt(in), bias x lr."""
    return EqualLinear(in_f, out_f, lr_mul=lr, act=act)


class Mapping(nn.Module):
    def __init__(self, cfg: OfficialConfig):
        super().__init__()
        dims = [cfg.z_dim] + [cfg.mapping_hidden] * (cfg.mapping_layers - 1) + [cfg.w_dim]
        for i in range(cfg.mapping_layers):
            setattr(self, f"fc{i}", FullyConnected(dims[i], dims[i + 1], lr=cfg.mapping_lr, act=True))
        self.register_buffer("w_avg", torch.zeros(cfg.w_dim))
        self.n = cfg.mapping_layers

    def forward(self, z):  # (B, z_dim) -> (B, w_dim)
        x = z * (z.square().mean(dim=1, keepdim=True) + 1e-8).rsqrt()
        for i in range(self.n):
            x = getattr(self, f"fc{i}")(x)
        return x


class ModulatedLayer(nn.Module):
    """A patch-wise synthesis layer: column styles, 3x3 conv (2x transposed with `up`), weight-only
    demodulation, bias, leaky ReLU, clamp."""

    def __init__(self, cfg: OfficialConfig, in_ch: int, out_ch: int, up: bool, fp16: bool):
        super().__init__()
        self.affine = FullyConnected(cfg.w_dim, in_ch)
        self.weight = nn.Parameter(torch.randn(out_ch, in_ch, 3, 3))
        self.bias = nn.Parameter(torch.zeros(out_ch))
        self.up, self.fp16, self.clamp, self.m = up, fp16, cfg.conv_clamp, cfg.lerp
        self.round16 = fp16 and cfg.fp16_rounding
        if up:  # the filter after the transposed conv, one per channel, x 4 (the official gain)
            self.register_buffer("fir", (_filter2d() * 4).expand(out_ch, 1, 4, 4).clone(), persistent=False)

    def weight_and_demodulation(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(O, I, 3, 3) weight and its (1, O, 1, 1) weight-only demodulation."""
        w = self.weight
        if self.fp16:  # the official fp16 path pre-normalises the weight (then demodulates it)
            w = w * (1 / math.sqrt(w[0].numel()) / w.abs().amax(dim=(1, 2, 3), keepdim=True))
        return w, (w.square().sum(dim=(1, 2, 3)) + 1e-8).rsqrt()[None, :, None, None]

    def forward(self, x, w2, tables: _Tables, patch):  # x: (B, I, h, P) -> (B, O, h or 2h, P or 2P)
        r = half if self.round16 else _same
        s = self.affine(w2)  # (B, 2, I)
        if self.fp16:  # ... and each anchor's styles by their largest magnitude
            s = r(s / s.abs().amax(dim=2, keepdim=True))
        x = r(x * column_styles(s, (tables.t16 if self.round16 else tables.t)[patch], self.m, r))
        weight, demod = self.weight_and_demodulation()
        if not self.round16:  # fp32: the demodulation folds into the weight (one product less per pixel)
            weight, demod = weight * demod.view(-1, 1, 1, 1), None
        if self.up:
            x = r(F.conv_transpose2d(x, r(weight).transpose(0, 1), stride=2))  # (B, O, 2h + 1, 2P + 1)
            x = r(F.conv2d(x, r(self.fir), padding=1, groups=self.fir.shape[0]))
        else:
            x = r(F.conv2d(x, r(weight), padding=1))
        if demod is not None:
            x = half(x * half(demod))
        x = r(F.leaky_relu(r(x + r(self.bias)[None, :, None, None]), 0.2))
        x = r(x * math.sqrt(2))
        return x.clamp(-self.clamp, self.clamp) if self.clamp is not None else x


class ToRGB(nn.Module):
    def __init__(self, cfg: OfficialConfig, in_ch: int, fp16: bool):
        super().__init__()
        self.affine = FullyConnected(cfg.w_dim, in_ch)
        self.weight = nn.Parameter(torch.randn(3, in_ch, 1, 1))
        self.bias = nn.Parameter(torch.zeros(3))
        self.gain, self.clamp, self.m = 1 / math.sqrt(in_ch), cfg.conv_clamp, cfg.lerp
        self.round16 = fp16 and cfg.fp16_rounding

    def forward(self, x, w2, t):  # (B, I, h, P) -> (B, 3, h, P)
        r = half if self.round16 else _same  # (its styles interpolate in fp32, then round)
        x = r(x * r(column_styles(self.affine(w2) * self.gain, t, self.m)))
        x = r(r(F.conv2d(x, r(self.weight))) + r(self.bias)[None, :, None, None])
        return x.clamp(-self.clamp, self.clamp) if self.clamp is not None else x


class GridInput(nn.Module):
    """The 4 px input: a learned column, modulated by its own affine, plus coordinate features."""

    def __init__(self, cfg: OfficialConfig, channels: int):
        super().__init__()
        self.input_column = nn.Parameter(torch.randn(channels, 4))
        self.affine = FullyConnected(cfg.w_dim, channels)
        self.register_buffer("basis", log_basis(4, channels, remove_lowest=True, diagonal=True))
        self.m = cfg.lerp

    @property
    def channels(self) -> int:
        return self.input_column.shape[0] + 2 * self.basis.shape[0]

    def forward(self, w2, patch, tables: _Tables):  # -> (B, C + 2 D, 4, P_4)
        t = tables.t[patch]  # (B, P)
        x = self.input_column[None, :, :, None] * column_styles(self.affine(w2), t, self.m)
        return torch.cat([x, coordinate_features(self.basis, tables, patch, cosine=True)], dim=1)


class _InputHolder(nn.Module):  # the official nesting: b4.input.input
    def __init__(self, inner: nn.Module):
        super().__init__()
        self.input = inner


class CoordFuser(nn.Module):
    def __init__(self, cfg: OfficialConfig, res: int):
        super().__init__()
        dim, diagonal, self.cosine = cfg.coord_dims[res]
        self.register_buffer("basis", log_basis(res, dim, cfg.remove_lowest_freq, diagonal))

    @property
    def channels(self) -> int:
        return self.basis.shape[0] * (2 if self.cosine else 1)


class Block(nn.Module):
    def __init__(self, cfg: OfficialConfig, res: int):
        super().__init__()
        out_ch, self.res = cfg.channels(res), res
        fp16 = cfg.fp16(res)
        self.round16 = fp16 and cfg.fp16_rounding
        if res == 4:
            self.input = _InputHolder(GridInput(cfg, out_ch))
            self.conv1 = ModulatedLayer(cfg, self.input.input.channels, out_ch, up=False, fp16=fp16)
        else:
            self.coords_fuser0 = CoordFuser(cfg, res)
            in_ch = cfg.channels(res // 2) + self.coords_fuser0.channels
            self.conv0 = ModulatedLayer(cfg, in_ch, out_ch, up=True, fp16=fp16)
            self.conv1 = ModulatedLayer(cfg, out_ch, out_ch, up=False, fp16=fp16)
        self.torgb = ToRGB(cfg, out_ch, fp16)

    def forward(self, x, img, w2, patch, tables: dict, fir):
        if self.res == 4:
            x = self.input.input(w2, patch, tables[4])
        else:
            lo = tables[self.res // 2]  # the fuser and conv0 work at the input's resolution
            coords = coordinate_features(self.coords_fuser0.basis, lo, patch, self.coords_fuser0.cosine)
            if self.round16:  # the block computes in fp16
                x, coords = half(x), half(coords)
            x = self.conv0(torch.cat([x, coords], dim=1), w2, lo, patch)
        hi = tables[self.res]
        x = self.conv1(x, w2, hi, patch)
        y = self.torgb(x, w2, hi.t[patch])
        return x, (y if img is None else upsample_skip(img, fir) + y)


class Synthesis(nn.Module):
    def __init__(self, cfg: OfficialConfig):
        super().__init__()
        self.cfg = cfg
        for r in cfg.resolutions:
            setattr(self, f"b{r}", Block(cfg, r))
            setattr(self, f"tables{r}", _Tables(cfg, r))
        self.register_buffer("fir", (_filter2d() * 4).expand(3, 1, 4, 4).clone(), persistent=False)

    def forward(self, w_pair, patch):  # (B, 2, w_dim), (B,) int64 in [0, K) -> (B, 3, H, P)
        return self.forward_blocks(w_pair, patch, 0, len(self.cfg.resolutions))[1]

    def forward_blocks(self, w_pair, patch, lo: int, hi: int, x=None, img=None):
        """Blocks [lo, hi) continuing from block lo - 1's (x, img): a stage of a bundle with levels."""
        tables = {r: getattr(self, f"tables{r}") for r in self.cfg.resolutions}
        for r in self.cfg.resolutions[lo:hi]:
            x, img = getattr(self, f"b{r}")(x, img, w_pair, patch, tables, self.fir)
        return x, img

    @property
    def blocks(self) -> list[Block]:
        return [getattr(self, f"b{r}") for r in self.cfg.resolutions]

    def level_image(self, img, block: int):  # patches have no margins
        return img

    def flops(self, blocks: int | None = None) -> int:
        """Multiply-adds x 2 of the convolutions and toRGBs for one patch (of its first `blocks`)."""
        total, P = 0, self.cfg.patch_width
        for r in self.cfg.resolutions[:blocks]:
            b, cols = getattr(self, f"b{r}"), P * r // self.cfg.resolution
            for conv in ([b.conv0] if r > 4 else []) + [b.conv1, b.torgb]:
                c_out, c_in, k, _ = conv.weight.shape
                n_in = (r // 2) * (cols // 2) if conv is getattr(b, "conv0", None) else r * cols
                total += 2 * c_out * c_in * k * k * n_in
        return total


class OfficialGenerator(nn.Module):
    """mapping: z -> w; synthesis: one patch of the interval between two anchors."""

    def __init__(self, cfg: OfficialConfig):
        super().__init__()
        self.cfg = cfg
        self.synthesis = Synthesis(cfg)
        self.mapping = Mapping(cfg)
