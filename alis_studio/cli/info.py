"""`alis-studio info [MODEL]`: a model's metadata and the ONNX Runtime providers."""
from __future__ import annotations

import argparse
import json

from alis_studio.cli.options import add_device_option


def add_parser(sub) -> None:
    p = sub.add_parser("info", help="print a model's metadata and the ONNX Runtime providers")
    p.add_argument("model", nargs="?", help="an .alis model bundle (default: the bundled model)")
    add_device_option(p)
    p.add_argument("--json", action="store_true", help="print the metadata as JSON")
    p.set_defaults(run=run_info)


def run_info(args: argparse.Namespace) -> int:
    from alis_studio.engine.bundle import available_providers, kimg_note, load_bundle, resolve_model

    b = load_bundle(resolve_model(args.model), device=args.device)
    if args.json:
        print(json.dumps({**b.meta, "sha256": b.sha256, "provider": b.provider}, indent=1))
        return 0
    m, arch, tr = b.meta, b.meta.get("arch", {}), b.meta.get("training", {}) or {}
    rows = [
        ("model", str(b.path)), ("sha256", b.sha256),
        ("config", str(arch.get("name", "?"))),
        ("image", f"{b.height} px tall, tiles {b.tile_width} px, "
                  f"{b.tiles_per_interval} tiles per anchor interval ({b.interval_width} px), "
                  f"format {b.tiling} ({b.anchor_window} anchors per tile), bundle version {b.version}"),
        ("levels", ", ".join("full size" if lv == 0 else f"1/{2 ** lv}" for lv in reversed(b.levels))),
        ("latents", f"z {b.z_dim}, w {b.w_dim}"),
        ("trained on", f"{tr.get('dataset') or '-'}{kimg_note(tr)}"),
        ("metrics", ", ".join(f"{k} {v:.4g}" for k, v in (tr.get("metrics") or {}).items()) or "none recorded"),
        ("created", f"{m.get('created', '?')} by {m.get('producer', '?')}"),
        ("providers", ", ".join(available_providers())),
        ("using", f"{b.provider} ({b.device_name})"),
    ]
    for k, v in rows:
        print(f"{k:>11}: {v}")
    return 0
