"""The generator options that render and export share: --model, --device, --batch, --direction,
--psi; their one validation; the scene they describe (--seed or --session, from --start)."""
from __future__ import annotations

import argparse
import math

from alis_studio.engine.devices import DEVICES
from alis_studio.engine.session_schema import MAX_AMOUNT, MAX_COMPONENT, MAX_INDEX, PSI_MAX, PSI_MIN, SEED_LIMIT
from alis_studio.errors import UserError


def add_device_option(p, **kw) -> None:
    """--device, the same choices on every command."""
    p.add_argument("--device", choices=DEVICES, **{"default": "auto", **kw})


def add_psi_option(p) -> None:
    p.add_argument("--psi", type=float, default=None,
                   help=f"truncation psi in [{PSI_MIN:g}, {PSI_MAX:g}] (default 0.7)")


def add_generator_options(p) -> None:
    """--device, --batch and --direction, shared by the commands that run the generator headless."""
    add_device_option(p)
    p.add_argument("--batch", type=int, default=8, help="patches per generator call (default 8)")
    p.add_argument("--direction", type=direction_arg, action="append", default=[], metavar="K=AMOUNT",
                   help="move the whole scene AMOUNT standard deviations along latent direction K "
                        "(principal component K of w, from 1; repeatable; replaces a session's K)")


def direction_arg(text: str) -> tuple[int, float]:
    """'K=AMOUNT' -> (K, AMOUNT), checked against the session file's limits."""
    k, sep, amount = text.partition("=")
    try:
        k, amount = int(k), float(amount)
    except ValueError:
        k = None
    if not sep or k is None or not 1 <= k <= MAX_COMPONENT or not math.isfinite(amount) or abs(amount) > MAX_AMOUNT:
        raise argparse.ArgumentTypeError(f"expected K=AMOUNT with K in 1..{MAX_COMPONENT} and AMOUNT in "
                                         f"[-{MAX_AMOUNT:g}, {MAX_AMOUNT:g}], got {text!r}")
    return k, amount


def check_generator_options(args: argparse.Namespace) -> None:
    """The one validation of what `add_generator_options` and --psi accept (render and export)."""
    if args.batch < 1:
        raise UserError(f"--batch must be at least 1, got {args.batch}")
    if args.psi is not None and not PSI_MIN <= args.psi <= PSI_MAX:  # also refuses nan
        raise UserError(f"--psi must be in [{PSI_MIN:g}, {PSI_MAX:g}], got {args.psi}")


def check_scene_options(args: argparse.Namespace) -> None:
    """--seed and --start: a seed outside the app's seed range is refused, never wrapped (the
    toolbar could not show it, and `--seed 4294967296` would quietly be scene 0)."""
    seed = getattr(args, "seed", None)
    if seed is not None and not 0 <= seed < SEED_LIMIT:
        raise UserError(f"--seed must be an integer in [0, {SEED_LIMIT - 1}] (seeds are 32-bit), got {seed}")
    start = getattr(args, "start", 0)
    if abs(start) > MAX_INDEX:
        raise UserError(f"--start must be within ±{MAX_INDEX:,} anchor intervals, got {start}")


def scene_from_args(args: argparse.Namespace):
    """The scene of --session (its psi replaced by --psi) or of --seed, moved along --direction.
    A session is checked against the model it will render with (--model) before that model loads."""
    from alis_studio.engine.bundle import read_meta, resolve_model
    from alis_studio.engine.scene import Scene, check_session_model, load_session

    check_generator_options(args)
    check_scene_options(args)
    if getattr(args, "session", None):
        scene = load_session(args.session).scene
        check_session_model(scene, args.session, read_meta(resolve_model(args.model))["w_dim"])
        if args.psi is not None:
            scene.set_psi(args.psi)
    else:
        scene = Scene(seed=args.seed, psi=0.7 if args.psi is None else args.psi)
    for k, amount in getattr(args, "direction", []):
        scene.set_direction(k, amount)
    return scene
