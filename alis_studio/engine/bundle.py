"""Load and validate an `.alis` model bundle (DESIGN.md 3.1) into ONNX Runtime sessions."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import time
import zipfile
from pathlib import Path

import numpy as np

from alis_studio.engine.levels import StagedSession, check_stage_shapes, parse_stages
from alis_studio.errors import ModelError

FORMAT, VERSION = "alis-studio-model", 3
MEMBERS = ("model.json", "mapping.onnx", "synthesis.onnx")  # versions 1 and 2; 3 lists its stages
REQUIRED_KEYS = ("z_dim", "w_dim", "height", "patch_width", "patches_per_interval", "w_avg")
FORMAT2_KEYS = ("tile_width", "anchor_window")
# synthesis.onnx's (anchor input, tile index input) by tiling (1: patches, 2: seamless tiles)
SYNTHESIS_INPUTS = {1: ("w_pair", "patch"), 2: ("w_window", "tile")}


def default_model_path() -> Path:
    """The bundled default model (assets/default.alis; it may be missing from a source checkout)."""
    from alis_studio.assets import DEFAULT_MODEL

    return DEFAULT_MODEL


def resolve_model(path: str | os.PathLike | None) -> Path:
    """The model to use: the one given, else the bundled default (shared by the CLI and the GUI)."""
    if path:
        return Path(path)
    p = default_model_path()
    if not p.exists():
        raise ModelError(f"{p}: the bundled default model is missing; pass --model MODEL.alis")
    return p


@dataclasses.dataclass
class ModelBundle:
    path: Path
    meta: dict
    sha256: str
    mapping: object  # onnxruntime.InferenceSession
    synthesis: object  # onnxruntime.InferenceSession
    provider: str  # "CUDAExecutionProvider" or "CPUExecutionProvider": what the sessions really use
    probe_seconds: float | None = None  # the load's test tile at full size (a first call: an upper bound)

    @property
    def z_dim(self) -> int:
        return int(self.meta["z_dim"])

    @property
    def w_dim(self) -> int:
        return int(self.meta["w_dim"])

    @property
    def height(self) -> int:
        return int(self.meta["height"])

    @property
    def version(self) -> int:
        return int(self.meta["version"])

    @property
    def tiling(self) -> int:
        """1: patches rendered alone with zero padding; 2: seamless tiles (version 3 says which)."""
        return int(self.meta["tiling"]) if self.version >= 3 else self.version

    @property
    def levels(self) -> list[int]:
        """Levels of detail the synthesis can stop at (L: 1/2^L of the full size), coarsest first."""
        return list(self.synthesis.levels) if hasattr(self.synthesis, "levels") else [0]

    @property
    def level_flops(self) -> dict[int, float]:
        """FLOPs of one tile rendered to each level of detail (what model.json's stages record)."""
        return {int(st["level"]): float(st["flops"]) for st in self.meta.get("stages") or () if "flops" in st}

    @property
    def tile_width(self) -> int:
        """T: the columns one synthesis call renders (format 1: the patch width)."""
        return int(self.meta["tile_width"] if self.tiling >= 2 else self.meta["patch_width"])

    @property
    def anchor_window(self) -> int:
        """A: anchors a tile needs, i-A/2+1 .. i+A/2 for a tile of interval i (format 1: 2)."""
        return int(self.meta["anchor_window"]) if self.tiling >= 2 else 2

    @property
    def interval_width(self) -> int:
        """d: the anchor spacing in pixels."""
        return int(self.meta["patch_width"]) * int(self.meta["patches_per_interval"])

    @property
    def tiles_per_interval(self) -> int:
        return self.interval_width // self.tile_width

    @property
    def frame_width(self) -> int:
        """Width of the frames the discriminator saw in training (two patches)."""
        return 2 * int(self.meta["patch_width"])

    @property
    def synthesis_inputs(self) -> tuple[str, str]:
        return SYNTHESIS_INPUTS[self.tiling]

    def synthesize(self, w_window: np.ndarray, tile: np.ndarray, run_options=None, level: int = 0) -> np.ndarray:
        """(B, A, w_dim) float32 anchor windows, (B,) int64 tiles -> (B, 3, H >> level, T >> level)
        float32 (level: a level of detail of `levels`, 0 the full size).
        run_options: an onnxruntime.RunOptions, whose `terminate` stops the call from another thread."""
        names = self.synthesis_inputs
        feeds = {names[0]: w_window, names[1]: tile}
        if level:
            return self.synthesis.run(["image"], feeds, run_options, level=level)[0]
        return self.synthesis.run(["image"], feeds, run_options)[0]

    def synthesize_from(self, w_window: np.ndarray, tile: np.ndarray, level: int, start: tuple | None = None,
                        run_options=None, carry: bool = False) -> tuple[np.ndarray, tuple | None]:
        """`synthesize` for levels of detail (StagedSession.run_from): going on from `start`, the
        (level, x, rgb) a coarser render of the same tiles carried out; returns (image, carried)."""
        names = self.synthesis_inputs
        return self.synthesis.run_from({names[0]: w_window, names[1]: tile}, level, start, run_options, carry)

    @property
    def w_avg(self) -> np.ndarray:
        return np.asarray(self.meta["w_avg"], dtype=np.float32)

    @property
    def device_name(self) -> str:
        return "CUDA" if self.provider.startswith("CUDA") else "CPU"


def kimg_note(training: dict) -> str:
    """" (N kimg)" when model.json's training says how long it trained (imports may not know)."""
    kimg = (training or {}).get("kimg")
    return f" ({kimg:g} kimg)" if isinstance(kimg, (int, float)) and not isinstance(kimg, bool) else ""


def load_bundle(path: str | os.PathLike, *, device: str = "auto", threads: int = 0) -> ModelBundle:
    """Open `path`, check every part of the contract, and create the ORT sessions.

    device: "auto" (CUDA when it really works, else CPU), "cpu" or "cuda".
    Raises ModelError with one line naming the file and the problem.
    """
    path = Path(path)
    meta = _parse_meta(path, _read_members(path, ("model.json",))["model.json"])
    stages = parse_stages(path, meta) if meta["version"] >= 3 else None
    names = [s["member"] for s in stages] if stages else ["synthesis.onnx"]
    data = _read_members(path, ("mapping.onnx", *names))
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    mapping, provider = _session(path, "mapping.onnx", data["mapping.onnx"], device, threads)
    sessions = [_session(path, n, data[n], device, threads)[0] for n in names]
    _check_io(path, "mapping.onnx", mapping, {"z": ("tensor(float)", ["B", meta["z_dim"]])},
              {"w": ("tensor(float)", ["B", meta["w_dim"]])})
    window, tile = SYNTHESIS_INPUTS[meta.get("tiling", meta["version"]) if stages else meta["version"]]
    synthesis = StagedSession([(s["level"], x) for s, x in zip(stages, sessions)], window, tile) if stages \
        else sessions[0]
    bundle = ModelBundle(path, meta, sha, mapping, synthesis, provider)
    ins = {window: ("tensor(float)", ["B", bundle.anchor_window, meta["w_dim"]]), tile: ("tensor(int64)", ["B"])}
    for j, (name, sess) in enumerate(zip(names, sessions)):
        last, level = j == len(names) - 1, stages[j]["level"] if stages else 0
        image = {"image": ("tensor(float)", ["B", 3, meta["height"] >> level, bundle.tile_width >> level])}
        carried = {"x": ("tensor(float)", ["B", "C", "H", "W"]), "rgb": ("tensor(float)", ["B", 3, "H", "W"])}
        _check_io(path, name, sess, {**ins, **(carried if j else {})},
                  {**image, **({} if last else {k + "_out": v for k, v in carried.items()})})
    _probe(bundle)
    return bundle


def read_meta(path: str | os.PathLike) -> dict:
    """A bundle's model.json, checked as `load_bundle` checks it, without reading the networks or
    starting ONNX Runtime (a session is checked against it before the model opens)."""
    path = Path(path)
    return _parse_meta(path, _read_members(path, ("model.json",))["model.json"])


def _read_members(path: Path, wanted=MEMBERS) -> dict[str, bytes]:
    if not path.exists():
        raise ModelError(f"{path}: no such file")
    if path.is_dir():
        raise ModelError(f"{path}: is a folder, not an .alis model file")
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            missing = [m for m in wanted if m not in names]
            if missing:
                raise ModelError(f"{path}: not a complete .alis model bundle (lacks {', '.join(missing)})")
            return {m: zf.read(m) for m in wanted}
    except zipfile.BadZipFile:
        raise ModelError(f"{path}: not an .alis model bundle (not a zip archive)") from None
    except (OSError, zipfile.LargeZipFile, RuntimeError) as e:
        raise ModelError(f"{path}: cannot read the model bundle ({e})") from None


def _parse_meta(path: Path, raw: bytes) -> dict:
    try:
        meta = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise ModelError(f"{path}: model.json is not valid JSON ({e})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelError(f"{path}: model.json is not an alis-studio model description")
    version = meta.get("version")
    if not isinstance(version, int) or version < 1:
        raise ModelError(f"{path}: model.json has no valid format version")
    if version > VERSION:
        raise ModelError(f"{path}: model format version {version} is newer than this alis-studio reads "
                         f"(up to {VERSION}); upgrade alis-studio")
    if version >= 3 and meta.get("tiling") not in (1, 2):
        raise ModelError(f"{path}: model.json (version 3) has no valid 'tiling' (1 or 2): {meta.get('tiling')!r}")
    for key in REQUIRED_KEYS:
        if key not in meta:
            raise ModelError(f"{path}: model.json lacks {key!r}")
    for key in REQUIRED_KEYS[:-1]:
        if not isinstance(meta[key], int) or meta[key] <= 0:
            raise ModelError(f"{path}: model.json has an invalid {key!r}: {meta[key]!r}")
    if not isinstance(meta["w_avg"], list) or len(meta["w_avg"]) != meta["w_dim"]:
        raise ModelError(f"{path}: model.json's w_avg does not have w_dim = {meta['w_dim']} values")
    if (meta.get("tiling") if version >= 3 else version) == 2:
        for key in FORMAT2_KEYS:
            if not isinstance(meta.get(key), int) or meta[key] <= 0:
                raise ModelError(f"{path}: model.json (format 2) has no valid {key!r}: {meta.get(key)!r}")
        d = meta["patch_width"] * meta["patches_per_interval"]
        if d % meta["tile_width"]:
            raise ModelError(f"{path}: model.json's tile_width {meta['tile_width']} does not divide "
                             f"the anchor spacing {d}")
        if meta["anchor_window"] % 2:
            raise ModelError(f"{path}: model.json's anchor_window must be even, got {meta['anchor_window']}")
    return meta


def available_providers() -> list[str]:
    import onnxruntime as ort

    return ort.get_available_providers()


def _session(path: Path, member: str, model: bytes, device: str, threads: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3  # keep ORT's warnings (e.g. missing CUDA libraries) from the user
    if threads:
        opts.intra_op_num_threads = threads
    has_cuda = "CUDAExecutionProvider" in available_providers()
    if device == "cuda" and not has_cuda:
        raise ModelError(f"{path}: CUDA was requested but this ONNX Runtime has no CUDA provider "
                         "(install onnxruntime-gpu, or use --device cpu)")
    want_cuda = device == "cuda" or (device == "auto" and has_cuda)
    providers = (["CUDAExecutionProvider"] if want_cuda else []) + ["CPUExecutionProvider"]
    try:
        # onnxruntime-gpu without CUDA libraries logs load errors, then falls back to the CPU:
        # silence them (the provider actually used is reported instead)
        ort.set_default_logger_severity(4 if want_cuda else 3)
        sess = ort.InferenceSession(model, sess_options=opts, providers=providers)
    except Exception as e:  # ORT raises its own exception types for corrupt or invalid graphs
        raise ModelError(f"{path}: {member} is not a valid ONNX model ({_ort_reason(e)})") from None
    provider = sess.get_providers()[0]  # what it really got: onnxruntime-gpu falls back silently
    if device == "cuda" and provider != "CUDAExecutionProvider":
        raise ModelError(f"{path}: CUDA was requested but ONNX Runtime could not use it")
    return sess, provider


def _ort_reason(e: Exception) -> str:
    """ORT's message without its error-code prefix and C++ source location, on one line."""
    text = " ".join(str(e).split()) or type(e).__name__
    text = re.sub(r"^\[ONNXRuntimeError\] : \d+ : \w+ : ", "", text)
    text = re.sub(r"^/\S+:\d+ .*?\) ", "", text)  # "/onnxruntime_src/...cc:256 fn(args...) "
    return text[:200]


def _check_io(path: Path, member: str, sess, inputs: dict, outputs: dict):
    for kind, want, got in (("input", inputs, sess.get_inputs()), ("output", outputs, sess.get_outputs())):
        found = {a.name: (a.type, a.shape) for a in got}
        if set(found) != set(want):
            raise ModelError(f"{path}: {member} has {kind}s {sorted(found)}, expected {sorted(want)}")
        for name, (dtype, shape) in want.items():
            gtype, gshape = found[name]
            ok = gtype == dtype and len(gshape) == len(shape) and all(
                isinstance(w, str) or g == w or not isinstance(g, int) for g, w in zip(gshape, shape))
            if not ok:
                raise ModelError(f"{path}: {member} {kind} {name!r} is {gtype} {gshape}, "
                                 f"expected {dtype} {shape}")


def _probe(bundle: ModelBundle):
    """One tiny inference, so a graph that loads but computes the wrong shape fails now, not later."""
    try:
        w = bundle.mapping.run(["w"], {"z": np.zeros((1, bundle.z_dim), np.float32)})[0]
        window = np.repeat(w[:, None], bundle.anchor_window, axis=1)
        t0 = time.perf_counter()
        img = bundle.synthesize(window, np.zeros(1, np.int64))
        bundle.probe_seconds = time.perf_counter() - t0  # what a tile costs before any batch has run
        coarse = bundle.levels[0]  # the coarsest level's stage alone (cheap; the full render ran them all)
        small = bundle.synthesize(window, np.zeros(1, np.int64), level=coarse) if coarse else img
    except Exception as e:
        raise ModelError(f"{bundle.path}: the model failed a test inference ({_ort_reason(e)})") from None
    want = (1, 3, bundle.height, bundle.tile_width)
    if w.shape != (1, bundle.w_dim) or img.shape != want:
        raise ModelError(f"{bundle.path}: the model produced {img.shape}, expected {want}")
    check_stage_shapes(bundle, small, coarse)
