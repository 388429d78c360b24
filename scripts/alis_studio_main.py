"""Entry script of the PyInstaller build (`alis-studio.spec`): the `alis-studio` command, frozen.

Same behaviour as the package's console script (`alis_studio.cli.main:entry`): no arguments opens the app
on the bundled model; `render`, `info`, `export`, `gui ...` as documented. The trainer's commands
are absent from the binary (no torch inside), and the CLI skips them.
"""
from __future__ import annotations

import multiprocessing
import os
import sys


def _ensure_streams() -> None:
    # A windowed executable (console=False, Windows) starts with sys.stdout / sys.stderr = None:
    # give them a sink so that a print or a progress bar cannot crash the app.
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115


def main() -> None:
    multiprocessing.freeze_support()  # harmless when not frozen; required if a worker process is spawned
    _ensure_streams()
    os.environ.setdefault("QT_API", "pyside6")  # qtpy (qdarkstyle) must pick the one binding inside
    from alis_studio.cli.main import entry

    entry()


if __name__ == "__main__":
    main()
