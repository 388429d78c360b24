"""The app's runtime path (the CLI's parser, the engine, the GUI, the exporters, a render) runs in an
environment where torch and the trainer cannot be imported, like the binary (which ships neither):
a meta path finder makes both imports fail in a fresh interpreter."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BLOCKED_RUN = textwrap.dedent("""
    import importlib, json, pkgutil, sys

    BLOCKED = ("torch", "alis_studio.trainer")

    class NoTrainer:  # the binary's environment: neither torch nor the trainer is there
        def find_spec(self, name, path=None, target=None):
            if any(name == b or name.startswith(b + ".") for b in BLOCKED):
                raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)", name=name)
            return None

    sys.meta_path.insert(0, NoTrainer())
    import alis_studio
    from alis_studio.cli import main

    failed = {}
    for m in pkgutil.walk_packages(alis_studio.__path__, "alis_studio."):
        if m.name.startswith("alis_studio.trainer") or m.name.endswith("__main__"):
            continue  # the trainer is what is missing; __main__ would start the app
        try:
            importlib.import_module(m.name)
        except ModuleNotFoundError as e:
            failed[m.name] = e.name
    commands = sorted(main.build_parser()._subparsers._group_actions[0].choices)
    code = main.main(["render", "--model", sys.argv[1], "--intervals", "1", "--out", sys.argv[2], "--quiet"])
    print(json.dumps({"failed": failed, "commands": commands, "render": code,
                      "heavy": sorted(m for m, mod in sys.modules.items() if mod is not None  # None: blocked
                                      and (m.split(".")[0] == "torch" or m.startswith("alis_studio.trainer")))}))
""")


def test_runtime_path_imports_no_torch_with_the_trainer_absent(tiny_model_path, tmp_path):
    out = tmp_path / "strip.png"
    r = subprocess.run([sys.executable, "-c", BLOCKED_RUN, str(tiny_model_path), str(out)], capture_output=True,
                       text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout.strip().splitlines()[-1])
    # alis_studio.cli.train registers the trainer's commands: the one module that needs it
    assert got["failed"] == {"alis_studio.cli.train": "alis_studio.trainer"}
    assert {"render", "info", "gui", "eval"} <= set(got["commands"])
    assert not {"train", "export-onnx", "import-official", "dataset"} & set(got["commands"])
    assert got["render"] == 0 and out.stat().st_size > 0
    assert got["heavy"] == []
