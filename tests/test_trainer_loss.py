"""The loss phases: anchors, style mixing, the shift ramp, DiffAugment, R1."""
from __future__ import annotations

import pytest
import torch

from trainer.loss import ALISLoss, LossOptions, diff_augment
from trainer.model import CONFIGS, Discriminator, Generator


@pytest.fixture(scope="module")
def nets():
    torch.manual_seed(0)
    cfg = CONFIGS["tiny"]
    return Generator(cfg), Discriminator(cfg)


def test_shift_ramp(nets):
    loss = ALISLoss(*nets, LossOptions(shift_ramp_kimg=1.0))
    K = nets[0].cfg.patches_per_interval
    assert set(loss.sample_offsets(64, 0, "cpu").tolist()) == {K - 1}  # centred on the middle anchor
    half = loss.sample_offsets(400, 500, "cpu")
    assert half.min() >= K - 1 - 2 and half.max() <= K - 1 + 2
    full = loss.sample_offsets(400, 10_000, "cpu")
    assert full.min() == 0 and full.max() == 2 * K - 2  # the whole span of two intervals


def test_style_mixing_shapes(nets):
    G = nets[0]
    L = G.synthesis.num_ws
    ws = ALISLoss(G, nets[1], LossOptions(mixing_prob=1.0)).sample_ws(5, "cpu", update_w_avg=False)
    assert len(ws) == 3 and all(w.shape == (5, L, G.cfg.w_dim) for w in ws)
    assert all(not torch.equal(w[:, 0], w[:, -1]) for w in ws)  # mixed: the last layer differs
    plain = ALISLoss(G, nets[1], LossOptions(mixing_prob=0.0)).sample_ws(5, "cpu", update_w_avg=False)
    assert all(torch.equal(w[:, 0], w[:, -1]) for w in plain)


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
