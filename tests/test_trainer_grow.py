"""Growing a taller model from a checkpoint (`train --init-from`): layers matched by resolution,
the grown generator starting as the old one's image upsampled."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from alis_studio.errors import UserError
from alis_studio.trainer.checkpoint import load_checkpoint
from alis_studio.trainer.grow import grow
from alis_studio.trainer.loop import Trainer
from alis_studio.trainer.model import Discriminator, Generator, get_config
from alis_studio.trainer.options import TrainOptions, resolve_config


def _state(G, D, nimg=4000):
    return {"G": None, "G_ema": G.state_dict(), "D": D.state_dict(), "nimg": nimg}


def test_grown_generator_renders_the_old_image_upsampled():
    torch.manual_seed(0)
    small, tall = get_config("tiny"), resolve_config("tiny", 64)
    G, D = Generator(small).eval(), Discriminator(small)
    G2, D2 = Generator(tall).eval(), Discriminator(tall)
    account = grow(_state(G, D), small, G2, D2)
    assert "copied" in account and "tiny (32 px, 4.0 kimg)" in account

    d = tall.interval_width
    ws = G.map(torch.randn(2 * 7, small.z_dim)).reshape(2, 7, -1)  # 7 anchors, frames in the middle
    start = torch.tensor([3 * d, 3 * d + 2 * G2.synthesis.align])
    with torch.no_grad():
        grown = G2.synthesis.render(ws, start, 2 * tall.patch_width)  # (2, 3, 64, 64)
        old = G.synthesis.render(ws, start // 2, small.patch_width * 2)  # (2, 3, 32, 32)
    mode = G2.synthesis.blocks[-1].skip_mode  # the new top block's skip (tiny's: bicubic)
    up = F.interpolate(old, scale_factor=2.0, mode=mode, align_corners=False)
    assert grown.shape == up.shape == (2, 3, 64, 64)
    inner = (..., slice(4, -4))  # upsampling a crop differs only near its two edges
    assert (grown[inner] - up[inner]).abs().max() < 1e-4
    assert old.std() > 0.01  # a real image, not zeros

    # D: the old blocks one place further down the stack; the new input layer stays fresh
    assert torch.equal(D2.blocks[1].conv0.weight, D.blocks[0].conv0.weight)
    assert torch.equal(D2.fc.weight, D.fc.weight)
    assert not torch.equal(D2.fromrgb.weight, D.fromrgb.weight)  # even where the shapes agree


def test_fewer_x_frequencies_keep_everything_but_the_dropped_channels():
    """A config without the top x coordinate frequency takes a checkpoint that has it: where the old
    generator made no use of those channels, the new one renders exactly the same image."""
    import dataclasses

    torch.manual_seed(0)
    src = get_config("tiny")  # 3 x frequencies: 1, 2, 4 cycles per interval
    dst = dataclasses.replace(src, x_freqs=2)
    G, D = Generator(src).eval(), Discriminator(src)
    F_ = src.fourier_freqs
    with torch.no_grad():
        for b in G.synthesis.blocks:  # silence the top x frequency's sin and cos inputs
            conv = b.conv1 if b.first else b.conv0
            c = conv.weight.shape[1] - 4 * F_
            conv.weight[:, [c + F_ - 1, c + 2 * F_ - 1]] = 0
    G2, D2 = Generator(dst).eval(), Discriminator(dst)
    account = grow(_state(G, D), src, G2, D2)
    assert G2.synthesis.blocks[0].conv1.weight.shape[1] == G.synthesis.blocks[0].conv1.weight.shape[1] - 2
    n, of = (int(t) for t in account.split("copied ")[1].split(" G")[0].split(" of "))
    assert n == of  # every tensor carried over

    d = src.interval_width
    ws = G.map(torch.randn(2 * 7, src.z_dim)).reshape(2, 7, -1)
    start = torch.tensor([3 * d, 3 * d + 2 * G.synthesis.align])
    with torch.no_grad():
        old = G.synthesis.render(ws, start, 2 * src.patch_width)
        new = G2.synthesis.render(ws, start, 2 * src.patch_width)
    assert old.std() > 0.01 and (new - old).abs().max() < 1e-5


def test_cannot_grow_a_smaller_model():
    small, tall = get_config("tiny"), resolve_config("tiny", 64)
    with pytest.raises(ValueError, match="at least as tall"):
        grow(_state(Generator(tall), Discriminator(tall)), tall, Generator(small), Discriminator(small))


@pytest.fixture(scope="module")
def landscapes(tmp_path_factory):
    from alis_studio.trainer.procedural import write_dataset

    return write_dataset(tmp_path_factory.mktemp("data") / "procedural", 12, 64, seed=0, workers=1)


def _opts(data, out, **kw):
    base = dict(dataset=str(data), out=str(out), config="tiny", batch=4, kimg=0.008, device="cpu",
                metric_images=0, snap_kimg=1.0, sample_intervals=2, log_every=0.0)
    return TrainOptions(**{**base, **kw})


@pytest.mark.slow  # real training runs, one after another (10-25 s on 2 cores)
def test_train_init_from_a_smaller_run(landscapes, tmp_path):
    Trainer(_opts(landscapes, tmp_path / "small")).run()
    src = tmp_path / "small" / "checkpoint.pt"
    res = Trainer(_opts(landscapes, tmp_path / "tall", resolution=64, init_from=str(src))).run()
    assert res["status"] == "done" and res["step"] == 2
    log = (tmp_path / "tall" / "log.txt").read_text()
    assert "initialised from checkpoint.pt: tiny (32 px, 0.0 kimg)" in log
    state = load_checkpoint(tmp_path / "tall" / "checkpoint.pt")
    assert state["config"]["height"] == 64 and state["nimg"] == 8  # a new run: its own count
    assert state["training"]["initialised_from"] == "checkpoint.pt"


@pytest.mark.slow  # real training runs, one after another (10-25 s on 2 cores)
def test_init_from_errors_are_one_line(landscapes, tmp_path):
    with pytest.raises(UserError, match="no such checkpoint"):
        Trainer(_opts(landscapes, tmp_path / "a", init_from=str(tmp_path / "missing.pt")))
    Trainer(_opts(landscapes, tmp_path / "tall", resolution=64)).run()
    with pytest.raises(UserError, match=r"checkpoint\.pt: cannot grow tiny \(32 px\) from tiny-64"):
        Trainer(_opts(landscapes, tmp_path / "b", init_from=str(tmp_path / "tall" / "checkpoint.pt")))


def test_bf16_on_the_cpu_is_asked_for_not_assumed(landscapes, tmp_path):
    from alis_studio.trainer.loop import _native_bf16

    tr = Trainer(_opts(landscapes, tmp_path / "auto"))
    assert tr.precision == ("bf16" if _native_bf16() else "fp32")
    tr._teardown()
    tr = Trainer(_opts(landscapes, tmp_path / "bf16", precision="bf16"))
    assert tr.precision == "bf16"
    terms = tr.train_step()
    assert all(torch.isfinite(v) for v in terms.values())
    tr._teardown()
    with pytest.raises(UserError, match="fp16 needs CUDA"):
        Trainer(_opts(landscapes, tmp_path / "fp16", precision="fp16"))
