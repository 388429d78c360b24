"""One checkpoint format for training, resume and export: state dicts, the config, the step and
the RNG states, in a `torch.save` file written atomically. Never pickled modules: a checkpoint
loads with `weights_only=True` and any script rebuilds the networks from its config."""
from __future__ import annotations

import json
import os
import random
from pathlib import Path

import numpy as np
import torch

from alis_studio.atomic import atomic_write
from alis_studio.errors import UserError
from alis_studio.trainer.model import Generator, ModelConfig

FORMAT, VERSION = "alis-studio-checkpoint", 1


def capture_rng() -> dict:
    """The global RNG states (torch CPU and CUDA, numpy, random) as tensors and JSON text."""
    np_state = np.random.get_state(legacy=False)
    np_state["state"]["key"] = np_state["state"]["key"].tolist()
    py = random.getstate()
    state = {"torch": torch.get_rng_state(), "numpy": json.dumps(np_state),
             "python": json.dumps([py[0], list(py[1]), py[2]])}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])
    np_state = json.loads(state["numpy"])
    np_state["state"]["key"] = np.asarray(np_state["state"]["key"], dtype=np.uint32)
    np.random.set_state(np_state)
    version, internal, gauss = json.loads(state["python"])
    random.setstate((version, tuple(internal), gauss))


def save_checkpoint(path: str | os.PathLike, *, cfg: ModelConfig, G, D, G_ema, step: int, nimg: int,
                    opt_G=None, opt_D=None, scalers: dict | None = None, sampler: dict | None = None,
                    options: dict | None = None, training: dict | None = None, slim_copy=None,
                    D_half=None, opt_D_half=None) -> Path:
    """Write the whole training state to `path` atomically (temp file in the same folder, rename),
    and its slim form to `slim_copy` when given (from memory: the big file is not read back)."""
    path = Path(path)
    state = {
        "format": FORMAT, "version": VERSION, "config": cfg.to_dict(), "step": int(step), "nimg": int(nimg),
        "G": G.state_dict(), "D": D.state_dict(), "G_ema": G_ema.state_dict(),
        "opt_G": opt_G.state_dict() if opt_G else None, "opt_D": opt_D.state_dict() if opt_D else None,
        "scalers": scalers or {}, "sampler": sampler, "rng": capture_rng(),
        "options": options or {}, "training": training or {},
    }
    if D_half is not None:  # --d-half: the discriminator of half-size frames
        state["D_half"] = D_half.state_dict()
        state["opt_D_half"] = opt_D_half.state_dict() if opt_D_half else None
    path.parent.mkdir(parents=True, exist_ok=True)
    _save(state, path)
    if slim_copy is not None:
        Path(slim_copy).parent.mkdir(parents=True, exist_ok=True)
        _save(_slim(state), Path(slim_copy))
    return path


def _save(state: dict, path: Path) -> Path:
    """torch.save, atomically and synced: a killed process leaves the previous checkpoint intact."""
    with atomic_write(path, suffix=".tmp") as tmp, open(tmp, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    return path


def load_checkpoint(path: str | os.PathLike, map_location="cpu") -> dict:
    """Read and check a checkpoint; raises UserError (one line, naming the file) when unusable."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such checkpoint")
    if path.stat().st_size == 0:
        raise UserError(f"{path}: an empty file, not a checkpoint (move it away to start afresh)")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:
        why = f"{type(e).__name__}: {(str(e).splitlines() or [''])[0][:120]}".rstrip(": ")
        raise UserError(f"{path}: not a readable checkpoint ({why})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise UserError(f"{path}: not an ALIS Studio training checkpoint")
    if state.get("version", 0) > VERSION:
        raise UserError(f"{path}: checkpoint version {state['version']} is newer than this trainer reads ({VERSION})")
    return state


def slim_checkpoint(src: str | os.PathLike, dst: str | os.PathLike) -> Path:
    """A small checkpoint to continue training from (e.g. one committed beside a bundled model):
    G_ema and D in float16, no optimiser moments and no separate G. Resuming from it starts G from
    G_ema and the Adam moments from zero (a warm restart); step, kimg and RNG states carry over."""
    Path(dst).parent.mkdir(parents=True, exist_ok=True)
    return _save(_slim(load_checkpoint(src)), Path(dst))


def _slim(state: dict) -> dict:
    half = lambda sd: {k: v.half() if v.is_floating_point() else v for k, v in sd.items()}  # noqa: E731
    slim = {**state, "G": None, "opt_G": None, "opt_D": None, "scalers": {}, "slim": True,
            "G_ema": half(state["G_ema"]), "D": half(state["D"])}
    if state.get("D_half") is not None:
        slim.update(D_half=half(state["D_half"]), opt_D_half=None)
    return slim


def checkpoint_config(state: dict) -> ModelConfig:
    return ModelConfig.from_dict(state["config"])


def check_config(path, state: dict, cfg: ModelConfig) -> None:
    """A checkpoint from another config is an error that says which configs differ."""
    have = checkpoint_config(state)
    if have != cfg:
        raise UserError(f"{path}: the checkpoint is config {have.name!r} ({have.height} px, patch {have.patch_width}); "
                        f"this run asks for {cfg.name!r} ({cfg.height} px, patch {cfg.patch_width}): "
                        f"pass the same --config/--resolution or another --out")


def generator_from_checkpoint(state: dict, ema: bool = True) -> Generator:
    G = Generator(checkpoint_config(state))
    G.load_state_dict(state["G_ema" if ema else "G"])
    return G.eval()


def export_checkpoint(ckpt_path: str | os.PathLike, out_path: str | os.PathLike, tile_width: int | None = None,
                      metrics: dict | None = None) -> Path:
    """Export a checkpoint's EMA generator as an `.alis` bundle (`alis-studio export-onnx`);
    `metrics` (e.g. from `alis-studio eval`) replace the training's own."""
    from alis_studio.trainer.export import export_bundle

    state = load_checkpoint(ckpt_path)
    G = generator_from_checkpoint(state)
    training = dict(state.get("training") or {})
    training.setdefault("kimg", round(state["nimg"] / 1000, 3))
    if metrics is not None:
        training["metrics"] = metrics
    return export_bundle(G, out_path, training, tile_width)
