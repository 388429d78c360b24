"""The ALIS networks in pure PyTorch: mapping, patch-wise synthesis with SA-AdaIN, discriminator.

Architecture only: no I/O, no loop (see DESIGN.md section 1). One synthesis function serves
training and inference: a training frame is the concatenation of independently rendered patches.
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
    d_channels: dict | None = None  # discriminator channels per resolution (defaults to G's)

    def __post_init__(self):
        h = self.height
        if h < 8 or h & (h - 1):
            raise ValueError(f"height must be a power of two >= 8, got {h}")
        if self.patch_width * 4 % h:
            raise ValueError("patch_width must be a multiple of height / 4")
        object.__setattr__(self, "channels", {int(k): int(v) for k, v in self.channels.items()})
        if self.d_channels is not None:
            object.__setattr__(self, "d_channels", {int(k): int(v) for k, v in self.d_channels.items()})
        missing = [r for r in self.resolutions if r not in self.channels]
        if missing:
            raise ValueError(f"channels lacks resolutions {missing}")

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
    "tiny": ModelConfig("tiny", 32, 32, 32, 16, 4, {4: 32, 8: 32, 16: 24, 32: 16}, fourier_freqs=3),
    # the bundled default: fluid on a 2-core CPU
    "small": ModelConfig("small", 128, 128, 128, 64, 4, {4: 256, 8: 256, 16: 128, 32: 128, 64: 64, 128: 32}),
    # a lighter CPU-trainable model (64 px tall)
    "small64": ModelConfig("small64", 128, 128, 64, 32, 4, {4: 256, 8: 256, 16: 128, 32: 96, 64: 48}),
    # the paper's channel counts (LHQ 256 and 1024)
    "paper256": ModelConfig("paper256", 512, 512, 256, 128, 4, _ch(512, 64, 256)),
    "paper1024": ModelConfig("paper1024", 512, 512, 1024, 512, 4, _ch(512, 32, 1024)),
}


def get_config(name: str) -> ModelConfig:
    try:
        return CONFIGS[name]
    except KeyError:
        raise ValueError(f"unknown config {name!r}; choose one of {', '.join(CONFIGS)}") from None


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


def column_positions(patch: torch.Tensor, width: int, cfg: ModelConfig) -> torch.Tensor:
    """Relative position t in [0, 1) of each column centre of a patch inside its interval.

    patch: (B,) int64 in [0, K). Returns (B, width). Built from tensors so ONNX keeps it dynamic.
    """
    cols = torch.arange(width, device=patch.device, dtype=torch.float32) + 0.5  # (W,)
    return (patch.to(torch.float32)[:, None] * width + cols[None]) / (width * cfg.patches_per_interval)


def coordinate_features(t: torch.Tensor, height: int, n_freqs: int) -> torch.Tensor:
    """Fixed log-Fourier features: x periods divide the interval (integer cycles), y spans the height.

    t: (B, W) -> (B, 4 * n_freqs, height, W).
    """
    freqs = 2.0 ** torch.arange(n_freqs, device=t.device, dtype=torch.float32) * (2 * math.pi)  # (F,)
    ax = t[:, None, :] * freqs[None, :, None]  # (B, F, W)
    fx = torch.cat([torch.sin(ax), torch.cos(ax)], dim=1)[:, :, None, :]  # (B, 2F, 1, W)
    ty = (torch.arange(height, device=t.device, dtype=torch.float32) + 0.5) / height  # (H,)
    ay = ty[None, :] * freqs[:, None] * 0.5  # (F, H): lowest y frequency is half a cycle
    fy = torch.cat([torch.sin(ay), torch.cos(ay)], dim=0)[None, :, :, None]  # (1, 2F, H, 1)
    fx = fx.expand(-1, -1, height, -1)  # (B, 2F, H, W)
    fy = fy.expand(t.shape[0], -1, -1, t.shape[1])  # (B, 2F, H, W)
    return torch.cat([fx, fy], dim=1)


class SAModulatedConv(nn.Module):
    """Convolution modulated by spatially-aligned styles (SA-AdaIN), demodulated per column.

    The style of each column interpolates the affine maps of the interval's two anchors; since it
    varies only along x, modulation and demodulation are (B, C, 1, W) tensors broadcast along y.
    """

    def __init__(self, in_ch: int, out_ch: int, w_dim: int, kernel: int = 3, demodulate: bool = True, act: bool = True):
        super().__init__()
        self.affine = EqualLinear(w_dim, in_ch, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(out_ch, in_ch, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(out_ch))
        self.scale = 1 / math.sqrt(in_ch * kernel * kernel)
        self.padding, self.demodulate, self.act = kernel // 2, demodulate, act
        self.frozen: tuple | None = None

    def freeze(self):
        """Precompute the scaled weight and its demodulation matrix (for export: keeps the graph small)."""
        with torch.no_grad():
            self.frozen = self._weights()

    def _weights(self):
        weight = self.weight * self.scale  # (C_out, C_in, k, k)
        return weight, weight.square().sum(dim=(2, 3))[:, :, None, None]  # (C_out, C_in, 1, 1)

    def styles(self, w_pair, t):
        """w_pair: (B, 2, w_dim), t: (B, W) -> per-column styles (B, C_in, 1, W)."""
        s = self.affine(w_pair)  # (B, 2, C_in)
        s = s[:, 0, :, None] * (1 - t[:, None, :]) + s[:, 1, :, None] * t[:, None, :]  # (B, C_in, W)
        return s[:, :, None, :]

    def forward(self, x, w_pair, t):  # x: (B, C_in, h, W)
        weight, wsq = self.frozen or self._weights()
        s = self.styles(w_pair, t)  # (B, C_in, 1, W)
        x = F.conv2d(x * s, weight, padding=self.padding)  # (B, C_out, h, W); zero padding inside the patch
        if self.demodulate:
            d = torch.rsqrt(F.conv2d(s.square(), wsq) + 1e-8)  # (B, C_out, 1, W)
            x = x * d
        x = x + self.bias[None, :, None, None]
        return F.leaky_relu(x, 0.2) * math.sqrt(2) if self.act else x


class SynthesisBlock(nn.Module):
    """One resolution: (upsample), coordinates, two modulated 3x3 convs, toRGB (skip)."""

    def __init__(self, cfg: ModelConfig, in_ch: int, out_ch: int, res: int, first: bool):
        super().__init__()
        n_coord = 4 * cfg.fourier_freqs
        self.res, self.first, self.n_freqs = res, first, cfg.fourier_freqs
        self.width = cfg.patch_width * res // cfg.height
        if first:
            self.const = nn.Parameter(torch.randn(out_ch, res, 1))  # learned column constant
            self.conv0 = None
            self.conv1 = SAModulatedConv(out_ch + n_coord, out_ch, cfg.w_dim)
        else:
            self.conv0 = SAModulatedConv(in_ch + n_coord, out_ch, cfg.w_dim)
            self.conv1 = SAModulatedConv(out_ch, out_ch, cfg.w_dim)
        self.torgb = SAModulatedConv(out_ch, 3, cfg.w_dim, kernel=1, demodulate=False, act=False)

    @property
    def num_ws(self) -> int:
        return 2 if self.first else 3

    def forward(self, x, rgb, ws, patch, cfg):
        """ws: (B, num_ws, 2, w_dim) styles for this block's layers."""
        t = column_positions(patch, self.width, cfg)  # (B, W)
        coords = coordinate_features(t, self.res, self.n_freqs)
        if self.first:
            x = self.const[None].expand(patch.shape[0], -1, -1, self.width)  # (B, C, h, W)
            x = self.conv1(torch.cat([x, coords], dim=1), ws[:, 0], t)
        else:
            x = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
            x = self.conv0(torch.cat([x, coords], dim=1), ws[:, 0], t)
            x = self.conv1(x, ws[:, 1], t)
        y = self.torgb(x, ws[:, -1], t)  # (B, 3, h, W)
        rgb = y if rgb is None else F.interpolate(rgb, scale_factor=2.0, mode="bilinear", align_corners=False) + y
        return x, rgb


class SynthesisNetwork(nn.Module):
    """Renders patch k of an interval from the interval's two anchors: (w[i], w[i+1], k) -> image."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        res = cfg.resolutions
        self.blocks = nn.ModuleList(
            SynthesisBlock(cfg, cfg.channels[r // 2] if i else 0, cfg.channels[r], r, first=(i == 0))
            for i, r in enumerate(res)
        )
        self.num_ws = sum(b.num_ws for b in self.blocks)

    def forward(self, ws, patch):
        """ws: (B, 2, w_dim) or per-layer (B, num_ws, 2, w_dim); patch: (B,) int64 -> (B, 3, H, P)."""
        if ws.dim() == 3:
            ws = ws[:, None].expand(-1, self.num_ws, -1, -1)
        assert ws.shape[1:] == (self.num_ws, 2, self.cfg.w_dim), ws.shape
        x = rgb = None
        i = 0
        for block in self.blocks:
            x, rgb = block(x, rgb, ws[:, i:i + block.num_ws], patch, self.cfg)
            i += block.num_ws
        return rgb

    def frame(self, ws_l, ws_c, ws_r, offset, n_patches: int = 2):
        """Training frame: `n_patches` adjacent patches starting at patch `offset` of the span
        [anchor -d, anchor +d) given by three anchors (each (B, [num_ws,] w_dim)), concatenated along x.

        offset: (B,) int64 in [0, 2K - n_patches]. Each patch is rendered by `forward`, alone.
        """
        K = self.cfg.patches_per_interval
        anchors = torch.stack([ws_l, ws_c, ws_r], dim=1)  # (B, 3, [L,] w_dim)
        patches = []
        for j in range(n_patches):
            p = offset + j  # (B,) patch index inside the span
            interval = torch.div(p, K, rounding_mode="floor")  # 0 or 1
            pair = torch.stack([anchors[torch.arange(len(p)), interval], anchors[torch.arange(len(p)), interval + 1]], dim=1)
            if pair.dim() == 4:  # (B, 2, L, w_dim) -> (B, L, 2, w_dim)
                pair = pair.transpose(1, 2)
            patches.append(self(pair, p % K))
        return torch.cat(patches, dim=3)  # (B, 3, H, n_patches * P)


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
        x = F.conv2d(x, self.weight * self.scale, self.bias, padding=self.pad)
        return F.leaky_relu(x, 0.2) * math.sqrt(2) if self.act else x


class DBlock(nn.Module):
    """StyleGAN2 residual block: two 3x3 convs and a 2x average-pooled skip."""

    def __init__(self, in_ch, out_ch):
        super().__init__()
        self.conv0, self.conv1 = EqualConv(in_ch, in_ch, 3), EqualConv(in_ch, out_ch, 3)
        self.skip = EqualConv(in_ch, out_ch, 1, act=False, bias=False)

    def forward(self, x):
        y = F.avg_pool2d(self.conv1(self.conv0(x)), 2)
        return (y + self.skip(F.avg_pool2d(x, 2))) / math.sqrt(2)


class Discriminator(nn.Module):
    """Residual discriminator over frames of H x 2P (square for P = H / 2) with minibatch stddev."""

    def __init__(self, cfg: ModelConfig, mbstd_group: int = 4):
        super().__init__()
        ch = cfg.d_channels or cfg.channels
        res = cfg.resolutions[::-1]  # H .. 4
        self.frame_shape = (3, cfg.height, 2 * cfg.patch_width)
        self.fromrgb = EqualConv(3, ch[res[0]], 1)
        self.blocks = nn.Sequential(*(DBlock(ch[r], ch[r // 2]) for r in res[:-1]))
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
