"""The ALIS loss (DESIGN.md section 1): one training step split into explicit G and D phases.

A step samples three anchors (w_l, w_c, w_r at -d, 0, +d) per frame, plus the neighbours the
format-2 margins reach into, with optional style mixing, renders a frame of 2 patches at a random
offset whose range ramps from 0 to the whole span over `shift_ramp_kimg`, and trains with the
non-saturating logistic loss plus a lazy R1 penalty on reals. The same fake frames serve the D phase
(detached) and then the G phase, so a step costs one generator forward. An optional lazy
stationarity penalty (`repeated_share` of the frames and of their `column_detail`) keeps G from
drawing the same thing at the same place of every anchor interval. An optional second
discriminator (`d_half`) judges the same frames shrunk to half their height, so the coarse scene a
grown model inherited keeps its statistics while G learns the new detail.
"""
from __future__ import annotations

import contextlib
import dataclasses

import torch
import torch.nn.functional as F

from alis_studio.trainer.model import Discriminator, Generator


@dataclasses.dataclass
class LossOptions:
    r1_gamma: float = 1.0
    r1_interval: int = 16  # lazy regularisation: R1 every this many steps, scaled up by it
    mixing_prob: float = 0.9  # style mixing
    shift_ramp_kimg: float = 100.0  # frame offset range: 0 -> the whole span over this many kimg
    augment: str = ""  # DiffAugment policy: comma list of color, translation, cutout ("" = off)
    stationarity: float = 0.0  # weight of `stationarity_penalty` (0 = off)
    stationarity_interval: int = 4  # lazy: every this many steps, scaled up by it
    d_half: float = 0.0  # weight of the half-size discriminator in G's loss (0 = off)

    @classmethod
    def of(cls, opts) -> LossOptions:
        """The loss's share of resolved TrainOptions: every field of the same name (augment as its
        DiffAugment policy); the rest (stationarity_interval) keep their defaults here."""
        from alis_studio.trainer.options import augment_policy

        shared = {f.name: getattr(opts, f.name) for f in dataclasses.fields(cls) if hasattr(opts, f.name)}
        return cls(**{**shared, "augment": augment_policy(opts.augment)})


# --------------------------------------------------------------------------- DiffAugment


def diff_augment(x: torch.Tensor, policy: str) -> torch.Tensor:
    """Differentiable augmentation (Zhao et al. 2020) of (B, 3, H, W) images in [-1, 1]."""
    for p in filter(None, (s.strip() for s in policy.split(","))):
        x = AUGMENTS[p](x)
    return x


def _color(x):
    b = x.shape[0]
    x = x + (torch.rand(b, 1, 1, 1, device=x.device) - 0.5)  # brightness
    m = x.mean(dim=1, keepdim=True)
    x = (x - m) * (torch.rand(b, 1, 1, 1, device=x.device) * 2) + m  # saturation
    m = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - m) * (torch.rand(b, 1, 1, 1, device=x.device) + 0.5) + m  # contrast


def _translation(x, ratio: float = 0.125):
    b, _, h, w = x.shape
    sy, sx = int(h * ratio + 0.5), int(w * ratio + 0.5)
    ty = torch.randint(-sy, sy + 1, (b, 1, 1), device=x.device)
    tx = torch.randint(-sx, sx + 1, (b, 1, 1), device=x.device)
    gy = (torch.arange(h, device=x.device)[None, :, None] + ty).clamp(-1, h)  # (B, H, 1)
    gx = (torch.arange(w, device=x.device)[None, None, :] + tx).clamp(-1, w)  # (B, 1, W)
    pad = F.pad(x, [1, 1, 1, 1])  # zeros outside
    bi = torch.arange(b, device=x.device)[:, None, None]
    return pad.permute(0, 2, 3, 1)[bi, gy + 1, gx + 1].permute(0, 3, 1, 2)


def _cutout(x, ratio: float = 0.5):
    b, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    oy = torch.randint(0, h + (1 - ch % 2), (b, 1, 1), device=x.device) - ch // 2
    ox = torch.randint(0, w + (1 - cw % 2), (b, 1, 1), device=x.device) - cw // 2
    ys, xs = torch.arange(h, device=x.device)[None, :, None], torch.arange(w, device=x.device)[None, None, :]
    inside = ((ys - oy).abs() <= ch // 2) & ((xs - ox).abs() <= cw // 2)  # (B, H, W)
    return x * (~inside)[:, None].to(x.dtype)


AUGMENTS = {"color": _color, "translation": _translation, "cutout": _cutout}


def _lanczos_half_taps() -> torch.Tensor:
    """The 12 weights of a Lanczos-3 2x reduction (PIL's filter stretched by 2), for the input
    pixels 5 before to 6 after each output pixel's left source pixel."""
    x = (torch.arange(-5, 7, dtype=torch.float64) - 0.5) / 2  # distance from the output centre, output px
    w = torch.sinc(x) * torch.sinc(x / 3)
    return (w / w.sum()).float()


_HALF_TAPS = _lanczos_half_taps()


def half_size(x: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) -> (B, 3, H/2, W/2) with Lanczos-3, differentiable: the filter that made the data
    set's images and that `alis-studio eval --height` uses, so the half-size D sees the frames as a
    viewer shown them at half size does (a [1 3 3 1] tent, tried first, measured the same)."""
    b, c, h, w = x.shape
    k = _HALF_TAPS.to(x.device)
    y = F.pad(x.float().reshape(b * c, 1, h, w), (5, 5, 5, 5), mode="reflect")
    y = F.conv2d(y, k.view(1, 1, 1, 12), stride=(1, 2))
    return F.conv2d(y, k.view(1, 1, 12, 1), stride=(2, 1)).reshape(b, c, h // 2, w // 2)


# --------------------------------------------------------------------------- stationarity


def stationarity_penalty(frames: torch.Tensor) -> torch.Tensor:
    """How much the mean frame over latents varies along x, for frames (B, 3, H, W) that all start
    at the same place of the anchor interval: an unbiased estimate of mean_{c,y} Var_x E_w[G].

    A panorama's distribution must not depend on x (real landscapes do not), but the coordinate
    features repeat every interval, and small generators learn a pattern at the same place of
    every interval (streaks, arches). Var_x of the batch mean alone would also count each frame's
    own content (Var_x(frame) / B: a pull towards blur); only the cross terms i != j are kept, so
    its expectation is exactly the squared size of the systematic pattern.
    """
    b = frames.shape[0]
    if b < 2:
        raise ValueError("the stationarity penalty needs at least 2 frames")
    f = frames.float()
    f = f - f.mean(dim=-1, keepdim=True)  # (B, 3, H, W) deviations along x
    total = f.sum(dim=0).square().mean()  # sum over i, j of the x-covariances
    own = f.square().mean(dim=(1, 2, 3)).sum()  # the i == j terms
    return (total - own) / (b * (b - 1))


def repeated_share(x: torch.Tensor) -> torch.Tensor:
    """`stationarity_penalty` as a share of the items' own variance along x (held constant for the
    gradient: the way down is to repeat less, not to add contrast); 0 = nothing repeats, 1 = all
    the same. Scale-free, so different signals add up."""
    own = (x.float() - x.float().mean(dim=-1, keepdim=True)).square().mean()
    return stationarity_penalty(x) / own.detach().clamp_min(1e-12)


def column_detail(frames: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) -> (B, 1, 1, W - 1): each column's mean |difference| to the previous one. Bumps
    on a ridge line at the same x of every interval repeat here even when the ridge's height varies
    from scene to scene and pixel for pixel the frames share little."""
    f = frames.float()
    return (f[..., 1:] - f[..., :-1]).abs().mean(dim=(1, 2))[:, None, None, :]


# --------------------------------------------------------------------------- the loss


class ALISLoss:
    """Owns the phases of one step; the loop owns optimisers, EMA and the schedule.

    `autocast` is a context factory (mixed precision on CUDA, a no-op elsewhere). `D_half`, when
    given, is a discriminator of frames half as tall (`half_size`), weighted by `opts.d_half`.
    """

    def __init__(self, G: Generator, D: Discriminator, opts: LossOptions, autocast=contextlib.nullcontext,
                 D_half: Discriminator | None = None):
        self.G, self.D, self.opts, self.autocast, self.D_half = G, D, opts, autocast, D_half
        self.cfg = G.cfg

    def shift(self, nimg: int) -> float:
        """How far (0..1 of the span) the frame may move away from the centred position by now."""
        return 1.0 if self.opts.shift_ramp_kimg <= 0 else min(1.0, nimg / (self.opts.shift_ramp_kimg * 1000))

    def sample_ws(self, batch: int, device, update_w_avg: bool = True) -> torch.Tensor:
        """The anchors of each frame, (B, N, num_ws, w_dim), style-mixed with `mixing_prob`."""
        cfg, L, N = self.cfg, self.G.synthesis.num_ws, self.G.synthesis.train_anchors
        z = torch.randn(N * batch, cfg.z_dim, device=device)
        w = self.G.map(z, update_w_avg=update_w_avg)[:, None].repeat(1, L, 1)  # (NB, L, w_dim)
        if self.opts.mixing_prob > 0:
            w2 = self.G.map(torch.randn_like(z))[:, None]  # (NB, 1, w_dim)
            cut = torch.randint(1, L, (batch,), device=device)
            cut = torch.where(torch.rand(batch, device=device) < self.opts.mixing_prob, cut, L).repeat(N)
            mix = torch.arange(L, device=device)[None, :] >= cut[:, None]  # (NB, L)
            w = torch.where(mix[:, :, None], w2, w)
        return w.reshape(N, batch, L, cfg.w_dim).transpose(0, 1)  # (B, N, L, w_dim)

    def generate(self, batch: int, nimg: int, device) -> torch.Tensor:
        """Fake frames (B, 3, H, 2P) at random offsets, with grad through G."""
        return self._frames(self.sample_ws(batch, device), self.G.synthesis.frame_starts(batch, self.shift(nimg), device))

    def aligned_frames(self, batch: int, device) -> torch.Tensor:
        """Fake frames (B, 3, H, 2P) of independent latents that all start at one random offset."""
        ws = self.sample_ws(batch, device, update_w_avg=False)
        return self._frames(ws, self.G.synthesis.frame_starts(1, 1.0, device).expand(batch))

    def _frames(self, ws: torch.Tensor, start: torch.Tensor) -> torch.Tensor:
        with self.autocast():
            return self.G.synthesis.frame(ws, start)

    def run_D(self, img: torch.Tensor, D: Discriminator | None = None) -> torch.Tensor:
        if self.opts.augment:
            img = diff_augment(img, self.opts.augment)
        with self.autocast():
            return (D or self.D)(img).float()  # (B,)

    def _critics(self):
        """(suffix of its loss terms, discriminator, its input from a full frame, R1 weight, weight in
        G's loss): the half-size one's R1 follows the same 10 * (H / 256)^2 rule at its height."""
        yield "", self.D, lambda x: x, self.opts.r1_gamma, 1.0
        if self.D_half is not None:
            yield "_half", self.D_half, half_size, self.opts.r1_gamma / 4, self.opts.d_half

    # ------------------------------------------------------------------ phases
    def d_phase(self, real: torch.Tensor, fake: torch.Tensor, step: int, scale=None) -> dict:
        """D main loss on detached fakes and reals, plus lazy R1 on reals every r1_interval steps
        (and the same for the half-size D). Calls backward (through `scale`, e.g. an fp16
        GradScaler's); returns the scalar terms."""
        o, total, out = self.opts, 0.0, {}
        for tag, D, view, gamma, _ in self._critics():
            do_r1 = gamma > 0 and o.r1_interval > 0 and step % o.r1_interval == 0
            logits_fake = self.run_D(view(fake.detach()), D)
            x = view(real.detach()).requires_grad_(do_r1)
            logits_real = self.run_D(x, D)
            loss = F.softplus(logits_fake).mean() + F.softplus(-logits_real).mean()
            out.update({f"D{tag}": loss.detach(), f"D{tag}_real": logits_real.detach().mean(),
                        f"D{tag}_fake": logits_fake.detach().mean()})
            if do_r1:
                (grad,) = torch.autograd.grad(logits_real.sum(), x, create_graph=True)
                r1 = grad.float().square().sum(dim=(1, 2, 3)).mean()  # (,)
                loss = loss + r1 * (gamma / 2 * o.r1_interval)
                out[f"R1{tag}"] = r1.detach()
            total = total + loss
        (scale(total) if scale else total).backward()
        return out

    def g_phase(self, fake: torch.Tensor, scale=None) -> dict:
        """Non-saturating G loss on the frames of `generate` (the Ds frozen). Calls backward."""
        critics = list(self._critics())
        for _, D, *_ in critics:
            D.requires_grad_(False)
        try:
            out, loss = {}, 0.0
            for tag, D, view, _, weight in critics:
                term = F.softplus(-self.run_D(view(fake), D)).mean()
                out[f"G{tag}"] = term.detach()
                loss = loss + term * weight
            (scale(loss) if scale else loss).backward()
        finally:
            for _, D, *_ in critics:
                D.requires_grad_(True)
        return out

    def stationarity_phase(self, batch: int, step: int, device, scale=None) -> dict:
        """Every `stationarity_interval` steps, on a batch of aligned frames: the share of their
        pixels and the share of their column detail that repeat, scaled by weight x interval.
        Calls backward (adds to G's gradients)."""
        o = self.opts
        if o.stationarity <= 0 or o.stationarity_interval <= 0 or step % o.stationarity_interval:
            return {}
        frames = self.aligned_frames(max(batch, 2), device)
        pixels, detail = repeated_share(frames), repeated_share(column_detail(frames))
        loss = (pixels + detail) * (o.stationarity * o.stationarity_interval)
        (scale(loss) if scale else loss).backward()
        return {"stat": pixels.detach(), "stat_detail": detail.detach()}
