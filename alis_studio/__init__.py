"""ALIS Studio: generate, explore and export infinite panoramas with ALIS generators."""
__version__ = "0.1.0"
