"""The generator options that render and export share: --model, --device, --batch, --direction,
--psi; their one validation; the scene they describe."""
from __future__ import annotations

import argparse
import math

from alis_studio.engine.devices import DEVICES
from alis_studio.engine.session_schema import MAX_AMOUNT, MAX_COMPONENT, PSI_MAX, PSI_MIN
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


def scene_from_args(args: argparse.Namespace):
    """The scene of --session (its psi replaced by --psi) or of --seed, moved along --direction."""
    from alis_studio.engine.scene import Scene, load_session

    check_generator_options(args)
    if getattr(args, "session", None):
        scene, _ = load_session(args.session)
        if args.psi is not None:
            scene.set_psi(args.psi)
    else:
        scene = Scene(seed=args.seed, psi=0.7 if args.psi is None else args.psi)
    for k, amount in getattr(args, "direction", []):
        scene.set_direction(k, amount)
    return scene
