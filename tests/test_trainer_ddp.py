"""Multi-process training as documented: `torchrun --nproc_per_node 2 -m alis_studio train ...`,
on CPU with the gloo backend (each rank its own data shard, gradients averaged, rank 0 writes)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from alis_studio.trainer.checkpoint import load_checkpoint


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_torchrun_two_gloo_processes(tmp_path):
    from alis_studio.trainer.procedural import write_dataset

    data = write_dataset(tmp_path / "data", 16, 32, workers=1)
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port",
           str(_free_port()), "-m", "alis_studio", "train", "--dataset", str(data), "--out", str(out),
           "--config", "tiny", "--batch", "8", "--kimg", "0.024", "--snap", "0.016", "--metric-images", "0",
           "--device", "cpu", "--quiet"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, res.stdout + res.stderr
    log = (out / "log.txt").read_text()
    assert "on cpu x2, batch 8" in log
    assert log.count("distributed: G and D identical on 2 processes") == 2  # step 2 and the end
    assert load_checkpoint(out / "checkpoint.pt")["step"] == 3
    assert (out / "model.alis").exists()
    assert sorted(p.name for p in out.iterdir() if p.name.endswith(".pt")) == ["checkpoint.pt"]
