"""The loss phases: anchors, style mixing, the shift ramp, DiffAugment, R1."""
from __future__ import annotations

import pytest
import torch

from alis_studio.trainer.loss import ALISLoss, LossOptions, diff_augment
from alis_studio.trainer.model import CONFIGS, Discriminator, Generator


@pytest.fixture(scope="module")
def nets():
    torch.manual_seed(0)
    cfg = CONFIGS["tiny"]
    return Generator(cfg), Discriminator(cfg)


def test_shift_ramp(nets):
    """Frames start centred on the middle anchor and spread over the whole span as the ramp runs."""
    G = nets[0]
    S, d, P = G.synthesis, G.cfg.interval_width, G.cfg.patch_width
    loss = ALISLoss(*nets, LossOptions(shift_ramp_kimg=1.0))
    centred = S.context * d + d - P  # relative to the first of train_anchors
    starts = lambda nimg: S.frame_starts(400, loss.shift(nimg), "cpu")
    assert set(starts(0).tolist()) == {centred}
    half = starts(500)
    assert half.min() >= centred - (d - P) // 2 and half.max() <= centred + (d - P) // 2
    full = starts(10_000)
    assert full.min() == S.context * d and full.max() == S.context * d + 2 * d - 2 * P  # the whole span
    assert (full % S.align == 0).all()


def test_style_mixing_shapes(nets):
    G = nets[0]
    L, N = G.synthesis.num_ws, G.synthesis.train_anchors
    ws = ALISLoss(G, nets[1], LossOptions(mixing_prob=1.0)).sample_ws(5, "cpu", update_w_avg=False)
    assert ws.shape == (5, N, L, G.cfg.w_dim)
    assert not torch.equal(ws[:, :, 0], ws[:, :, -1])  # mixed: the last layer differs
    plain = ALISLoss(G, nets[1], LossOptions(mixing_prob=0.0)).sample_ws(5, "cpu", update_w_avg=False)
    assert torch.equal(plain[:, :, 0], plain[:, :, -1])


def test_phases_give_gradients_to_the_right_nets(nets):
    G, D = nets
    loss = ALISLoss(G, D, LossOptions(r1_gamma=1.0, r1_interval=4))
    real = torch.rand(4, 3, 32, 32) * 2 - 1
    fake = loss.generate(4, 0, "cpu")
    assert fake.shape == (4, 3, 32, 32)
    G.zero_grad(set_to_none=True)
    D.zero_grad(set_to_none=True)
    terms = loss.d_phase(real, fake, step=0)
    assert "R1" in terms and terms["R1"] > 0
    assert all(p.grad is None for p in G.parameters()) and any(p.grad is not None for p in D.parameters())
    D.zero_grad(set_to_none=True)
    loss.g_phase(fake)
    assert all(p.grad is None for p in D.parameters()) and G.synthesis.blocks[0].const.grad is not None
    assert "R1" not in loss.d_phase(real, loss.generate(4, 0, "cpu"), step=1)  # lazy: every 4th step


def test_diff_augment_is_differentiable_and_keeps_shape():
    x = torch.rand(3, 3, 16, 32, requires_grad=True)
    y = diff_augment(x, "color,translation,cutout")
    assert y.shape == x.shape
    y.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert torch.equal(diff_augment(x, ""), x)


def test_stationarity_penalty_counts_only_what_repeats():
    """Unbiased: frames that share a pattern score its Var_x; independent frames score 0 on
    average (their own content is not penalised), whatever their contrast."""
    from alis_studio.trainer.loss import stationarity_penalty

    torch.manual_seed(0)
    x = torch.linspace(0, 8 * torch.pi, 64)
    pattern = (0.3 * torch.sin(x))[None, None, None, :].expand(1, 3, 16, 64)  # Var_x = 0.045
    noise = lambda: torch.randn(16, 3, 16, 64)
    assert stationarity_penalty(pattern.expand(16, -1, -1, -1)).item() == pytest.approx(0.045, rel=0.02)
    independent = torch.stack([stationarity_penalty(noise()) for _ in range(200)])
    assert abs(independent.mean().item()) < 3 * independent.std().item() / 200 ** 0.5
    assert abs(independent.mean().item()) < 0.005  # Var_x of each frame is ~1: not counted
    both = torch.stack([stationarity_penalty(pattern + noise()) for _ in range(200)])
    assert both.mean().item() == pytest.approx(0.045, abs=0.005)
    with pytest.raises(ValueError):
        stationarity_penalty(torch.zeros(1, 3, 16, 64))


def test_repeated_share_sees_bumps_at_fixed_x_on_a_ridge_at_any_height():
    """Bumps drawn at the same x in every frame, on a ridge whose height varies from frame to frame:
    pixel for pixel the frames share little, but their column detail (mean |x-difference| per
    column) repeats, and `repeated_share` of it says so; independent frames score ~0 on both."""
    from alis_studio.trainer.loss import column_detail, repeated_share

    torch.manual_seed(0)
    B, H, W = 32, 32, 64
    x = torch.arange(W, dtype=torch.float32)
    bumps = 3 * (1 + torch.cos(2 * torch.pi * x / 8))  # 8 px period, fixed phase
    y = torch.arange(H, dtype=torch.float32)[:, None]
    frames = []
    for _ in range(B):
        ridge = torch.randint(8, 24, ()).float() + torch.randn(()) * 2 - bumps  # (W,)
        frames.append(torch.tanh((y - ridge[None, :]) * 2).expand(3, H, W))  # sky -1 above, ground +1 below
    frames = torch.stack(frames) + 0.05 * torch.randn(B, 3, H, W)
    assert column_detail(frames).shape == (B, 1, 1, W - 1)
    pixels, detail = repeated_share(frames).item(), repeated_share(column_detail(frames)).item()
    assert detail > 0.5 and detail > 2 * pixels, (pixels, detail)
    noise = torch.randn(B, 3, H, W)
    assert abs(repeated_share(column_detail(noise)).item()) < 0.1 and abs(repeated_share(noise).item()) < 0.1


def test_stationarity_phase_removes_the_pattern_but_keeps_the_content(nets):
    """A few G steps on the penalty alone shrink what every interval repeats at the same place
    (a fresh G draws mostly that: its coordinate features dominate) much more than the frames'
    own contrast."""
    G = Generator(nets[0].cfg)
    G.load_state_dict(nets[0].state_dict())
    loss = ALISLoss(G, nets[1], LossOptions(mixing_prob=0.0, stationarity=1.0, stationarity_interval=1))
    opt = torch.optim.Adam(G.parameters(), lr=5e-3, betas=(0.0, 0.99))

    def measure():
        torch.manual_seed(123)
        with torch.no_grad():
            f = loss.aligned_frames(16, "cpu")
        own = (f - f.mean(-1, keepdim=True)).square().mean().item()
        from alis_studio.trainer.loss import stationarity_penalty
        return stationarity_penalty(f).item(), own

    pen0, own0 = measure()
    for step in range(15):
        opt.zero_grad()
        terms = loss.stationarity_phase(4, step, "cpu")
        assert torch.isfinite(terms["stat"])
        opt.step()
    pen1, own1 = measure()
    assert pen1 < 0.3 * pen0
    assert pen1 / own1 < 0.5 * pen0 / own0  # the share that repeats falls, not just the contrast
    skipped = ALISLoss(G, nets[1], LossOptions(stationarity=1.0, stationarity_interval=4))
    assert skipped.stationarity_phase(8, 3, "cpu") == {}  # lazy: only every 4th step
    assert ALISLoss(G, nets[1], LossOptions()).stationarity_phase(8, 0, "cpu") == {}  # off by default


def test_half_size_is_the_lanczos_reduction_of_the_data_set_and_differentiable():
    """The half-size D sees the frames as PIL's Lanczos shows them at half size: the filter that
    made the data set's images and that `eval --height` uses."""
    import numpy as np
    from PIL import Image

    from alis_studio.trainer.loss import half_size
    from alis_studio.trainer.procedural import landscape

    img = np.asarray(Image.fromarray(landscape(3, 128)).resize((96, 48), Image.LANCZOS))  # smooth, no clipping
    x = torch.tensor(img, dtype=torch.float32).permute(2, 0, 1)[None].requires_grad_(True)
    ours = half_size(x)
    pil = np.asarray(Image.fromarray(img).resize((48, 24), Image.LANCZOS), dtype=np.float32)
    assert ours.shape == (1, 3, 24, 48)
    assert np.abs(ours[0].permute(1, 2, 0).detach().numpy() - pil).max() <= 2.0  # PIL rounds to 8 bits
    ours.sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_loss_options_come_from_the_train_options_by_name():
    """Each LossOptions field but the loss's own stationarity_interval is the TrainOptions field of
    that name (so a loss option is declared once, in TrainOptions); augment becomes its policy."""
    import dataclasses

    from alis_studio.trainer.options import TrainOptions, resolve_options

    names = {f.name for f in dataclasses.fields(TrainOptions)}
    assert {f.name for f in dataclasses.fields(LossOptions)} - names == {"stationarity_interval"}
    o = resolve_options(TrainOptions(dataset="d", out="o", config="tiny", r1_gamma=3.0, r1_interval=8,
                                     mixing_prob=0.25, shift_ramp_kimg=7.0, augment="diffaug", stationarity=0.5,
                                     d_half=0.75), cuda=False)
    assert LossOptions.of(o) == LossOptions(3.0, 8, 0.25, 7.0, "color,translation,cutout", 0.5, d_half=0.75)
    assert LossOptions.of(resolve_options(TrainOptions(dataset="d", out="o"), cuda=False)).augment == ""
