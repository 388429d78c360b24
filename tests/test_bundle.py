"""Every bad model bundle is a one-line ModelError naming the file; the CLI exits 2 without a traceback."""
import json
import zipfile

import numpy as np
import pytest

from alis_studio.cli.main import main
from alis_studio.engine.bundle import load_bundle
from alis_studio.errors import ModelError


def _members(path):
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _write(path, members):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _foreign_onnx(inputs, outputs_shape):
    """A valid ONNX graph that is not an ALIS generator (Identity from input to output)."""
    import onnx
    from onnx import TensorProto, helper

    ins = [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs]
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, outputs_shape)
    graph = helper.make_graph([helper.make_node("Identity", [inputs[0][0]], ["y"])], "foreign", ins, [out])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def test_loads_valid_bundle(tiny_model_path):
    b = load_bundle(tiny_model_path, device="cpu")
    assert (b.version, b.tiling, b.height, b.tile_width, b.tiles_per_interval, b.anchor_window) == (3, 2, 32, 16, 4, 4)
    assert b.levels == [3, 2, 1, 0]
    assert (b.interval_width, b.frame_width) == (64, 32)
    assert b.provider == "CPUExecutionProvider" and len(b.sha256) == 64
    assert b.w_avg.shape == (b.w_dim,)


SYN = "synthesis_0.onnx"  # the tiny bundle's first stage (version 3: levels of detail)


def _broken(tmp_path, tiny_model_path, kind):
    m = _members(tiny_model_path)
    meta = json.loads(m["model.json"])
    p = tmp_path / f"{kind}.alis"
    if kind == "missing":
        return tmp_path / "nope.alis"
    if kind == "not_zip":
        p.write_bytes(b"this is not a zip file at all")
    elif kind == "lacks_member":
        del m[SYN]
        _write(p, m)
    elif kind == "corrupt_onnx":
        m[SYN] = m[SYN][: len(m[SYN]) // 3]
        _write(p, m)
    elif kind == "foreign_onnx":
        from onnx import TensorProto
        m[SYN] = _foreign_onnx([("x", TensorProto.FLOAT, ["B", 3, 32, 16])], ["B", 3, 32, 16])
        _write(p, m)
    elif kind == "wrong_shapes":
        from onnx import TensorProto
        m[SYN] = _foreign_onnx([("w_window", TensorProto.FLOAT, ["B", 4, 7]),
                                             ("tile", TensorProto.INT64, ["B"])], ["B", 4, 7])
        _write(p, m)
    elif kind in ("bad_tile_width", "odd_window", "no_tile_width"):
        if kind == "no_tile_width":
            del meta["tile_width"]
        else:
            meta.update({"bad_tile_width": {"tile_width": 24}, "odd_window": {"anchor_window": 3}}[kind])
        m["model.json"] = json.dumps(meta)
        _write(p, m)
    elif kind == "format1_graph_in_format2":
        from onnx import TensorProto
        m[SYN] = _foreign_onnx([("w_pair", TensorProto.FLOAT, ["B", 2, 32]),
                                             ("patch", TensorProto.INT64, ["B"])], ["B", 2, 32])
        _write(p, m)
    elif kind == "newer_ir":
        import onnx
        model = onnx.load_from_string(m[SYN])
        model.ir_version = 99
        m[SYN] = model.SerializeToString()
        _write(p, m)
    elif kind == "newer_version":
        meta["version"] = 99
        m["model.json"] = json.dumps(meta)
        _write(p, m)
    elif kind in ("stages_out_of_order", "no_tiling"):
        if kind == "no_tiling":
            del meta["tiling"]
        else:
            meta["stages"] = meta["stages"][::-1]
        m["model.json"] = json.dumps(meta)
        _write(p, m)
    elif kind == "bad_json":
        m["model.json"] = b"{not json"
        _write(p, m)
    elif kind == "not_alis_json":
        m["model.json"] = json.dumps({"format": "something-else", "version": 1})
        _write(p, m)
    elif kind == "folder":
        p.mkdir()
    return p


CASES = {
    "missing": "no such file",
    "not_zip": "not a zip archive",
    "lacks_member": f"lacks {SYN}",
    "corrupt_onnx": f"{SYN} is not a valid ONNX model",
    "newer_ir": f"{SYN} is not a valid ONNX model (Unsupported model IR version",
    "foreign_onnx": f"{SYN} has inputs ['x']",
    "wrong_shapes": f"{SYN} input 'w_window'",
    "format1_graph_in_format2": f"{SYN} has inputs ['patch', 'w_pair'], expected ['tile', 'w_window']",
    "stages_out_of_order": "stages must go from the coarsest level down to 0",
    "no_tiling": "has no valid 'tiling'",
    "bad_tile_width": "tile_width 24 does not divide the anchor spacing 64",
    "odd_window": "anchor_window must be even",
    "no_tile_width": "model.json (format 2) has no valid 'tile_width'",
    "newer_version": "version 99 is newer",
    "bad_json": "model.json is not valid JSON",
    "not_alis_json": "not an alis-studio model",
    "folder": "is a folder",
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_bad_bundle_is_one_line_model_error(tmp_path, tiny_model_path, kind):
    path = _broken(tmp_path, tiny_model_path, kind)
    with pytest.raises(ModelError) as e:
        load_bundle(path, device="cpu")
    msg = str(e.value)
    assert str(path) in msg and CASES[kind] in msg and "\n" not in msg


@pytest.mark.parametrize("kind", ["not_zip", "newer_version", "corrupt_onnx"])
def test_cli_reports_bad_model_without_traceback(tmp_path, tiny_model_path, kind, capsys):
    path = _broken(tmp_path, tiny_model_path, kind)
    assert main(["info", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("alis-studio: error: ") and str(path) in err
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_onnx_carries_model_json(tiny_model_path):
    import onnx

    m = _members(tiny_model_path)
    meta = json.loads(m["model.json"])
    for member in ["mapping.onnx"] + [s["member"] for s in meta["stages"]]:
        model = onnx.load_from_string(m[member])
        onnx.checker.check_model(model)
        props = {p.key: p.value for p in model.metadata_props}
        assert json.loads(props["alis"])["w_avg"] == meta["w_avg"]
    with zipfile.ZipFile(tiny_model_path) as zf:
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())


def test_synthesis_has_dynamic_batch(tiny_bundle):
    for b in (1, 5):
        out = tiny_bundle.synthesis.run(["image"], {"w_window": np.zeros((b, 4, tiny_bundle.w_dim), np.float32),
                                                    "tile": np.zeros(b, np.int64)})[0]
        assert out.shape == (b, 3, 32, 16)


def test_format1_model_still_loads_and_renders(tiny_f1_bundle):
    """A format-1 bundle (w_pair, patch: models made before format 2) goes through the same tile API."""
    from alis_studio.engine.panorama import render_strip
    from alis_studio.engine.renderer import Renderer
    from alis_studio.engine.scene import Scene

    b = tiny_f1_bundle
    assert (b.version, b.anchor_window, b.tile_width) == (1, 2, b.meta["patch_width"])
    assert b.synthesis_inputs == ("w_pair", "patch")
    r = Renderer(b, workers=0, cache_bytes=0)
    strip = render_strip(r, Scene(seed=3), -50, 300, use_cache=False)
    r.close()
    assert strip.shape == (b.height, 300, 3) and strip.std() > 5


def test_the_shipped_model_records_its_metrics_and_no_machine_path():
    """`alis-studio info` shows what the bundled model scored; a bundle is shared, so what it was
    trained on is named, not a folder of the machine that trained it."""
    from pathlib import Path

    meta = load_bundle(Path(__file__).parents[1] / "assets" / "default.alis", device="cpu").meta
    training = meta["training"]
    assert {"swd_frames", "swd_64_frames", "seam_anchor", "swd_ratio"} <= set(training["metrics"])
    dataset = str(training["dataset"])
    assert "/" not in dataset and "\\" not in dataset, dataset


def test_bundles_without_levels_keep_working(tmp_path, tiny_generator, tiny_bundle):
    """A version-2 bundle (one synthesis graph, as released before levels) renders full size only,
    the same pixels as the staged one; the full render through the stages equals the one graph."""
    from alis_studio.trainer.export import export_bundle

    v2 = load_bundle(export_bundle(tiny_generator, tmp_path / "v2.alis", tile_width=16, levels=False), device="cpu")
    assert (v2.version, v2.tiling, v2.levels) == (2, 2, [0])
    rng = np.random.default_rng(0)
    window = rng.standard_normal((3, v2.anchor_window, v2.w_dim)).astype(np.float32)
    tiles = np.array([0, 1, 3], np.int64)
    assert np.abs(v2.synthesize(window, tiles) - tiny_bundle.synthesize(window, tiles)).max() < 1e-5
    with pytest.raises(ValueError, match="no level 5"):
        tiny_bundle.synthesize(window, tiles, level=5)
