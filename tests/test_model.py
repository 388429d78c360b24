"""The generator's contracts: ORT equals PyTorch, patches are local, training frames are inference patches."""
import numpy as np
import pytest
import torch



def _torch_patches(G, w_pair, patch):
    with torch.no_grad():
        return G.synthesis(torch.from_numpy(w_pair), torch.from_numpy(patch)).numpy()


@pytest.mark.parametrize("batch", [1, 3, 8])
def test_onnx_matches_pytorch(tiny_bundle, tiny_generator, batch):
    rng = np.random.default_rng(batch)
    cfg = tiny_generator.cfg
    z = rng.standard_normal((batch, cfg.z_dim)).astype(np.float32)
    w_ort = tiny_bundle.mapping.run(["w"], {"z": z})[0]
    with torch.no_grad():
        w_torch = tiny_generator.mapping(torch.from_numpy(z)).numpy()
    assert np.abs(w_ort - w_torch).max() < 1e-3
    w_pair = rng.standard_normal((batch, 2, cfg.w_dim)).astype(np.float32)
    patch = (np.arange(batch) % cfg.patches_per_interval).astype(np.int64)
    img_ort = tiny_bundle.synthesis.run(["image"], {"w_pair": w_pair, "patch": patch})[0]
    img_torch = _torch_patches(tiny_generator, w_pair, patch)
    assert img_ort.shape == (batch, 3, cfg.height, cfg.patch_width)
    assert np.abs(img_ort - img_torch).max() < 1e-3


def test_patch_depends_only_on_its_two_anchors(tiny_renderer):
    """Patch k of interval i is unchanged when any anchor other than w[i], w[i+1] changes."""
    from alis_studio.engine.scene import Scene

    scene = Scene(seed=5, psi=0.8)
    K = tiny_renderer.bundle.patches_per_interval
    i = 2
    before = tiny_renderer.render(tiny_renderer.keys(scene, i * K, (i + 1) * K), use_cache=False)
    for j in (-3, 0, 1, 4, 9):  # every anchor but 2 and 3
        scene.set_anchor_seed(j, 1000 + j)
    after = tiny_renderer.render(tiny_renderer.keys(scene, i * K, (i + 1) * K), use_cache=False)
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)
    scene.set_anchor_seed(i + 1, 77)  # the right anchor of the interval does change it
    changed = tiny_renderer.render(tiny_renderer.keys(scene, i * K, (i + 1) * K), use_cache=False)
    assert any(np.abs(a.astype(int) - b).max() > 0 for a, b in zip(before, changed))


@pytest.mark.parametrize("offset", [0, 1, 3, 6])
def test_training_frame_is_concatenated_inference_patches(tiny_generator, offset):
    G, K = tiny_generator, tiny_generator.cfg.patches_per_interval
    torch.manual_seed(offset)
    ws = G.mapping(torch.randn(3, G.cfg.z_dim)).detach()  # w_l, w_c, w_r
    with torch.no_grad():
        frame = G.synthesis.frame(ws[0:1], ws[1:2], ws[2:3], torch.tensor([offset]))[0]
        parts = []
        for p in (offset, offset + 1):
            left, right = (ws[0], ws[1]) if p < K else (ws[1], ws[2])
            parts.append(G.synthesis(torch.stack([left, right])[None], torch.tensor([p % K]))[0])
    torch.testing.assert_close(frame, torch.cat(parts, dim=2), rtol=0, atol=1e-6)


def test_per_layer_styles_equal_broadcast_pair(tiny_generator):
    """Style mixing input (B, num_ws, 2, w_dim) with equal layers equals the plain pair."""
    G = tiny_generator
    w_pair = torch.randn(2, 2, G.cfg.w_dim)
    k = torch.tensor([0, 3])
    with torch.no_grad():
        a = G.synthesis(w_pair, k)
        b = G.synthesis(w_pair[:, None].repeat(1, G.synthesis.num_ws, 1, 1), k)
    torch.testing.assert_close(a, b)


def test_same_seed_gives_identical_pixels_twice(tiny_renderer):
    from alis_studio.engine.panorama import render_strip
    from alis_studio.engine.scene import Scene

    a = render_strip(tiny_renderer, Scene(seed=11), -100, 300, use_cache=False)
    b = render_strip(tiny_renderer, Scene(seed=11), -100, 300, use_cache=False)
    c = render_strip(tiny_renderer, Scene(seed=12), -100, 300, use_cache=False)
    assert a.shape == (tiny_renderer.bundle.height, 300, 3)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a.astype(int) - c).mean() > 1


def test_configs_build_and_have_square_frames():
    from trainer.model import CONFIGS, Discriminator, Generator

    for name in ("tiny", "small64"):
        cfg = CONFIGS[name]
        G, D = Generator(cfg), Discriminator(cfg)
        with torch.no_grad():
            w = G.map(torch.randn(2, cfg.z_dim))
            frame = G.synthesis.frame(w, w, w, torch.tensor([0, 2 * cfg.patches_per_interval - 2]))
            assert frame.shape == (2, 3, cfg.height, 2 * cfg.patch_width)
            assert D(frame).shape == (2,)
    for cfg in CONFIGS.values():
        assert 2 * cfg.patch_width == cfg.height  # square training frames
