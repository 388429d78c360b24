"""`alis-studio train`, and the trainer's tools `dataset`, `export-onnx`, `slim-checkpoint` and
`import-official` (an official ALIS checkpoint as a bundle).

Their parsers and run functions are alis_studio.trainer.cli's (torch is imported only when one of
them runs); this module registers them. The binary ships no trainer: `main` skips this module there.
"""
from __future__ import annotations

from alis_studio.trainer import cli as trainer_cli
from alis_studio.trainer import official_cli


def add_parser(sub) -> None:
    trainer_cli.add_parser(sub)


def add_tool_parsers(sub) -> None:
    trainer_cli.add_tool_parsers(sub)
    official_cli.add_parser(sub)
