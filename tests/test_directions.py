"""Latent directions (GANSpace): the basis, its cache, edits in the scene, the session file, the
renderer's keys and pixels, and `--direction` on the command line."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from alis_studio.cli.main import main
from alis_studio.engine import directions
from alis_studio.engine.panorama import render_strip
from alis_studio.engine.scene import AnchorSpec, Scene, load_session, save_session
from alis_studio.errors import SessionError


def test_the_basis_is_orthonormal_sorted_and_deterministic(tiny_bundle):
    d = directions.compute(tiny_bundle, samples=4000)
    n = directions.n_components(tiny_bundle)
    assert d.components.shape == (n, tiny_bundle.w_dim) and d.components.dtype == np.float32
    np.testing.assert_allclose(d.components @ d.components.T, np.eye(n), atol=1e-4)
    assert np.all(np.diff(d.stds) <= 1e-6) and 0 < d.explained.sum() <= 1.0001
    again = directions.compute(tiny_bundle, samples=4000)
    np.testing.assert_array_equal(again.components, d.components)  # signs fixed too


def test_it_is_computed_once_per_model_and_cached_by_sha256(tiny_bundle, tmp_path, monkeypatch):
    calls = []
    real = directions.compute
    monkeypatch.setattr(directions, "compute", lambda b, **kw: calls.append(1) or real(b, samples=3000))
    a = directions.load_or_compute(tiny_bundle, tmp_path)
    b = directions.load_or_compute(tiny_bundle, tmp_path)
    assert len(calls) == 1 and np.array_equal(a.components, b.components)
    assert [p.name for p in tmp_path.iterdir()] == [f"directions-v1-{tiny_bundle.sha256}.npz"]
    (tmp_path / f"directions-v1-{tiny_bundle.sha256}.npz").write_bytes(b"damaged")
    directions.load_or_compute(tiny_bundle, tmp_path)
    assert len(calls) == 2  # a damaged cache is recomputed, not an error


def test_default_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ALIS_STUDIO_CACHE", str(tmp_path))
    assert directions.default_cache_dir() == tmp_path
    monkeypatch.delenv("ALIS_STUDIO_CACHE")
    assert "alis-studio" in str(directions.default_cache_dir())


@pytest.mark.skipif(sys.platform != "linux", reason="the Linux default")
def test_default_cache_dir_keeps_the_linux_path_of_existing_caches(monkeypatch, tmp_path):
    monkeypatch.delenv("ALIS_STUDIO_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert directions.default_cache_dir() == Path.home() / ".cache" / "alis-studio"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert directions.default_cache_dir() == tmp_path / "alis-studio"


def test_default_cache_dir_keeps_the_macos_path():
    from platformdirs.macos import MacOS
    assert Path(MacOS(**directions.CACHE_DIR_ARGS).user_cache_dir) == Path.home() / "Library" / "Caches" / "alis-studio"


def test_scene_edits_per_anchor_and_for_the_whole_scene():
    s = Scene(seed=4)
    default = s.anchor(2)
    assert s.set_direction(1, 1.5, anchor=2) and s.anchor(2).edits == ((1, 1.5),)
    assert s.anchor(2).seed == default.seed  # an edit keeps the anchor's scene
    assert not s.set_direction(1, 1.5, anchor=2)  # no real change: no callback
    s.set_direction(3, -0.5)
    assert s.rendered_anchor(2).edits == ((1, 1.5), (3, -0.5)) and s.rendered_anchor(5).edits == ((3, -0.5),)
    s.set_direction(3, 0.5, anchor=2)
    assert s.rendered_anchor(2).edits == ((1, 1.5),)  # 0.5 - 0.5: the scene's edit cancelled here
    s.set_anchor_seed(2, 99)
    assert s.anchor(2).edits == ((1, 1.5), (3, 0.5))  # a new seed keeps the edits
    s.insert(1)
    assert s.anchor(3).edits == ((1, 1.5), (3, 0.5))  # edits move with their anchor
    s.clear_directions(3)
    s.clear_directions()
    assert not s.anchor(3).edits and not s.scene_edits
    with pytest.raises(ValueError, match="amount"):
        s.set_direction(1, 11.0)
    with pytest.raises(ValueError, match="component"):
        s.set_direction(0, 1.0)


def test_component_names_default_and_rename():
    s = Scene()
    assert s.direction_name(1) == "component 1"
    assert s.rename_direction(1, "  snowy   peaks ") and s.direction_name(1) == "snowy peaks"
    assert s.rename_direction(1, "") and s.direction_name(1) == "component 1" and not s.uses_directions()


def test_session_round_trip_with_directions(tmp_path):
    s = Scene(seed=7, loop_period=6)
    s.set_direction(2, -1.25, anchor=3)
    s.set_direction(1, 0.75)
    s.rename_direction(2, "sky")
    path = save_session(tmp_path / "s.json", s)
    doc = json.loads(path.read_text())
    assert doc["version"] == 2 and doc["directions"] == {"edits": {"1": 0.75}, "names": {"2": "sky"}}
    assert doc["anchors"]["3"]["edits"] == {"2": -1.25}
    loaded = load_session(path).scene
    assert loaded.to_dict() == s.to_dict()


def test_sessions_without_directions_stay_version_1_and_old_files_load(tmp_path):
    path = save_session(tmp_path / "plain.json", Scene(seed=3))
    doc = json.loads(path.read_text())
    assert doc["version"] == 1 and "directions" not in doc
    old = {"format": "alis-studio-session", "version": 1, "seed": 3, "psi": 0.7, "loop_period": None,
           "anchors": {"2": {"seed": 5, "pinned": True}}, "edits": [], "view": {}}
    (tmp_path / "old.json").write_text(json.dumps(old))
    scene = load_session(tmp_path / "old.json").scene
    assert scene.anchor(2) == AnchorSpec(seed=5, pinned=True) and not scene.uses_directions()


@pytest.mark.parametrize("change, field", [
    ({"directions": []}, "'directions' must be an object"),
    ({"directions": {"edits": {"0": 1.0}}}, "directions.edits must be an object of component"),
    ({"directions": {"edits": {"01": 1.0}}}, "directions.edits must be an object of component"),
    ({"directions": {"edits": {"1": "big"}}}, "directions.edits amounts must be numbers"),
    ({"directions": {"edits": {"1": 1e9}}}, "directions.edits amounts must be numbers"),
    ({"directions": {"names": {"1": ""}}}, "directions.names must be"),
    ({"anchors": {"1": {"seed": 1, "edits": {"1": float("nan")}}}}, "anchors['1'].edits amounts"),
    ({"anchors": {"1": {"seed": 1, "edits": [1]}}}, "anchors['1'].edits must be an object"),
])
def test_damaged_direction_fields_are_named(tmp_path, change, field):
    doc = {"format": "alis-studio-session", "version": 2, "seed": 3, "psi": 0.7, "loop_period": None,
           "anchors": {}, "edits": [], "view": {}, **change}
    p = tmp_path / "s.json"
    p.write_text(json.dumps(doc))
    with pytest.raises(SessionError) as e:
        load_session(p)
    assert field in str(e.value) and "\n" not in str(e.value)


def test_edits_enter_the_cache_key_and_move_the_pixels(tiny_renderer):
    s = Scene(seed=2)
    before = render_strip(tiny_renderer, s, 0, 128)
    key = tiny_renderer.key(s, 4)
    s.set_direction(1, 3.0)
    assert tiny_renderer.key(s, 4) != key
    edited = render_strip(tiny_renderer, s, 0, 128)
    assert np.abs(edited.astype(int) - before).mean() > 1.0
    d = tiny_renderer.directions.get()
    w = tiny_renderer.latent(s.rendered_anchor(1), s.psi)
    plain = tiny_renderer.latent(s.anchor(1), s.psi)
    np.testing.assert_allclose(w - plain, 3.0 * d.stds[0] * d.components[0], atol=1e-5)
    s.set_direction(1, 0.0)
    assert np.array_equal(render_strip(tiny_renderer, s, 0, 128), before)  # back to the same pixels


def test_a_component_the_model_lacks_is_a_one_line_error(tiny_renderer):
    s = Scene()
    s.set_direction(60, 1.0)
    with pytest.raises(SessionError, match="latent direction 60"):
        render_strip(tiny_renderer, s, 0, 16)


def test_render_and_export_honour_session_edits_and_direction_options(tiny_model_path, tiny_renderer, tmp_path):
    scene = Scene(seed=5)
    scene.set_direction(2, -2.0, anchor=1)
    session = save_session(tmp_path / "s.json", scene)
    out, tif = tmp_path / "a.png", tmp_path / "a.tif"
    common = ["--model", str(tiny_model_path), "--session", str(session), "--direction", "1=1.5", "--quiet"]
    assert main(["render", *common, "--intervals", "2", "--out", str(out)]) == 0
    assert main(["export", *common, "--width", "128", "--out", str(tif)]) == 0
    scene.set_direction(1, 1.5)
    want = render_strip(tiny_renderer, scene, 0, 128)
    img = Image.open(out)
    np.testing.assert_array_equal(np.asarray(img.convert("RGB")), want)
    assert json.loads(img.info["alis-studio"])["scene"]["directions"] == {"edits": {"1": 1.5}}
    import tifffile
    np.testing.assert_array_equal(tifffile.imread(tif), want)


@pytest.mark.parametrize("bad", ["1", "x=1", "0=1", "1=nan", "1=20"])
def test_bad_direction_options(tiny_model_path, tmp_path, capsys, bad):
    with pytest.raises(SystemExit) as e:
        main(["render", "--model", str(tiny_model_path), "--direction", bad, "--out", str(tmp_path / "x.png")])
    assert e.value.code == 2 and "K=AMOUNT" in capsys.readouterr().err
