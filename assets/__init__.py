"""Bundled resources: the default model and the app's icons."""
from pathlib import Path

ASSETS = Path(__file__).resolve().parent
DEFAULT_MODEL = ASSETS / "default.alis"
