"""`alis-studio`: the GUI with no arguments, else a sub-command. Heavy imports happen inside each one.

Each sub-command module provides `add_parser(subparsers)`; the parser sets `args.run`. Bad input
raises a UserError, printed here as one line (`alis-studio: error: ...`, exit 2), never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from alis_studio import __version__
from alis_studio.errors import UserError

# modules that register sub-commands; a missing one (e.g. the trainer in the binary) is skipped
COMMAND_MODULES = ("alis_studio.commands", "alis_studio.gui.command", "alis_studio.export_command", "alis_studio.trainer.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="alis-studio", description="Generate, explore and export infinite "
                                     "panoramas with ALIS generators. With no command, opens the app.")
    parser.add_argument("--version", action="version", version=f"alis-studio {__version__}")
    sub = parser.add_subparsers(metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name and name.startswith(e.name):
                continue  # that part is not installed in this build
            raise
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    run = getattr(args, "run", None)
    if run is None:
        if argv:
            parser.print_help()
            return 2
        if "alis_studio.gui.command" not in sys.modules:  # not in this build
            parser.print_help()
            return 2
        args = parser.parse_args(["gui"])  # no command: the app, with the gui command's defaults
        run = args.run
    try:
        return int(run(args) or 0)
    except UserError as e:
        print(f"alis-studio: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nalis-studio: cancelled", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`alis-studio info --json | head`): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush cannot fail again
        return 1


def entry() -> None:
    os.environ.setdefault("ORT_LOG_SEVERITY_LEVEL", "3")
    sys.exit(main())


if __name__ == "__main__":
    entry()
