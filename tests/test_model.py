"""The generator's contracts: ORT equals PyTorch; format 2 is seamless by construction (any tiling
equals one render, a shift by one interval is a shift by d, frames are tiles); format 1 keeps working."""
import numpy as np
import pytest
import torch

from alis_studio.evaluation.metrics import seam_scores


def _ws(G, n, seed=0):
    """n mapped anchors as one row: (1, n, w_dim)."""
    torch.manual_seed(seed)
    with torch.no_grad():
        return G.map(torch.randn(n, G.cfg.z_dim))[None]


@pytest.mark.parametrize("fmt", [1, 2])
@pytest.mark.parametrize("batch", [1, 3, 8])
def test_onnx_matches_pytorch(request, fmt, batch):
    G = request.getfixturevalue("tiny_generator" if fmt == 2 else "tiny_f1_generator")
    bundle = request.getfixturevalue("tiny_bundle" if fmt == 2 else "tiny_f1_bundle")
    assert bundle.tiling == fmt and bundle.synthesis_inputs == (("w_window", "tile") if fmt == 2 else ("w_pair", "patch"))
    rng = np.random.default_rng(batch)
    cfg = G.cfg
    z = rng.standard_normal((batch, cfg.z_dim)).astype(np.float32)
    w_ort = bundle.mapping.run(["w"], {"z": z})[0]
    with torch.no_grad():
        w_torch = G.mapping(torch.from_numpy(z)).numpy()
    assert np.abs(w_ort - w_torch).max() < 1e-3
    window = rng.standard_normal((batch, bundle.anchor_window, cfg.w_dim)).astype(np.float32)
    tile = (np.arange(batch) % bundle.tiles_per_interval).astype(np.int64)
    img_ort = bundle.synthesize(window, tile)
    S = G.synthesis
    S.set_tile_width(bundle.tile_width)
    try:
        with torch.no_grad():
            img_torch = S(torch.from_numpy(window), torch.from_numpy(tile)).numpy()
    finally:
        S.set_tile_width(cfg.patch_width)
    assert img_ort.shape == (batch, 3, cfg.height, bundle.tile_width)
    assert np.abs(img_ort - img_torch).max() < 1e-3


@pytest.mark.parametrize("tile_width", [8, 16, 32, 64])
def test_tiles_equal_one_wide_render(tiny_generator, tile_width):
    """Format 2: a strip of 4 intervals rendered tile by tile (through `forward`, anchor windows as
    the app sends them) equals the same strip rendered in one call, at every tile boundary."""
    G = tiny_generator
    S, d = G.synthesis, G.cfg.interval_width
    ws = _ws(G, 4 + S.anchor_window - 1, seed=tile_width)
    with torch.no_grad():
        strip = S.render(ws, torch.tensor([S.context * d]), 4 * d)  # (1, 3, H, 4d)
        S.set_tile_width(tile_width)
        try:
            tiles = [S(ws[:, i:i + S.anchor_window], torch.tensor([k]))
                     for i in range(4) for k in range(d // tile_width)]
        finally:
            S.set_tile_width(G.cfg.patch_width)
    torch.testing.assert_close(torch.cat(tiles, dim=3), strip, rtol=0, atol=1e-4)


def test_shifting_anchors_by_one_interval_shifts_the_image_by_d(tiny_generator):
    G = tiny_generator
    S, d = G.synthesis, G.cfg.interval_width
    ws = _ws(G, 8, seed=3)
    start = torch.tensor([S.context * d])
    with torch.no_grad():
        a = S.render(ws, start, 4 * d)
        b = S.render(ws[:, 1:], start, 3 * d)  # every anchor one slot earlier
        c = S.render(ws, start + 24, 2 * d)  # and any aligned sub-window is the same pixels
    torch.testing.assert_close(b, a[..., d:], rtol=0, atol=1e-4)
    torch.testing.assert_close(c, a[..., 24:24 + 2 * d], rtol=0, atol=1e-4)


def test_training_frames_are_the_apps_tiles(tiny_generator):
    """What D sees is exactly what the app shows: a frame equals the same columns rendered as tiles."""
    G = tiny_generator
    S, d, P = G.synthesis, G.cfg.interval_width, G.cfg.patch_width
    ws = _ws(G, S.train_anchors, seed=7).expand(6, -1, -1)
    start = S.frame_starts(6, 1.0, generator=torch.Generator().manual_seed(0))
    assert (start % S.align == 0).all() and len(set(start.tolist())) > 1
    with torch.no_grad():
        frames = S.frame(ws, start)  # (6, 3, H, 2P)
        strip = S.render(ws[:1], torch.tensor([S.context * d]), 2 * d)  # the span l .. r
    assert frames.shape == (6, 3, G.cfg.height, 2 * P)
    for f, s in zip(frames, start.tolist()):
        x = s - S.context * d
        torch.testing.assert_close(f, strip[0, ..., x:x + 2 * P], rtol=0, atol=1e-4)


def test_format1_frame_is_concatenated_patches(tiny_f1_generator):
    G = tiny_f1_generator
    S, K, P = G.synthesis, G.cfg.patches_per_interval, G.cfg.patch_width
    assert S.train_anchors == 3 and S.anchor_window == 2 and S.margin_px == 0
    ws = _ws(G, 3, seed=1)[0]  # w_l, w_c, w_r
    for offset in (0, 1, 3, 6):
        with torch.no_grad():
            frame = S.frame(ws[None], torch.tensor([offset * P]))[0]
            parts = []
            for p in (offset, offset + 1):
                left, right = (ws[0], ws[1]) if p < K else (ws[1], ws[2])
                parts.append(S(torch.stack([left, right])[None], torch.tensor([p % K]))[0])
        torch.testing.assert_close(frame, torch.cat(parts, dim=2), rtol=0, atol=1e-6)


@pytest.mark.parametrize("fmt", [1, 2])
def test_patch_depends_only_on_its_anchor_window(request, fmt):
    """Tile k of interval i changes with anchors i-A/2+1 .. i+A/2 and with no other."""
    from alis_studio.engine.renderer import Renderer
    from alis_studio.engine.scene import Scene

    bundle = request.getfixturevalue("tiny_bundle" if fmt == 2 else "tiny_f1_bundle")
    renderer = Renderer(bundle, workers=0, cache_bytes=0)
    A, K, i = bundle.anchor_window, bundle.tiles_per_interval, 2
    window = range(i - A // 2 + 1, i + A // 2 + 1)
    scene = Scene(seed=5, psi=0.8)
    before = renderer.render(renderer.keys(scene, i * K, (i + 1) * K), use_cache=False)
    for j in (-3, 0, 5, 9):
        if j not in window:
            scene.set_anchor_seed(j, 1000 + j)
    after = renderer.render(renderer.keys(scene, i * K, (i + 1) * K), use_cache=False)
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)
    for j in (window[0], window[-1]):
        scene.set_anchor_seed(j, 77 + j)
        changed = renderer.render(renderer.keys(scene, i * K, (i + 1) * K), use_cache=False)
        assert any(np.abs(a.astype(int) - b).max() > 0 for a, b in zip(before, changed))
    renderer.close()


def test_untrained_format2_shows_no_tile_borders(tmp_path, tiny_generator, tiny_f1_bundle):
    """Seam score at tile borders (1.0 = invisible) of an untrained model, through ORT and the
    renderer at the narrowest tile (8 px, 8 per interval). Format 2: the mean |column difference| at
    the borders over that of the same columns in one seamless torch render, <= 1.05 (an untrained
    net's pixels depend strongly on the position in the interval, so a reference of other columns
    would measure that, not seams). Format 1's zero-padded patches show borders even by the
    classic ratio over same-phase inside columns."""
    from alis_studio.engine.bundle import load_bundle
    from alis_studio.engine.panorama import render_strip
    from alis_studio.engine.renderer import Renderer, to_uint8
    from alis_studio.engine.scene import Scene, z_from_seed
    from alis_studio.trainer.export import export_random
    from alis_studio.evaluation.metrics import column_differences

    narrow = load_bundle(export_random("tiny", tmp_path / "t8.alis", tile_width=8), device="cpu")
    assert narrow.tile_width == 8 and narrow.tiles_per_interval == 8
    renderer = Renderer(narrow, workers=0, batch_size=16, cache_bytes=0)
    G, S, d = tiny_generator, tiny_generator.synthesis, narrow.interval_width
    tiled, whole = [], []
    for seed in range(4):
        scene = Scene(seed=seed)
        tiled.append(column_differences(render_strip(renderer, scene, 0, 8 * d, use_cache=False)))
        z = np.stack([z_from_seed(scene.anchor(i).seed, G.cfg.z_dim) for i in range(-S.context, 9 + S.context)])
        with torch.no_grad():
            ws = G.map(torch.from_numpy(z))[None]
            img = S.render(ws, torch.tensor([S.context * d]), 8 * d).numpy()
        whole.append(column_differences(to_uint8(img)[0]))
    renderer.close()
    x = np.arange(1, 8 * d)  # the right column of each pair
    borders = x % 8 == 0
    score = np.concatenate(tiled)[np.tile(borders, 4)].mean() / np.concatenate(whole)[np.tile(borders, 4)].mean()
    assert score <= 1.05, score
    r = Renderer(tiny_f1_bundle, workers=0, batch_size=16, cache_bytes=0)
    strips = [render_strip(r, Scene(seed=s), 0, 8 * d, use_cache=False) for s in range(4)]
    r.close()
    assert seam_scores(strips, tiny_f1_bundle.tile_width, d, align=8)["seam_patch"] > 1.5


def test_per_layer_styles_equal_broadcast_window(tiny_generator):
    """Style mixing input (B, A, num_ws, w_dim) with equal layers equals the plain window."""
    S = tiny_generator.synthesis
    window = torch.randn(2, S.anchor_window, tiny_generator.cfg.w_dim)
    k = torch.tensor([0, 3])
    with torch.no_grad():
        a = S(window, k)
        b = S(window[:, :, None].repeat(1, 1, S.num_ws, 1), k)
    torch.testing.assert_close(a, b)


def test_invalid_tile_widths_are_refused(tiny_generator, tiny_f1_generator):
    from alis_studio.trainer.model import TileWidthError

    for bad in (0, 12, 24, 128):  # not a multiple of 8, does not divide 64, wider than an interval
        with pytest.raises(TileWidthError, match="multiple of 8 that divides the anchor spacing 64"):
            tiny_generator.synthesis.set_tile_width(bad)
    with pytest.raises(TileWidthError, match="format-1"):
        tiny_f1_generator.synthesis.set_tile_width(32)


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
    from alis_studio.trainer.model import CONFIGS, Discriminator, Generator

    for name in ("tiny", "small64", "small"):
        cfg = CONFIGS[name]
        assert cfg.format == 2
        G, D = Generator(cfg), Discriminator(cfg)
        S = G.synthesis
        with torch.no_grad():
            w = G.map(torch.randn(2 * S.train_anchors, cfg.z_dim)).reshape(2, S.train_anchors, -1)
            frame = S.frame(w, S.frame_starts(2, 1.0))
            assert frame.shape == (2, 3, cfg.height, 2 * cfg.patch_width)
            assert D(frame).shape == (2,)
    for cfg in CONFIGS.values():
        assert 2 * cfg.patch_width == cfg.height  # square training frames


@pytest.mark.parametrize("level", [0, 1, 2, 3])
def test_every_level_tiles_exactly(tiny_generator, tiny_bundle, level):
    """A level's tiles (ONNX Runtime, the bundle's stages) side by side equal one wide render of the
    same blocks in torch, cropped to that level: levels of detail are seamless by construction too."""
    G, b = tiny_generator, tiny_bundle
    S, cfg = G.synthesis, G.cfg
    S.set_tile_width(b.tile_width)
    try:
        d, A, K = cfg.interval_width, b.anchor_window, b.tiles_per_interval
        ws = _ws(G, A + 2)  # anchors 0 .. A+1: two intervals' windows
        c = S.context
        block = cfg.resolutions.index(cfg.height >> level)
        with torch.no_grad():
            _, rgb = S.run_blocks(ws, torch.tensor([c * d]), 2 * d, 0, block + 1)
            wide = S.level_image(rgb, block)[0].numpy()  # (3, H >> level, 2d >> level)
        tiles = []
        for i in range(c, c + 2):
            window = np.repeat(ws[:, i - c:i - c + A].numpy(), K, axis=0)  # (K, A, w_dim)
            tiles += list(b.synthesize(window, np.arange(K, dtype=np.int64), level=level))
        strip = np.concatenate(tiles, axis=2)
        assert strip.shape == wide.shape == (3, cfg.height >> level, (2 * d) >> level)
        assert np.abs(strip - wide).max() < 1e-4
    finally:
        S.set_tile_width(cfg.patch_width)
