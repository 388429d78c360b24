"""Export a generator to the `.alis` model bundle (DESIGN.md 3.1): two ONNX graphs and model.json."""
from __future__ import annotations

import copy
import datetime
import io
import json
import os
import warnings
import zipfile
from pathlib import Path

import torch
from torch import nn

from alis_studio.atomic import atomic_write
from alis_studio.engine.bundle import FORMAT
from alis_studio.trainer.levels import export_stages, level_blocks, stages_meta
from alis_studio.trainer.model import Generator, ModelConfig, SAModulatedConv

OPSET = 17


class _MappingGraph(nn.Module):
    def __init__(self, G: Generator):
        super().__init__()
        self.mapping = G.mapping

    def forward(self, z):  # (B, z_dim) -> (B, w_dim)
        return self.mapping(z)


class _SynthesisGraph(nn.Module):
    def __init__(self, G: Generator):
        super().__init__()
        self.synthesis = G.synthesis

    def forward(self, w_window, tile):  # (B, A, w_dim), (B,) -> (B, 3, H, T)
        return self.synthesis(w_window, tile)


def model_metadata(G: Generator, training: dict | None = None, levels: bool = True) -> dict:
    """model.json (DESIGN 3.1): format 2 configs give version 3 (seamless tiles, levels of detail),
    or 2 without `levels` (one graph, what releases before levels read); format 1 ones version 1."""
    from alis_studio import __version__

    cfg, S, w_avg = G.cfg, G.synthesis, G.w_avg
    tiles = {"tile_width": S.tile_width, "anchor_window": S.anchor_window} if cfg.format == 2 else {}
    tiles["tile_flops"] = S.flops(S.tile_width)  # per synthesis call, margins included
    staged = cfg.format == 2 and levels
    if staged:
        plan = level_blocks(cfg.resolutions, cfg.height, S.tile_width)
        tiles.update(tiling=2, stages=stages_meta(plan, cfg.height, S.tile_width,
                                                   lambda n: S.flops(S.tile_width, blocks=n)))
    return {
        "format": FORMAT,
        "version": 3 if staged else cfg.format,
        "z_dim": cfg.z_dim,
        "w_dim": cfg.w_dim,
        "height": cfg.height,
        "patch_width": cfg.patch_width,
        "patches_per_interval": cfg.patches_per_interval,
        **tiles,
        "w_avg": [float(v) for v in w_avg.detach().cpu().float()],
        "arch": cfg.to_dict(),
        "training": training or {"dataset": None, "kimg": 0, "metrics": {}},
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "producer": f"alis-studio {__version__} (torch {torch.__version__})",
    }


def onnx_graph(module: nn.Module, args: tuple, input_names, output_names, meta_text: str) -> bytes:
    """`module` as ONNX bytes with a dynamic batch, model.json's text under metadata key `alis`."""
    import onnx

    dyn = {name: {0: "batch"} for name in list(input_names) + list(output_names)}
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(module, args, buf, input_names=list(input_names), output_names=list(output_names),
                          dynamic_axes=dyn, opset_version=OPSET, dynamo=False)
    model = onnx.load_from_string(buf.getvalue())
    entry = model.metadata_props.add()
    entry.key, entry.value = "alis", meta_text
    onnx.checker.check_model(model)
    return model.SerializeToString()


def default_tile_width(cfg: ModelConfig) -> int:
    """Format 2's default tile: a whole anchor interval (fewest margin columns per output column;
    benchmarks/bench_synthesis.py measures the alternatives). Format 1: the patch."""
    return cfg.interval_width if cfg.format == 2 else cfg.patch_width


def export_bundle(G: Generator, out_path: str | os.PathLike, training: dict | None = None,
                  tile_width: int | None = None, levels: bool = True) -> Path:
    """Write `G` (usually the EMA generator) as a `.alis` bundle, atomically. Returns the path.

    tile_width: format 2's T (a multiple of height/4 dividing the anchor spacing; default
    `default_tile_width`). Raises ValueError for an invalid one. levels: format 2's synthesis as
    stages, one per level of detail (version 3); False: one graph (version 2)."""
    cfg, out_path = G.cfg, Path(out_path)
    G = copy.deepcopy(G).eval().cpu().float()
    G.synthesis.set_tile_width(tile_width or default_tile_width(cfg))
    meta = model_metadata(G, training, levels)
    meta_text = json.dumps(meta)
    for m in G.modules():
        if isinstance(m, SAModulatedConv):
            m.freeze()
    with torch.no_grad():
        z = torch.randn(2, cfg.z_dim)
        mapping = onnx_graph(_MappingGraph(G), (z,), ["z"], ["w"], meta_text)
        S = G.synthesis
        window = torch.randn(2, S.anchor_window, cfg.w_dim)
        tile = torch.tensor([0, S.tiles_per_interval - 1], dtype=torch.int64)
        if meta["version"] == 3:
            plan = level_blocks(cfg.resolutions, cfg.height, S.tile_width)
            synthesis = export_stages(S, plan, ("w_window", "tile"), (window, tile), meta_text, onnx_graph)
        else:
            names = ["w_window", "tile"] if cfg.format == 2 else ["w_pair", "patch"]
            synthesis = {"synthesis.onnx": onnx_graph(_SynthesisGraph(G), (window, tile), names, ["image"], meta_text)}
    out_path.parent.mkdir(parents=True, exist_ok=True)
    return write_bundle(out_path, meta, mapping, synthesis)


def write_bundle(out_path: Path, meta: dict, mapping: bytes, synthesis: dict[str, bytes]) -> Path:
    """The .alis zip (stored, DESIGN 3.1), atomically; `synthesis`: its members (one graph, or the
    stages of a bundle with levels)."""
    with atomic_write(out_path) as tmp, zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("model.json", json.dumps(meta, indent=1))
        zf.writestr("mapping.onnx", mapping)
        for name, data in synthesis.items():
            zf.writestr(name, data)
    return out_path


def random_generator(config: str | ModelConfig, seed: int = 0) -> Generator:
    """A seeded random-weight generator; w_avg is estimated from 2,000 samples (tests, benchmarks)."""
    from alis_studio.trainer.model import get_config

    cfg = get_config(config) if isinstance(config, str) else config
    torch.manual_seed(seed)
    G = Generator(cfg)
    with torch.no_grad():
        G.w_avg.copy_(G.mapping(torch.randn(2000, cfg.z_dim)).mean(0))
    return G.eval()


def export_random(config: str | ModelConfig, out_path, seed: int = 0, tile_width: int | None = None,
                  levels: bool = True) -> Path:
    """A random-weight bundle of `random_generator(config, seed)`."""
    G = random_generator(config, seed)
    return export_bundle(G, out_path, {"dataset": None, "kimg": 0, "metrics": {}, "random_init": True, "seed": seed},
                         tile_width, levels)
