"""`import-official`: official ALIS checkpoints (fixtures made by the official code itself with
scripts/make_official_fixtures.py) become bundles that reproduce the official mapping and the official
notebook's strip through ONNX Runtime; hostile pickles are refused without running anything."""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import sys
import types
import zipfile
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from alis_studio.cli.main import main  # noqa: E402
from alis_studio.engine.bundle import load_bundle  # noqa: E402
from alis_studio.errors import ModelError  # noqa: E402
from alis_studio.trainer.official import UnsupportedConfig, parse_config  # noqa: E402
from alis_studio.trainer.official_import import import_official  # noqa: E402
from alis_studio.trainer.safe_pickle import Record, load_pickle  # noqa: E402

DATA = Path(__file__).parent / "data"
FIXTURES = ["fp32-r32", "fp16-r64"]
TOLERANCE = 1e-3  # max abs difference, in image units (about [-1, 1]); no column offset is allowed


@pytest.fixture(scope="module", params=FIXTURES)
def imported(request, tmp_path_factory):
    name = request.param
    out = import_official(DATA / f"official-{name}.pkl", tmp_path_factory.mktemp("off") / f"{name}.alis")
    return name, load_bundle(out, device="cpu"), np.load(DATA / f"official-{name}.npz")


def official_strip(bundle, w: np.ndarray) -> np.ndarray:
    """The strip with anchor j = w[j] at column j * d, patch by patch through ONNX Runtime."""
    K, pieces = bundle.tiles_per_interval, []
    for i in range(len(w) - 1):
        pairs = np.repeat(np.stack([w[i], w[i + 1]])[None], K, axis=0).astype(np.float32)  # (K, 2, w_dim)
        pieces.append(np.concatenate(list(bundle.synthesize(pairs, np.arange(K, dtype=np.int64))), axis=2))
    return np.concatenate(pieces, axis=2)  # (3, H, intervals * d)


def test_mapping_matches_the_official_code(imported):
    _, bundle, ref = imported
    w = bundle.mapping.run(["w"], {"z": ref["z"]})[0]
    assert np.abs(w - ref["w"]).max() < TOLERANCE


def test_strip_matches_the_official_notebook(imported):
    name, bundle, ref = imported
    strip = official_strip(bundle, ref["w"])
    assert strip.shape == ref["strip"].shape
    diff = np.abs(strip - ref["strip"])
    assert diff.max() < TOLERANCE, f"{name}: max diff {diff.max():.2e}"
    assert ref["strip"].std() > 0.3  # a real image, not a flat one that any model would match


def test_engine_renders_the_same_strip(imported, tmp_path):
    """Through the renderer (explicit anchors, psi 1, uint8 tiles) like any other bundle."""
    from alis_studio.engine.renderer import Renderer, to_uint8
    from alis_studio.engine.scene import AnchorSpec, Scene

    _, bundle, ref = imported
    scene = Scene(seed=0, psi=1.0)
    for j, w in enumerate(ref["w"]):
        scene.set_anchor(j, AnchorSpec(w=tuple(float(v) for v in w), pinned=True))
    r = Renderer(bundle, workers=1, batch_size=4)
    try:
        n = (len(ref["w"]) - 1) * bundle.tiles_per_interval
        strip = np.concatenate(r.render(r.keys(scene, 0, n)), axis=1)
    finally:
        r.close()
    want = to_uint8(ref["strip"][None])[0]
    assert strip.shape == want.shape
    assert np.abs(strip.astype(int) - want).max() <= 1


def test_bundle_records_its_source(imported):
    name, bundle, _ = imported
    src = DATA / f"official-{name}.pkl"
    arch = bundle.meta["arch"]
    assert arch["family"] == "alis-official" and bundle.tiling == 1 and bundle.levels == [3, 2, 1, 0]
    assert arch["source"] == {"name": src.name, "sha256": hashlib.sha256(src.read_bytes()).hexdigest()}
    G = load_pickle(src)["G_ema"]
    assert arch["official_kwargs"]["synthesis_kwargs"] == G.state["_init_kwargs"]["synthesis_kwargs"]
    w_avg = G.submodules()["mapping"].state["_buffers"]["w_avg"]
    assert np.allclose(bundle.w_avg, w_avg.numpy())
    assert bundle.meta["training"]["dataset"] == f"{name}.zip"  # by name, not the training machine's folder


# --------------------------------------------------------------------------- crafted pickles


def _fake_persistence(monkeypatch):
    """A stand-in torch_utils.persistence whose records pickle like the official ones."""
    mod = types.ModuleType("torch_utils.persistence")

    def _reconstruct_persistent_obj(meta):  # never called: the tests only write pickles
        raise AssertionError

    _reconstruct_persistent_obj.__module__ = mod.__name__
    _reconstruct_persistent_obj.__qualname__ = "_reconstruct_persistent_obj"
    mod._reconstruct_persistent_obj = _reconstruct_persistent_obj
    monkeypatch.setitem(sys.modules, "torch_utils", types.ModuleType("torch_utils"))
    monkeypatch.setitem(sys.modules, "torch_utils.persistence", mod)
    return _reconstruct_persistent_obj


class _Persistent:
    def __init__(self, fn, meta):
        self.fn, self.meta = fn, meta

    def __reduce__(self):
        return self.fn, (self.meta,)


def repickle(data, path: Path, fn, src: str = "") -> Path:
    """Write `data` (as load_pickle returns it) back as an official-style pickle."""
    def conv(o):
        if isinstance(o, Record):
            return _Persistent(fn, {"type": "class", "version": 6, "module_src": src,
                                    "class_name": o.class_name, "state": conv(o.state)})
        if isinstance(o, dict):
            return {k: conv(v) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return type(o)(conv(v) for v in o)
        return o
    path.write_bytes(pickle.dumps(conv(data)))
    return path


@pytest.fixture
def fixture_data():
    return load_pickle(DATA / "official-fp32-r32.pkl")


def error_lines(capsys) -> list[str]:
    """stderr's lines other than the progress bar's (which a failure ends with a newline)."""
    lines = [ln.rsplit("\r", 1)[-1].strip() for ln in capsys.readouterr().err.splitlines()]
    return [ln for ln in lines if ln and not ln.startswith("importing [")]


class _System:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_hostile_pickle_is_refused_without_running(tmp_path, capsys):
    marker, src, out = tmp_path / "PWNED", tmp_path / "evil.pkl", tmp_path / "out.alis"
    src.write_bytes(pickle.dumps({"G_ema": _System(marker)}))
    assert main(["import-official", str(src), str(out)]) == 2
    err = error_lines(capsys)
    assert len(err) == 1 and "refused to load the global" in err[0] and "system" in err[0]
    err = err[0]
    assert str(src) in err
    assert not marker.exists() and not out.exists() and list(tmp_path.iterdir()) == [src]


@pytest.mark.parametrize("payload", [
    lambda m: pickle.dumps(eval),  # builtins.eval
    lambda m: b"cos\nsystem\n(S'touch " + str(m).encode() + b"'\ntR.",  # protocol 0 GLOBAL + REDUCE
    lambda m: pickle.dumps(zipfile.ZipFile),
])
def test_other_globals_are_refused(tmp_path, payload):
    marker, src = tmp_path / "PWNED", tmp_path / "evil.pkl"
    src.write_bytes(payload(marker))
    with pytest.raises(ModelError, match="refused to load the global"):
        load_pickle(src)
    assert not marker.exists()


def test_hostile_storage_bytes_are_refused(tmp_path):
    """A tensor storage is a pickle inside the pickle: torch's weights-only loader reads it."""
    marker, src = tmp_path / "PWNED", tmp_path / "evil.pkl"
    inner = pickle.dumps(_System(marker))

    class _Storage:
        def __reduce__(self):
            return torch.storage._load_from_bytes, (inner,)

    src.write_bytes(pickle.dumps({"G_ema": _Storage()}))
    with pytest.raises(ModelError, match="weights-only loader refuses"):
        load_pickle(src)
    assert not marker.exists()


def test_embedded_module_source_never_runs(tmp_path, monkeypatch, fixture_data):
    """The official loader execs a record's module source; ours never reads it."""
    marker = tmp_path / "PWNED"
    fn = _fake_persistence(monkeypatch)
    src = repickle(fixture_data, tmp_path / "ckpt.pkl", fn,
                   src=f"import os\nos.system('touch {marker}')\nGenerator = object\n")
    out = import_official(src, tmp_path / "ok.alis")  # a valid checkpoint: converts, source unused
    assert out.exists() and not marker.exists()


@pytest.mark.parametrize("change, message", [
    (lambda k: k["synthesis_cfg"]["patchwise"].update(instance_norm=True), "patchwise.instance_norm"),
    (lambda k: k["synthesis_cfg"]["fmm"].update(enabled=True), "fmm.enabled"),
    (lambda k: k["synthesis_cfg"]["input"].update(type="const"), "input.type"),
    (lambda k: k["synthesis_cfg"]["coords"].update(kernel_size=1), "coords.kernel_size"),
    (lambda k: k["synthesis_cfg"].update(new_option=3), "synthesis_cfg option new_option"),
    (lambda k: k["synthesis_kwargs"].update(architecture="resnet"), "architecture"),
    (lambda k: k["synthesis_kwargs"].update(channels_last=True), "synthesis_kwargs option channels_last"),
    (lambda k: k["mapping_kwargs"].update(activation="relu"), "activation"),
    (lambda k: k["synthesis_cfg"]["patchwise"].update(w_coord_dist=6), "w_coord_dist"),
    (lambda k: k.update(c_dim=10), "c_dim"),
])
def test_unsupported_configs_are_refused_by_name(fixture_data, change, message):
    kwargs = json.loads(json.dumps(fixture_data["G_ema"].state["_init_kwargs"]))
    parse_config(kwargs)  # the fixture itself is supported
    change(kwargs)
    with pytest.raises(UnsupportedConfig, match=message.replace(".", r"\.")):
        parse_config(kwargs)


def test_unsupported_config_is_one_line_and_writes_nothing(tmp_path, monkeypatch, fixture_data, capsys):
    fixture_data["G_ema"].state["_init_kwargs"]["synthesis_cfg"]["style"]["fallback_to_mean"] = True
    src = repickle(fixture_data, tmp_path / "ckpt.pkl", _fake_persistence(monkeypatch))
    out = tmp_path / "out.alis"
    assert main(["import-official", str(src), str(out)]) == 2
    err = error_lines(capsys)
    assert len(err) == 1 and "style.fallback_to_mean = True is not supported" in err[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pkl"]


def _module(record: Record, dotted: str) -> Record:
    for part in dotted.split("."):
        record = record.submodules()[part]
    return record


def test_tensors_must_match_name_for_name(tmp_path, monkeypatch, fixture_data):
    G = fixture_data["G_ema"]
    del _module(G, "synthesis.b8.conv0").state["_parameters"]["weight"]
    _module(G, "synthesis.b16").state["_parameters"]["surprise"] = torch.zeros(3)
    src = repickle(fixture_data, tmp_path / "ckpt.pkl", _fake_persistence(monkeypatch))
    with pytest.raises(ModelError, match=r"unexpected synthesis\.b16\.surprise; missing synthesis\.b8\.conv0\.weight"):
        import_official(src, tmp_path / "out.alis")
    assert not (tmp_path / "out.alis").exists()


def test_shapes_must_match(tmp_path, monkeypatch, fixture_data):
    _module(fixture_data["G_ema"], "mapping.fc1").state["_parameters"]["bias"] = torch.zeros(7)
    src = repickle(fixture_data, tmp_path / "ckpt.pkl", _fake_persistence(monkeypatch))
    with pytest.raises(ModelError, match=r"mapping\.fc1\.bias: \(7,\) in the checkpoint"):
        import_official(src, tmp_path / "out.alis")


@pytest.mark.parametrize("content, message", [
    (b"", "cannot read the checkpoint"),
    (b"not a pickle at all", "cannot read the checkpoint"),
    (pickle.dumps({"G": 1}), "no G_ema Generator"),
])
def test_damaged_files(tmp_path, content, message):
    src = tmp_path / "x.pkl"
    src.write_bytes(content)
    with pytest.raises(ModelError, match=message):
        import_official(src, tmp_path / "out.alis")


def test_cli_imports_and_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "m.alis"
    assert main(["import-official", str(DATA / "official-fp32-r32.pkl"), str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert main(["import-official", str(DATA / "official-fp32-r32.pkl"), str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    png = tmp_path / "p.png"
    assert main(["render", "--model", str(out), "--seed", "3", "--intervals", "2", "--out", str(png)]) == 0
    from PIL import Image

    with Image.open(png) as im:
        assert im.size == (2 * 64, 32)


def test_fixtures_stay_small():
    files = list(DATA.glob("official-*"))
    assert len(files) == 2 * len(FIXTURES) and all(p.stat().st_size < 2_000_000 for p in files)


def test_reading_reports_progress(tmp_path):
    src = tmp_path / "big.pkl"
    src.write_bytes(pickle.dumps({"payload": [bytes([i]) * 1_000_000 for i in range(12)]}))  # like 12 tensors
    seen = []
    assert load_pickle(src, lambda done, size: seen.append((done, size)))["payload"][11][:1] == b"\x0b"
    assert len(seen) >= 2 and all(size == src.stat().st_size for _, size in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_numeric_numpy_arrays_are_data_object_arrays_are_refused(tmp_path):
    """A snapshot's training_set_kwargs may hold numpy numbers; an object array could hold anything."""
    src = tmp_path / "np.pkl"
    src.write_bytes(pickle.dumps({"a": np.arange(5, dtype=np.int64), "f": np.float32(0.5)}))
    data = load_pickle(src)
    assert data["a"].tolist() == [0, 1, 2, 3, 4] and data["f"] == np.float32(0.5)
    src.write_bytes(pickle.dumps({"o": np.array([1, "x"], dtype=object)}))
    with pytest.raises(ModelError, match="numpy dtype object is not numeric"):
        load_pickle(src)
