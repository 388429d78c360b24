"""The benchmarks still run end to end on the committed tiny model: they are how every performance
claim in the README is measured, and a refactor once broke three of them unnoticed (the viewport's
camera methods moved to `view.camera`). Figures are printed, not checked: timing is not a test."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "tiny.alis"


@pytest.mark.slow
@pytest.mark.parametrize("script, args, says", [
    ("bench_gui.py", ["--model", str(TINY), "--repeats", "4"], "pan into unseen territory"),
    ("bench_lod.py", ["--model", str(TINY), "--width", "320"], "faster"),
    ("bench_official.py", ["--model", str(TINY), "--patches", "1", "--gui-seconds", "1"], "preview on: covered"),
])
def test_a_benchmark_runs_and_prints_its_figures(script, args, says, tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "ALIS_STUDIO_CACHE": str(tmp_path)}
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args], capture_output=True,
                          text=True, timeout=300, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert says in proc.stdout, proc.stdout[-2000:]
