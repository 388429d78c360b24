"""`alis-studio import-official CHECKPOINT.pkl OUT.alis`: an official ALIS checkpoint as a format-1 bundle.

The pickle is read as data (safe_pickle), its G_ema's constructor arguments are checked against
the supported set and rebuilt as trainer/official.py's generator, every tensor of the checkpoint is
either loaded into it or is one of the few that inference does not use (listed below with the
reason), and the result is exported like our own models (trainer/export.py), so the app, `render`,
`export` and `eval` use it like any other bundle.
"""
from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import re
from pathlib import Path

import torch

from alis_studio.errors import ModelError, UserError
from alis_studio.trainer.export import OPSET, onnx_graph, write_bundle
from alis_studio.trainer.levels import export_stages, level_blocks, stages_meta
from alis_studio.trainer.official import FILTER, OfficialConfig, OfficialGenerator, UnsupportedConfig, parse_config
from alis_studio.trainer.safe_pickle import Record, load_pickle

FAMILY = "alis-official"
# checkpoint tensors inference does not use, and why
UNUSED = (
    (re.compile(r".*\.noise_(strength|const)$"), "noise is off (the official notebook's protocol)"),
    (re.compile(r".*resample_filter$"), "the fixed [1,3,3,1] filter, checked"),
    (re.compile(r"synthesis\.max_shift_strength$"), "the training ramp; inference uses full strength"),
)


def checkpoint_tensors(record: Record, prefix: str = "") -> dict[str, torch.Tensor]:
    """The state dict of a persistent module record: parameters and buffers, by dotted name."""
    out = {}
    for kind in ("_parameters", "_buffers"):
        for name, t in (record.state.get(kind) or {}).items():
            if t is not None:
                if not isinstance(t, torch.Tensor):
                    raise UnsupportedConfig(f"{prefix}{name} is not a tensor")
                out[prefix + name] = t
    for name, sub in record.submodules().items():
        if isinstance(sub, Record):
            out.update(checkpoint_tensors(sub, f"{prefix}{name}."))
    return out


def _check_unused(name: str, t: torch.Tensor) -> bool:
    for pattern, _ in UNUSED:
        if pattern.match(name):
            if name.endswith("resample_filter"):
                f = torch.tensor(FILTER)
                if t.shape != (4, 4) or not torch.allclose(t.float(), torch.outer(f, f) / f.sum() ** 2):
                    raise UnsupportedConfig(f"{name} is not the [1,3,3,1] filter")
            return True
    return False


def load_generator(tensors: dict[str, torch.Tensor], cfg: OfficialConfig) -> OfficialGenerator:
    """OfficialGenerator with every parameter and buffer from `tensors`; UnsupportedConfig listing
    the names that do not match (in either direction) or the shapes that differ."""
    G = OfficialGenerator(cfg).eval()
    want = G.state_dict()
    bases = {k: v.clone() for k, v in want.items() if k.endswith("basis")}  # derived from the config
    used = {k: v for k, v in tensors.items() if not _check_unused(k, v)}
    extra, missing = sorted(set(used) - set(want)), sorted(set(want) - set(used))
    if extra or missing:
        parts = ([f"unexpected {_names(extra)}"] if extra else []) + ([f"missing {_names(missing)}"] if missing else [])
        raise UnsupportedConfig("the checkpoint does not match the official architecture: " + "; ".join(parts))
    shapes = [k for k in want if tuple(want[k].shape) != tuple(used[k].shape)]
    if shapes:
        k = shapes[0]
        raise UnsupportedConfig(f"{len(shapes)} tensors differ in shape, e.g. {k}: {tuple(used[k].shape)} "
                                f"in the checkpoint, {tuple(want[k].shape)} expected")
    for name, basis in bases.items():
        if not torch.allclose(used[name].float(), basis):
            raise UnsupportedConfig(f"{name} differs from the logarithmic basis of the config")
    G.load_state_dict({k: v.float() for k, v in used.items()})
    return G


def _names(names: list[str]) -> str:
    return ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")


def read_checkpoint(path: Path, progress=None, hasher=None) -> tuple[OfficialGenerator, dict, dict]:
    """(generator, constructor kwargs, snapshot info) from an official pickle; ModelError on one
    line; progress(bytes, size) while it reads, `hasher` (a hashlib object) fed every byte."""
    data = load_pickle(path, progress, hasher)
    G_rec = data.get("G_ema") if isinstance(data, dict) else None
    if not isinstance(G_rec, Record) or G_rec.class_name != "Generator":
        raise ModelError(f"{path}: not an official ALIS snapshot (no G_ema Generator in it)")
    kwargs = G_rec.state.get("_init_kwargs")
    try:
        if not isinstance(kwargs, dict):
            raise UnsupportedConfig("G_ema records no constructor arguments")
        cfg = parse_config(kwargs)
        G = load_generator(checkpoint_tensors(G_rec), cfg)
    except UnsupportedConfig as e:
        raise ModelError(f"{path}: {e}") from None
    ts = data.get("training_set_kwargs") if isinstance(data.get("training_set_kwargs"), dict) else {}
    dataset = ts.get("path") if isinstance(ts.get("path"), str) else None
    # the data set by name, not the training machine's folders
    return G, kwargs, {"dataset": dataset.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] if dataset else None}


def bundle_meta(G: OfficialGenerator, kwargs: dict, source: dict, training: dict) -> dict:
    """model.json (DESIGN 3.1: version 3, tiling 1, levels of detail) of an imported generator."""
    from alis_studio import __version__

    cfg = G.cfg
    plan = level_blocks(cfg.resolutions, cfg.resolution, cfg.patch_width)
    return {
        "format": "alis-studio-model", "version": 3, "tiling": 1, "z_dim": cfg.z_dim, "w_dim": cfg.w_dim,
        "height": cfg.resolution, "patch_width": cfg.patch_width, "patches_per_interval": cfg.patches_per_interval,
        "tile_flops": G.synthesis.flops(),
        "stages": stages_meta(plan, cfg.resolution, cfg.patch_width, G.synthesis.flops),
        "w_avg": [float(v) for v in G.mapping.w_avg],
        "arch": {"family": FAMILY, "name": FAMILY, "official_kwargs": json.loads(json.dumps(kwargs, default=str)),
                 "parameters": sum(p.numel() for p in G.parameters()), "fp16_rounding": cfg.fp16_rounding,
                 "source": source},
        "training": training,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "producer": f"alis-studio {__version__} import-official (torch {torch.__version__}, opset {OPSET})",
    }


# shares of an import's time in its progress (of 100): reading the pickle, rebuilding the
# generator, the mapping graph, the synthesis stages, the probe
_READ, _BUILD, _MAPPING, _STAGES = 40, 45, 48, 92


def export_official(G: OfficialGenerator, out: Path, meta: dict, progress=None) -> Path:
    """Write the bundle atomically: mapping.onnx (z -> w) and the synthesis stages (w_pair, patch -> image
    at each level of detail, trainer/levels.py). progress(done, 100) from _BUILD to _STAGES."""
    text, cfg = json.dumps(meta), G.cfg
    tell = progress or (lambda done, total: None)
    with torch.no_grad():
        mapping = onnx_graph(G.mapping, (torch.randn(2, cfg.z_dim),), ["z"], ["w"], text)
        tell(_MAPPING, 100)
        pair, patch = torch.randn(2, 2, cfg.w_dim), torch.tensor([0, cfg.patches_per_interval - 1])
        plan = level_blocks(cfg.resolutions, cfg.resolution, cfg.patch_width)
        synthesis = export_stages(G.synthesis, plan, ("w_pair", "patch"), (pair, patch), text, onnx_graph,
                                  lambda j, n: tell(_MAPPING + (_STAGES - _MAPPING) * j // n, 100))
    return write_bundle(out, meta, mapping, synthesis)


def import_official(src: str | Path, out: str | Path, progress=None) -> Path:
    """The whole conversion, with progress(done, 100); the bundle is checked by the app's own loader
    (and a test inference) before this returns. UserError/ModelError on one line; nothing is left
    under `out` on failure."""
    src, out = Path(src), Path(out)
    if out.suffix != ".alis":
        raise UserError(f"{out}: the bundle to write must end in .alis")
    if not out.parent.is_dir():
        raise UserError(f"{out.parent}: no such folder")
    tell = progress or (lambda done, total: None)
    tell(0, 100)
    digest = hashlib.sha256()  # fed while the pickle is read: the file is read once, not twice
    G, kwargs, info = read_checkpoint(src, lambda done, size: tell(_READ * done // max(size, 1), 100), digest)
    tell(_BUILD, 100)
    meta = bundle_meta(G, kwargs, {"name": src.name, "sha256": digest.hexdigest()},
                       {"dataset": info["dataset"], "kimg": None, "metrics": {}, "imported": True})
    try:
        path = export_official(G, out, meta, tell)
    except OSError as e:
        raise UserError(f"{out}: cannot write the bundle ({e.strerror or e})") from None
    from alis_studio.engine.bundle import load_bundle

    try:
        load_bundle(path, device="cpu")
    except ModelError:
        path.unlink(missing_ok=True)
        raise
    tell(100, 100)
    return path


def alis_yml_cfg(**patchwise) -> dict:
    """The synthesis_cfg of configs/alis.yml as the official trainer records it (interpolations
    unresolved): the family this importer supports (for random-init bundles and tests)."""
    coords = {str(r): {"dim": d, "use_diagonal": True, "use_cosine": True}
              for r, d in ((8, 32), (16, 32), (32, 64), (64, 128), (128, 128), (256, 64), (512, 64), (1024, 64))}
    return {
        "force_zero_padding": False, "modulated_second_conv": True, "upsampling_mode": None,
        "min_resolution": "${input.resolution}", "mode_max_norm": 1, "num_modes": 1,
        "style": {"is_spatial": True, "fallback_to_mean": False, "kimg_to_reach_max_shift_strength": 1},
        "patchwise": {"enabled": True, "grid_size": 2, "w_coord_dist": 4, "w_lerp_multiplier": 1.0,
                      "mode_mixing_prob": 0.0, "instance_norm": False, **patchwise},
        "input": {"type": "grid", "resolution": 4, "kwargs": {"grid_size": "${patchwise.grid_size}",
                  "w_coord_dist": "${patchwise.w_coord_dist}", "w_lerp_multiplier": "${patchwise.w_lerp_multiplier}"}},
        "coords": {"enabled": True, "kernel_size": 3, "logarithmic": True, "remove_lowest_freq": True, "coord_dim": 2,
                   "fallback": False, "no_fourier_fallback": False, "use_cips_embs": False, "channels_dict": coords,
                   "fourier_scale": 10.0, "growth_schedule": {"enabled": False, "time_to_reach_all": 5000},
                   "w_coord_dist": "${patchwise.w_coord_dist}", "grid_size": "${patchwise.grid_size}"},
        "fmm": {"enabled": False, "ranks": {}, "mod_type": "mult", "use_rezero_fmm_add": False, "activation": "linear"},
    }


def lhq1024_kwargs() -> dict:
    """The constructor arguments of the paper's LHQ 1024 generator (scripts/train.py's `auto` config at
    1024 px: 2 mapping layers, channel_base 32768, 4 fp16 blocks with clamp 256; z = w = 512)."""
    return {"z_dim": 512, "w_dim": 512, "c_dim": 0, "img_resolution": 1024, "img_channels": 3,
            "mapping_kwargs": {"num_layers": 2},
            "synthesis_kwargs": {"channel_base": 32768, "channel_max": 512, "num_fp16_res": 4, "conv_clamp": 256},
            "synthesis_cfg": alis_yml_cfg()}


def export_random_official(kwargs: dict, out: str | Path, seed: int = 0, fp16_rounding: bool = True) -> Path:
    """A random-weight bundle of the official architecture (benchmarks, the app's big-model checks):
    weights N(0, 1) like the official init, w_avg from 1,000 samples; `fp16_rounding` False: the
    fp16 blocks in plain fp32 (what the rounding costs)."""
    cfg = dataclasses.replace(parse_config(kwargs), fp16_rounding=fp16_rounding)
    torch.manual_seed(seed)
    G = OfficialGenerator(cfg).eval()
    with torch.no_grad():
        G.mapping.w_avg.copy_(G.mapping(torch.randn(1000, cfg.z_dim)).mean(0))
    meta = bundle_meta(G, kwargs, {"name": None, "sha256": None, "random_init": True, "seed": seed},
                       {"dataset": None, "kimg": 0, "metrics": {}, "random_init": True})
    return export_official(G, Path(out), meta)
