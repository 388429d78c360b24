"""`alis-studio gui [MODEL] [--session S] [--smoke-test]`: the desktop app (the default command).

PySide6 is imported only when the command runs, so the CLI's other commands start without Qt.
"""
from __future__ import annotations

import argparse

from alis_studio.cli.options import add_device_option


def add_parser(sub) -> None:
    p = sub.add_parser("gui", help="open the app (what `alis-studio` with no command does)")
    p.add_argument("model", nargs="?", help="an .alis model bundle (default: the session's model, the bundled "
                   "model, else the last one used)")
    p.add_argument("--session", help="open a saved session (.json)")
    add_device_option(p, help="where ONNX Runtime runs (default auto: CUDA when it works)")
    p.add_argument("--smoke-test", action="store_true",
                   help="open the window, render one full view, exit 0 (checks a packaged build)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from alis_studio.gui.app import run_app

    return run_app(args)
