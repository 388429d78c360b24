"""`alis-studio`: the GUI with no arguments, else a sub-command. Heavy imports happen inside each one.

Each sub-command module provides `add_parser(subparsers)`; the parser sets `args.run`. Bad input
raises a UserError, printed here as one line (`alis-studio: error: ...`, exit 2), never a traceback.
"""
from __future__ import annotations

import argparse
import os
import sys

from alis_studio import __version__
from alis_studio.cli import eval as eval_command
from alis_studio.cli import export, gui, info, render
from alis_studio.errors import UserError
from alis_studio.progress import end_lines

try:
    from alis_studio.cli import train
except ModuleNotFoundError as e:  # the binary ships no trainer (alis-studio.spec): no train commands
    if e.name not in ("alis_studio.trainer", "alis_studio.trainer.cli"):
        raise
    train = None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="alis-studio", description="Generate, explore and export infinite "
                                     "panoramas with ALIS generators. With no command, opens the app.")
    parser.add_argument("--version", action="version", version=f"alis-studio {__version__}")
    sub = parser.add_subparsers(metavar="COMMAND")
    for module in (info, render, gui, export, train, eval_command):
        if module is not None:
            module.add_parser(sub)
    if train is not None:
        train.add_tool_parsers(sub)
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
        args = parser.parse_args(["gui"])  # no command: the app, with the gui command's defaults
        run = args.run
    try:
        return int(run(args) or 0)
    except UserError as e:
        end_lines()  # a progress bar cut short: the error starts on a line of its own
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
