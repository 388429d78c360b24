"""The ALIS networks in pure PyTorch: mapping, patch-wise synthesis with SA-AdaIN, discriminator.

Architecture only: no I/O, no loop (see DESIGN.md section 1). One synthesis function
(`SynthesisNetwork.render`) serves training frames, the exported tiles and panoramas.
"""
from __future__ import annotations

import dataclasses
import math

import torch
import torch.nn.functional as F
from torch import nn


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Hyper-parameters of one ALIS model; saved in checkpoints and bundles."""

    name: str
    z_dim: int
    w_dim: int
    height: int  # H: image height in pixels (a power of two >= 8)
    patch_width: int  # P: width of one patch; the training frame is 2 patches wide
    patches_per_interval: int  # K: the anchor spacing d = P * K
    channels: dict  # resolution (height at that block) -> channels, from 4 to height
    mapping_layers: int = 2
    fourier_freqs: int = 4  # coordinate features per axis: sin and cos of 1, 2, 4, ... cycles
    # x features only (None: fourier_freqs); fewer x than y frequencies were tried against the
    # periodic streaks of small128 (see its comment); growing drops the missing ones (grow.py)
    x_freqs: int | None = None
    d_channels: dict | None = None  # discriminator channels per resolution (defaults to G's)
    format: int = 1  # 1: patches alone, zero-padded (checkpoints before format 2); 2: seamless tiles
    # D's second conv per block after the 2x pooling instead of before it (like StyleGAN2's strided
    # conv): a quarter of that conv's work, same weights; False only for checkpoints made before it
    d_pool_first: bool = False
    # blocks at this resolution and above upsample the RGB skip bicubically (0: bilinear throughout).
    # A model grown by one block sharpens its inherited image this way: the bilinear 2x skip blurs
    # it (small128, 100 kimg: 64 px SWD 30.8 bilinear, 25.8 bicubic, same weights)
    bicubic_skip_from: int = 0

    def __post_init__(self):
        h = self.height
        if h < 8 or h & (h - 1):
            raise ValueError(f"height must be a power of two >= 8, got {h}")
        if self.format not in (1, 2):
            raise ValueError(f"format must be 1 or 2, got {self.format}")
        if self.x_freqs is not None and not 0 <= self.x_freqs <= self.fourier_freqs:
            raise ValueError(f"x_freqs must be in 0..fourier_freqs ({self.fourier_freqs}), got {self.x_freqs}")
        if self.patch_width * 4 % h:
            raise ValueError("patch_width must be a multiple of height / 4")
        object.__setattr__(self, "channels", {int(k): int(v) for k, v in self.channels.items()})
        if self.d_channels is not None:
            object.__setattr__(self, "d_channels", {int(k): int(v) for k, v in self.d_channels.items()})
        missing = [r for r in self.resolutions if r not in self.channels]
        if missing:
            raise ValueError(f"channels lacks resolutions {missing}")

    @property
    def n_x_freqs(self) -> int:
        return self.fourier_freqs if self.x_freqs is None else self.x_freqs

    @property
    def resolutions(self) -> list[int]:
        return [2 ** i for i in range(2, int(math.log2(self.height)) + 1)]

    @property
    def interval_width(self) -> int:
        return self.patch_width * self.patches_per_interval

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in fields})


def _ch(base: int, top: int, height: int) -> dict:
    """Channels halving from `base` (at 4..16 px) towards `top` at full height."""
    out, res = {}, 4
    while res <= height:
        out[res] = max(top, base if res <= 16 else base * 16 // res)
        res *= 2
    return out


CONFIGS = {
    # tests: seconds on CPU
    "tiny": ModelConfig("tiny", 32, 32, 32, 16, 4, {4: 32, 8: 32, 16: 24, 32: 16}, fourier_freqs=3, format=2,
                        d_pool_first=True, bicubic_skip_from=32),  # the top skip like small128's
    # a wider 128 px model (for a GPU run)
    "small": ModelConfig("small", 128, 128, 128, 64, 4, {4: 256, 8: 256, 16: 128, 32: 128, 64: 64, 128: 32}, format=2,
                         d_pool_first=True),
    # a lighter CPU-trainable model (64 px tall)
    "small64": ModelConfig("small64", 128, 128, 64, 32, 4, {4: 256, 8: 256, 16: 128, 32: 96, 64: 48}, format=2,
                           d_pool_first=True),
    # the next default: small64's channels plus a 128 px block, so it can grow from small64. Its
    # runs drew a periodic pattern at the highest x frequency within 4-15 kimg (scripts/
    # diagnose_streaks.py: 8 cycles per interval, 7-10x the neighbouring power); without x
    # frequencies no pattern, but shapeless scenes. Trained with --stationarity (loss.py)
    "small128": ModelConfig("small128", 128, 128, 128, 64, 4, {4: 256, 8: 256, 16: 128, 32: 96, 64: 48, 128: 24},
                            format=2, d_pool_first=True, bicubic_skip_from=128),
    # the paper's channel counts (LHQ 256 and 1024)
    "paper256": ModelConfig("paper256", 512, 512, 256, 128, 4, _ch(512, 64, 256), format=2, d_pool_first=True),
    "paper1024": ModelConfig("paper1024", 512, 512, 1024, 512, 4, _ch(512, 32, 1024), format=2, d_pool_first=True),
}


def get_config(name: str) -> ModelConfig:
    try:
        return CONFIGS[name]
    except KeyError:
        raise ValueError(f"unknown config {name!r}; choose one of {', '.join(CONFIGS)}") from None


def half_height(cfg: ModelConfig) -> ModelConfig:
    """The config of frames half as tall: what a discriminator of shrunk frames is built from."""
    h = cfg.height // 2
    half = lambda ch: {r: c for r, c in ch.items() if r <= h} if ch else None  # noqa: E731
    return dataclasses.replace(cfg, name=f"{cfg.name}-half", height=h, patch_width=cfg.patch_width // 2,
                               channels=half(cfg.channels), d_channels=half(cfg.d_channels))


# --------------------------------------------------------------------------- layers


class EqualLinear(nn.Module):
    """Linear layer with the equalized learning rate of ProGAN/StyleGAN."""

    def __init__(self, in_f: int, out_f: int, bias_init: float = 0.0, lr_mul: float = 1.0, act: bool = False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_f, in_f) / lr_mul)
        self.bias = nn.Parameter(torch.full((out_f,), float(bias_init) / lr_mul))
        self.scale, self.lr_mul, self.act = lr_mul / math.sqrt(in_f), lr_mul, act

    def forward(self, x):
        x = F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)
        return F.leaky_relu(x, 0.2) * math.sqrt(2) if self.act else x


class MappingNetwork(nn.Module):
    """z -> w: second-moment normalisation and an MLP with lr multiplier 0.01."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        dims = [cfg.z_dim] + [cfg.w_dim] * cfg.mapping_layers
        self.layers = nn.ModuleList(EqualLinear(a, b, lr_mul=0.01, act=True) for a, b in zip(dims, dims[1:]))

    def forward(self, z):  # (B, z_dim) -> (B, w_dim)
        x = z * torch.rsqrt(z.square().mean(dim=1, keepdim=True) + 1e-8)
        for layer in self.layers:
            x = layer(x)
        return x


def anchor_weights(u: torch.Tensor, n_anchors: int) -> torch.Tensor:
    """Linear interpolation weights of anchors 0..n-1 (anchor j at u = j) for column positions u.

    u: (B, W) in anchor units -> (B, W, n): the hat function max(0, 1 - |u - j|), so a column at
    relative position t of interval j gets (1 - t) of anchor j and t of anchor j + 1 (SA-AdaIN).
    """
    j = torch.arange(n_anchors, device=u.device, dtype=torch.float32)  # (n,)
    return torch.relu(1 - (u[:, :, None] - j[None, None, :]).abs())


def coordinate_features(u: torch.Tensor, height: int, n_freqs: int, x_freqs: int | None = None) -> torch.Tensor:
    """Fixed log-Fourier features: x periods divide the interval (integer cycles), y spans the height.

    u: (B, W) column positions in anchor units -> (B, 2 * x_freqs + 2 * n_freqs, height, W): sin and
    cos of x_freqs (default n_freqs) x frequencies, then of n_freqs y frequencies. Integer cycles per
    interval make the features depend only on the position inside the interval.
    """
    freqs = 2.0 ** torch.arange(n_freqs, device=u.device, dtype=torch.float32) * (2 * math.pi)  # (F,)
    ax = u[:, None, :] * freqs[None, :n_freqs if x_freqs is None else x_freqs, None]  # (B, Fx, W)
    fx = torch.cat([torch.sin(ax), torch.cos(ax)], dim=1)[:, :, None, :]  # (B, 2F, 1, W)
    ty = (torch.arange(height, device=u.device, dtype=torch.float32) + 0.5) / height  # (H,)
    ay = ty[None, :] * freqs[:, None] * 0.5  # (F, H): lowest y frequency is half a cycle
    fy = torch.cat([torch.sin(ay), torch.cos(ay)], dim=0)[None, :, :, None]  # (1, 2F, H, 1)
    fx = fx.expand(-1, -1, height, -1)  # (B, 2Fx, H, W)
    fy = fy.expand(u.shape[0], -1, -1, u.shape[1])  # (B, 2F, H, W)
    return torch.cat([fx, fy], dim=1)


class SAModulatedConv(nn.Module):
    """Convolution modulated by spatially-aligned styles (SA-AdaIN), demodulated per column.

    Each column's style interpolates the affine maps of its two nearest anchors; since it varies
    only along x, modulation and demodulation are (B, C, 1, W) tensors broadcast along y.
    `valid_x`: no padding along x (format 2), so the output is kernel - 1 columns narrower.
    """

    def __init__(self, in_ch: int, out_ch: int, w_dim: int, kernel: int = 3, demodulate: bool = True,
                 act: bool = True, valid_x: bool = False):
        super().__init__()
        self.affine = EqualLinear(w_dim, in_ch, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(out_ch, in_ch, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(out_ch))
        self.scale = 1 / math.sqrt(in_ch * kernel * kernel)
        self.trim = kernel // 2 if valid_x else 0  # columns lost on each side
        self.padding = (kernel // 2, 0 if valid_x else kernel // 2)
        self.demodulate, self.act = demodulate, act
        self.frozen: tuple | None = None

    def freeze(self):
        """Precompute the scaled weight and its demodulation matrix (for export: keeps the graph small)."""
        with torch.no_grad():
            self.frozen = self._weights()

    def _weights(self):
        weight = self.weight * self.scale  # (C_out, C_in, k, k)
        return weight, weight.square().sum(dim=(2, 3))[:, :, None, None]  # (C_out, C_in, 1, 1)

    def styles(self, w, hat):
        """w: (B, N, w_dim) anchors, hat: (B, W, N) their weights per column -> (B, C_in, 1, W)."""
        s = self.affine(w)  # (B, N, C_in)
        return torch.bmm(hat, s).transpose(1, 2)[:, :, None, :]  # (B, C_in, 1, W)

    def forward(self, x, w, hat):  # x: (B, C_in, h, W) -> (B, C_out, h, W - 2 trim)
        weight, wsq = self.frozen or self._weights()
        s = self.styles(w, hat)  # (B, C_in, 1, W)
        x = F.conv2d(x * s, weight, padding=self.padding)
        gain = math.sqrt(2) if self.act else 1.0  # leaky ReLU is positively homogeneous: gain goes first
        bias = self.bias[None, :, None, None] * gain
        if self.demodulate:
            sc = s[..., self.trim:s.shape[-1] - self.trim] if self.trim else s  # the kernel's centre column
            x = torch.addcmul(bias, x, torch.rsqrt(F.conv2d(sc.square(), wsq) + 1e-8) * gain)  # (B, C_out, 1, W')
        else:
            x = x * gain + bias if self.act else x + bias
        # fewer full-size tensors per layer: the step is bound by memory traffic outside the convs
        return F.leaky_relu(x, 0.2, inplace=True) if self.act else x


class TileWidthError(ValueError):
    """A tile width the model cannot render."""


def _trim(t: torch.Tensor, n: int, dim: int = -1) -> torch.Tensor:
    """Drop n columns from each end of `dim`."""
    return t.narrow(dim, n, t.shape[dim] - 2 * n) if n else t


class SynthesisBlock(nn.Module):
    """One resolution: (upsample and crop), coordinates, two modulated 3x3 convs, toRGB (skip).

    Format 2 works on the tile plus `margin` columns each side of its output (at this block's
    resolution), and eats `convs` more on each side of its input.
    """

    def __init__(self, cfg: ModelConfig, in_ch: int, out_ch: int, res: int, first: bool):
        super().__init__()
        n_coord, valid = 2 * (cfg.n_x_freqs + cfg.fourier_freqs), cfg.format == 2
        self.res, self.first, self.n_freqs, self.x_freqs = res, first, cfg.fourier_freqs, cfg.n_x_freqs
        self.scale = cfg.height // res  # output pixels per column of this block
        self.margin = 0  # output columns beyond the tile on each side (set by the network)
        if first:
            self.const = nn.Parameter(torch.randn(out_ch, res, 1))  # learned column constant
            self.conv0 = None
            self.conv1 = SAModulatedConv(out_ch + n_coord, out_ch, cfg.w_dim, valid_x=valid)
        else:
            self.conv0 = SAModulatedConv(in_ch + n_coord, out_ch, cfg.w_dim, valid_x=valid)
            self.conv1 = SAModulatedConv(out_ch, out_ch, cfg.w_dim, valid_x=valid)
        self.torgb = SAModulatedConv(out_ch, 3, cfg.w_dim, kernel=1, demodulate=False, act=False)
        self.convs = (1 if first else 2) if valid else 0  # input columns eaten on each side
        self.skip_mode = "bicubic" if cfg.bicubic_skip_from and res >= cfg.bicubic_skip_from else "bilinear"
        # output columns at each end of a 2x upsampling that read past its input (the crop's edge)
        self.skip_edge = 3 if self.skip_mode == "bicubic" else 1

    @property
    def num_ws(self) -> int:
        return 2 if self.first else 3

    def forward(self, x, rgb, ws, u):
        """ws: (B, N, num_ws, w_dim); u: (B, W_in) anchor-unit positions of the input columns;
        x, rgb: the previous block's outputs (wider than needed: cropped after upsampling)."""
        W = u.shape[1]
        hat = anchor_weights(u, ws.shape[1])  # (B, W_in, N)
        coords = coordinate_features(u, self.res, self.n_freqs, self.x_freqs)  # (B, 2Fx + 2F, h, W_in)
        t = 1 if self.convs else 0
        if self.first:
            x = self.const[None].expand(u.shape[0], -1, -1, W)  # (B, C, h, W_in)
            x = self.conv1(torch.cat([x, coords], dim=1), ws[:, :, 0], hat)
        else:
            x = _trim(F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False), (x.shape[-1] * 2 - W) // 2)
            x = self.conv0(torch.cat([x, coords], dim=1), ws[:, :, 0], hat)
            x = self.conv1(x, ws[:, :, 1], _trim(hat, t, 1))
        y = self.torgb(x, ws[:, :, -1], _trim(hat, self.convs, 1))  # (B, 3, h, W_out)
        if rgb is not None:
            up = F.interpolate(rgb, scale_factor=2.0, mode=self.skip_mode, align_corners=False)
            y = y + _trim(up, (up.shape[-1] - y.shape[-1]) // 2)
        return x, y


class SynthesisNetwork(nn.Module):
    """Renders any strip of the panorama of a row of anchors: (anchors, first column, width) -> image.

    Format 2 (DESIGN 1): no padding along x, so a column depends only on the per-column inputs
    within `margin_px` of it; any tiling is exact. Format 1: each patch of one interval alone,
    zero-padded. `forward` is the exported graph (a tile of the middle interval of an anchor
    window); `render` serves it, training frames and panoramas alike.
    """

    def __init__(self, cfg: ModelConfig, tile_width: int | None = None):
        super().__init__()
        self.cfg = cfg
        res = cfg.resolutions
        self.blocks = nn.ModuleList(
            SynthesisBlock(cfg, cfg.channels[r // 2] if i else 0, cfg.channels[r], r, first=(i == 0))
            for i, r in enumerate(res)
        )
        self.num_ws = sum(b.num_ws for b in self.blocks)
        margin = 0  # output margin of the last block; each earlier block must cover what the next eats
        for block in reversed(self.blocks):
            block.margin = margin
            # the previous block covers this one's input columns (features: bilinear, edge 1) and the
            # RGB skip's, each plus the edge columns of their 2x upsampling
            need = margin + max(block.convs + 1, block.skip_edge)
            margin = -(-need // 2) if cfg.format == 2 else 0
        self.margin_px = max((b.margin + b.convs) * b.scale for b in self.blocks)
        d = cfg.interval_width
        self.context = -(-self.margin_px // d)  # intervals each side that the margins reach into
        self.anchor_window = 2 + 2 * self.context  # A
        self.align = cfg.height // 4  # a tile's first column is a multiple of this (one column at 4 px)
        self.set_tile_width(tile_width or cfg.patch_width)

    def set_tile_width(self, tile_width: int) -> None:
        """The width T of `forward`'s tiles: format 1 only the patch width; format 2 any multiple
        of `align` that divides the interval."""
        cfg, T = self.cfg, int(tile_width)
        ok = T == cfg.patch_width if cfg.format == 1 else (T > 0 and T % self.align == 0 and cfg.interval_width % T == 0)
        if not ok:
            raise TileWidthError(f"tile width {T} is not valid for {cfg.name}: it must be a multiple of "
                             f"{self.align} that divides the anchor spacing {cfg.interval_width}"
                             if cfg.format == 2 else f"format-1 models render patches of {cfg.patch_width} px")
        self.tile_width = T

    @property
    def tiles_per_interval(self) -> int:
        return self.cfg.interval_width // self.tile_width

    def flops(self, width: int, blocks: int | None = None) -> int:
        """Multiply-adds x 2 of the convolutions (and toRGB) for one call of `width` output columns,
        margins included: the work of one tile (format 1: one patch); of its first `blocks` only."""
        total = 0
        for b in self.blocks[:blocks]:
            w_in = width // b.scale + 2 * (b.margin + b.convs)  # columns of the first conv's input
            convs = ([b.conv0] if b.conv0 is not None else []) + [b.conv1, b.torgb]
            for conv in convs:
                c_out, c_in, k, _ = conv.weight.shape
                w_in -= 2 * conv.trim
                total += 2 * c_out * c_in * k * k * b.res * w_in
        return total

    def forward(self, ws, tile):
        """ws: (B, A, [num_ws,] w_dim) anchors i-A/2+1 .. i+A/2; tile: (B,) int64 in [0, d/T) -> (B, 3, H, T)."""
        start = tile * self.tile_width + self.context * self.cfg.interval_width  # (B,)
        return self.render(ws, start, self.tile_width)

    def forward_blocks(self, ws, tile, lo: int, hi: int, x=None, rgb=None):
        """`forward`'s blocks [lo, hi) (a stage of a bundle with levels) -> (x, rgb) with margins."""
        start = tile * self.tile_width + self.context * self.cfg.interval_width  # (B,)
        return self.run_blocks(ws, start, self.tile_width, lo, hi, x, rgb)

    def render(self, ws, start, width: int):
        """Columns [start, start + width) of the panorama whose anchor j sits at column j * d.

        ws: (B, N, [num_ws,] w_dim); start: (B,) int64, a multiple of `align`, with the columns
        and their margins inside [0, (N - 1) d) (format 1: N = 2, one patch). -> (B, 3, H, width).
        """
        return self.run_blocks(ws, start, width, 0, len(self.blocks))[1]

    def run_blocks(self, ws, start, width: int, lo: int, hi: int, x=None, rgb=None):
        """Blocks [lo, hi) of `render`, continuing from block lo - 1's (x, rgb): the stages of a
        bundle with levels of detail (trainer/levels.py). -> (x, rgb) of block hi - 1, with its
        `margin` columns each side (`level_image` crops them)."""
        if ws.dim() == 3:
            ws = ws[:, :, None].expand(-1, -1, self.num_ws, -1)
        B, N = ws.shape[:2]
        assert ws.shape[2:] == (self.num_ws, self.cfg.w_dim), ws.shape
        assert self.cfg.format == 2 or (N == 2 and width == self.cfg.patch_width), (N, width)
        i = sum(b.num_ws for b in self.blocks[:lo])
        for block in self.blocks[lo:hi]:
            f = block.scale
            c0 = torch.div(start, f, rounding_mode="floor") - (block.margin + block.convs)  # (B,)
            n = width // f + 2 * (block.margin + block.convs)
            cols = torch.arange(n, device=ws.device, dtype=torch.float32) + 0.5  # (W_in,)
            u = (c0.to(torch.float32)[:, None] + cols[None]) * (f / self.cfg.interval_width)  # (B, W_in)
            x, rgb = block(x, rgb, ws[:, :, i:i + block.num_ws], u)
            i += block.num_ws
        return x, rgb

    def level_image(self, rgb, block: int):
        """Block `block`'s RGB without its margin columns: the image at 1/scale of the full size."""
        return _trim(rgb, self.blocks[block].margin)

    # ------------------------------------------------------------------ training frames
    @property
    def train_anchors(self) -> int:
        """Anchors per training frame: l, c, r (at -d, 0, +d) and the context the margins need."""
        return 3 + 2 * self.context

    def frame_starts(self, batch: int, shift: float, device=None, generator=None) -> torch.Tensor:
        """(B,) int64 first columns of random training frames (2P wide) for `frame`: centred on
        anchor c, moved by up to `shift` (0..1) of the whole span, on the patch grid in format 1
        and on the `align` grid in format 2 (what the app's tiles use)."""
        cfg = self.cfg
        unit = cfg.patch_width if cfg.format == 1 else self.align
        s = int(round(shift * (cfg.interval_width - cfg.patch_width) / unit))
        k = torch.randint(-s, s + 1, (batch,), generator=generator).to(device)
        return (self.context * cfg.interval_width + cfg.interval_width - cfg.patch_width) + k * unit

    def frame(self, ws, start):
        """Training frames: ws (B, train_anchors, [num_ws,] w_dim), start (B,) from `frame_starts`
        -> (B, 3, H, 2P). Format 2 renders each in one piece, exactly as the app's tiles would;
        format 1 concatenates two independently rendered patches."""
        P, d = self.cfg.patch_width, self.cfg.interval_width
        if self.cfg.format == 2:
            return self.render(ws, start, 2 * P)
        rows = torch.arange(len(start), device=start.device)
        parts = []
        for j in range(2):
            p = torch.div(start, P, rounding_mode="floor") + j  # (B,) patch inside the span
            interval = torch.div(p * P, d, rounding_mode="floor")
            pair = torch.stack([ws[rows, interval], ws[rows, interval + 1]], dim=1)  # (B, 2, [L,] w_dim)
            parts.append(self.render(pair, p * P - interval * d, P))
        return torch.cat(parts, dim=3)  # (B, 3, H, 2P)


class Generator(nn.Module):
    """Mapping + synthesis, with the running average of w used for truncation."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.mapping = MappingNetwork(cfg)
        self.synthesis = SynthesisNetwork(cfg)
        self.register_buffer("w_avg", torch.zeros(cfg.w_dim))

    def map(self, z, psi: float = 1.0, update_w_avg: bool = False, beta: float = 0.995):
        w = self.mapping(z)  # (B, w_dim)
        if update_w_avg:
            self.w_avg.copy_(w.detach().mean(0).lerp(self.w_avg, beta))
        return self.w_avg.lerp(w, psi) if psi != 1.0 else w


# --------------------------------------------------------------------------- discriminator


class EqualConv(nn.Module):
    def __init__(self, in_ch, out_ch, kernel, act=True, bias=True):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_ch, in_ch, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(out_ch)) if bias else None
        self.scale, self.act, self.pad = 1 / math.sqrt(in_ch * kernel * kernel), act, kernel // 2

    def forward(self, x):
        gain = math.sqrt(2) if self.act else 1.0  # folded into the conv (leaky ReLU commutes with it)
        bias = self.bias * gain if self.bias is not None else None
        x = F.conv2d(x, self.weight * (self.scale * gain), bias, padding=self.pad)
        return F.leaky_relu(x, 0.2, inplace=True) if self.act else x


class DBlock(nn.Module):
    """StyleGAN2 residual block: two 3x3 convs and a 2x average-pooled skip; `pool_first` runs the
    second conv at the lower resolution (StyleGAN2 strides it), a quarter of its cost."""

    def __init__(self, in_ch, out_ch, pool_first: bool = False):
        super().__init__()
        self.conv0, self.conv1 = EqualConv(in_ch, in_ch, 3), EqualConv(in_ch, out_ch, 3)
        self.skip = EqualConv(in_ch, out_ch, 1, act=False, bias=False)
        self.pool_first = pool_first

    def forward(self, x):
        y = self.conv0(x)
        y = self.conv1(F.avg_pool2d(y, 2)) if self.pool_first else F.avg_pool2d(self.conv1(y), 2)
        return (y + self.skip(F.avg_pool2d(x, 2))) / math.sqrt(2)


class Discriminator(nn.Module):
    """Residual discriminator over frames of H x 2P (square for P = H / 2) with minibatch stddev."""

    def __init__(self, cfg: ModelConfig, mbstd_group: int = 4):
        super().__init__()
        ch = cfg.d_channels or cfg.channels
        res = cfg.resolutions[::-1]  # H .. 4
        self.frame_shape = (3, cfg.height, 2 * cfg.patch_width)
        self.fromrgb = EqualConv(3, ch[res[0]], 1)
        self.blocks = nn.Sequential(*(DBlock(ch[r], ch[r // 2], cfg.d_pool_first) for r in res[:-1]))
        self.mbstd_group = mbstd_group
        c4 = ch[4]
        self.conv = EqualConv(c4 + 1, c4, 3)
        final_w = 4 * 2 * cfg.patch_width // cfg.height
        self.fc = EqualLinear(c4 * 4 * final_w, c4, act=True)
        self.out = EqualLinear(c4, 1)

    def forward(self, img):  # (B, 3, H, 2P) -> (B,)
        assert img.shape[1:] == self.frame_shape, img.shape
        x = self.blocks(self.fromrgb(img))  # (B, C4, 4, 4 * 2P / H)
        x = self._mbstd(x)
        x = self.conv(x).flatten(1)
        return self.out(self.fc(x)).squeeze(1)

    def _mbstd(self, x):
        b, c, h, w = x.shape
        g = min(self.mbstd_group, b)
        while b % g:
            g -= 1
        y = x.reshape(g, -1, c, h, w)
        y = (y - y.mean(0)).square().mean(0).add(1e-8).sqrt().mean(dim=(1, 2, 3))  # (B / g,)
        y = y.reshape(-1, 1, 1, 1).repeat(g, 1, h, w)
        return torch.cat([x, y], dim=1)
