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
