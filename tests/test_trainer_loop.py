"""The training loop, checkpoints and resume on the tiny config (CPU, a few steps each)."""
from __future__ import annotations

import json
from pathlib import Path
import os
import signal
import subprocess
import sys
import time
import zipfile

import pytest
import torch

from alis_studio.errors import DatasetError, UserError
from alis_studio.trainer.checkpoint import export_checkpoint, load_checkpoint
from alis_studio.trainer.loop import Trainer
from alis_studio.trainer.options import TrainOptions


@pytest.fixture(scope="module")
def landscapes(tmp_path_factory):
    from alis_studio.trainer.procedural import write_dataset

    return write_dataset(tmp_path_factory.mktemp("data") / "procedural", 24, 32, seed=0, workers=1)


def _opts(data, out, kimg_steps, **kw):
    base = dict(dataset=str(data), out=str(out), config="tiny", batch=4, kimg=kimg_steps * 4 / 1000,
                device="cpu", metric_images=0, snap_kimg=1.0, sample_intervals=2, log_every=0.0)
    return TrainOptions(**{**base, **kw})


def _same_state(a: dict, b: dict, key: str) -> None:
    for name, t in a[key].items():
        assert torch.equal(t, b[key][name]), f"{key}.{name} differs"


@pytest.mark.slow  # real training runs, one after another (10-25 s on 2 cores)
def test_four_plus_four_resumed_equals_eight_straight(landscapes, tmp_path):
    Trainer(_opts(landscapes, tmp_path / "straight", 8, augment="diffaug")).run()
    Trainer(_opts(landscapes, tmp_path / "split", 4, augment="diffaug")).run()
    assert load_checkpoint(tmp_path / "split" / "checkpoint.pt")["step"] == 4
    Trainer(_opts(landscapes, tmp_path / "split", 8, augment="diffaug", resume=True)).run()
    a = load_checkpoint(tmp_path / "straight" / "checkpoint.pt")
    b = load_checkpoint(tmp_path / "split" / "checkpoint.pt")
    assert a["step"] == b["step"] == 8 and a["nimg"] == b["nimg"] == 32
    for key in ("G", "D", "G_ema"):
        _same_state(a, b, key)
    for key in ("opt_G", "opt_D"):
        for i, st in a[key]["state"].items():
            assert torch.equal(st["exp_avg"], b[key]["state"][i]["exp_avg"])


def test_slim_checkpoint_continues_training(landscapes, tmp_path):
    from alis_studio.trainer.checkpoint import slim_checkpoint

    Trainer(_opts(landscapes, tmp_path / "full", 4)).run()
    full = tmp_path / "full" / "checkpoint.pt"
    (tmp_path / "cont").mkdir()
    slim = slim_checkpoint(full, tmp_path / "cont" / "checkpoint.pt")
    assert slim.stat().st_size < full.stat().st_size / 3
    state = load_checkpoint(slim)
    assert state["G"] is None and state["opt_G"] is None and state["G_ema"]["synthesis.blocks.0.const"].dtype == torch.float16
    res = Trainer(_opts(landscapes, tmp_path / "cont", 6, resume=True)).run()
    assert res["status"] == "done" and res["step"] == 6
    after = load_checkpoint(tmp_path / "cont" / "checkpoint.pt")
    assert after["nimg"] == 24 and after["opt_G"] is not None
    assert "slim checkpoint" in (tmp_path / "cont" / "log.txt").read_text()


def test_run_directory_contents(landscapes, tmp_path):
    from alis_studio.engine.bundle import load_bundle

    out = tmp_path / "run"
    res = Trainer(_opts(landscapes, out, 3, metric_images=8, snap_kimg=0.008)).run()
    assert res["status"] == "done" and res["step"] == 3
    opts = json.loads((out / "options.json").read_text())
    assert opts["config"] == "tiny" and opts["r1_gamma"] > 0 and opts["model"]["height"] == 32
    records = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert any("G" in r and "D" in r and "steps_per_s" in r for r in records)
    assert len(list((out / "samples").glob("fakes-*.png"))) == 2  # snapshot at step 2 and the final one
    bundle = load_bundle(out / "model.alis", device="cpu")
    tr = bundle.meta["training"]
    assert tr["kimg"] == 0.012 and tr["config"] == "tiny" and tr["metrics"]["swd_frames"] > 0
    assert {"swd_infinite", "swd_ratio", "seam_patch", "seam_anchor"} <= set(tr["metrics"])
    assert tr["dataset"] == Path(landscapes).name  # the set's name, never the training machine's folders
    assert "cached" in (out / "log.txt").read_text()


def test_abort_writes_a_checkpoint(landscapes, tmp_path):
    calls = []
    res = Trainer(_opts(landscapes, tmp_path / "r", 50), abort_fn=lambda: len(calls) >= 2,
                  progress_fn=calls.append).run()
    assert res["status"] == "aborted" and res["step"] == 2
    assert load_checkpoint(tmp_path / "r" / "checkpoint.pt")["step"] == 2
    info = calls[-1]
    assert {"kimg", "steps_per_s", "eta_s", "losses"} <= set(info) and "G" in info["losses"]


def test_resume_rules(landscapes, tmp_path):
    out = tmp_path / "r"
    Trainer(_opts(landscapes, out, 1)).run()
    with pytest.raises(UserError, match="already holds a run"):
        Trainer(_opts(landscapes, out, 2))
    with pytest.raises(UserError, match="config 'tiny'.*asks for 'small64'"):
        Trainer(_opts(landscapes, out, 2, config="small64", resume=True))
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(UserError, match="not a readable checkpoint"):
        load_checkpoint(tmp_path / "junk.pt")


def test_dataset_smaller_than_a_batch(landscapes, tmp_path):
    with pytest.raises(DatasetError, match="fewer than a batch of 32"):
        Trainer(_opts(landscapes, tmp_path / "r", 1, batch=32))


def test_skipped_files_are_listed_in_the_run_log(landscapes, tmp_path):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(landscapes, data)
    (data / "broken.png").write_bytes(b"\x89PNG broken")
    Trainer(_opts(data, tmp_path / "r", 1)).run()
    log = (tmp_path / "r" / "log.txt").read_text()
    assert "skipped 1 unreadable files" in log and "broken.png" in log


def test_export_checkpoint(landscapes, tmp_path):
    Trainer(_opts(landscapes, tmp_path / "r", 1)).run()
    path = export_checkpoint(tmp_path / "r" / "checkpoint.pt", tmp_path / "m.alis")
    with zipfile.ZipFile(path) as zf:
        meta = json.loads(zf.read("model.json"))
    assert meta["arch"]["name"] == "tiny" and meta["training"]["kimg"] == 0.004
    from alis_studio.cli.main import main

    assert main(["export-onnx", str(tmp_path / "r" / "checkpoint.pt"), str(tmp_path / "cli.alis")]) == 0
    assert main(["export-onnx", str(tmp_path / "nothing.pt"), str(tmp_path / "x.alis")]) == 2


def test_eval_metrics_go_into_the_bundle_and_info_shows_them(landscapes, tmp_path, capsys):
    from alis_studio.cli.main import main

    Trainer(_opts(landscapes, tmp_path / "r", 1)).run()
    ckpt = str(tmp_path / "r" / "checkpoint.pt")
    assert main(["eval", "--model", str(tmp_path / "r" / "model.alis"), "--dataset", str(landscapes),
                 "--images", "4", "--json", "--quiet", "--cache-dir", str(tmp_path / "cache")]) == 0
    (tmp_path / "eval.json").write_text(capsys.readouterr().out)
    assert main(["export-onnx", ckpt, str(tmp_path / "m.alis"), "--metrics", str(tmp_path / "eval.json")]) == 0
    with zipfile.ZipFile(tmp_path / "m.alis") as zf:
        metrics = json.loads(zf.read("model.json"))["training"]["metrics"]
    assert metrics["images"] == 4 and metrics["swd_frames"] > 0 and "model" not in metrics  # numbers, no paths
    capsys.readouterr()
    assert main(["info", str(tmp_path / "m.alis")]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if ln.strip().startswith("metrics:"))
    assert "swd_frames" in line and "images 4" in line
    (tmp_path / "bad.json").write_text("no json here")
    assert main(["export-onnx", ckpt, str(tmp_path / "x.alis"), "--metrics", str(tmp_path / "bad.json")]) == 2
    assert "bad.json: not an `alis-studio eval --json` result" in capsys.readouterr().err
    assert not (tmp_path / "x.alis").exists()


def _cli(*args, **kw):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "alis_studio", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **kw)


def _wait_for_checkpoint(path, proc, timeout=60.0):
    t0 = time.time()
    while not path.exists():
        assert proc.poll() is None, proc.stdout.read()
        assert time.time() - t0 < timeout
        time.sleep(0.1)


@pytest.mark.slow  # real training runs, one after another (10-25 s on 2 cores)
def test_sigkill_then_resume_then_sigterm(landscapes, tmp_path):
    """A run killed with SIGKILL resumes from its last checkpoint; SIGTERM stops a run cleanly."""
    out = tmp_path / "run"
    args = ["train", "--dataset", str(landscapes), "--out", str(out), "--config", "tiny", "--batch", "4",
            "--kimg", "10", "--snap", "0.008", "--metric-images", "0", "--device", "cpu", "--quiet"]
    proc = _cli(*args)
    _wait_for_checkpoint(out / "checkpoint.pt", proc)
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)  # reaps it and closes its pipe
    step = load_checkpoint(out / "checkpoint.pt")["step"]
    assert step >= 2 and step % 2 == 0  # a snapshot every 2 steps; never a torn file
    proc = _cli(*args, "--resume")
    t0 = time.time()
    while load_checkpoint(out / "checkpoint.pt")["step"] == step:  # atomic: always readable
        assert proc.poll() is None and time.time() - t0 < 60, proc.stdout.read()
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    text, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, text
    assert f"resumed {out / 'checkpoint.pt'} at step {step}" in text
    assert "stopped at step" in text and "Traceback" not in text
    assert load_checkpoint(out / "checkpoint.pt")["step"] > step and (out / "model.alis").exists()


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """The CPUs are shared: one intra-op thread makes these small runs faster, not slower."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_d_warmup_trains_d_alone_first_then_both(landscapes, tmp_path):
    """--d-warmup: G's weights stay exactly as initialised while D learns; then both train, with
    the stationarity penalty logged on its lazy steps."""
    tr = Trainer(_opts(landscapes, tmp_path / "w", 12, d_warmup_kimg=8 * 4 / 1000, stationarity=10.0))
    weights = lambda m: {k: v.detach().clone() for k, v in m.named_parameters()}
    g0, d0 = weights(tr.G), weights(tr.D)
    try:
        terms = [tr.train_step() for _ in range(8)]
        assert all("G" not in t and "stat" not in t for t in terms)
        for name, t in weights(tr.G).items():
            assert torch.equal(t, g0[name]), f"G.{name} moved during the warm-up"
        assert any(not torch.equal(t, d0[name]) for name, t in weights(tr.D).items())
        terms = [tr.train_step() for _ in range(4)]
        assert all("G" in t for t in terms) and sum("stat" in t for t in terms) == 1  # every 4th step
        assert any(not torch.equal(t, g0[name]) for name, t in weights(tr.G).items())
    finally:
        tr._teardown()


def test_g_top_only_trains_the_top_block_alone_then_all_of_g(landscapes, tmp_path):
    """--g-top-only: until then only G's full-resolution block (a grown model's new layers) learns;
    the mapping and the lower blocks keep what the smaller model knew; then all of G trains."""
    tr = Trainer(_opts(landscapes, tmp_path / "t", 8, g_top_only_kimg=4 * 4 / 1000))
    top = f"synthesis.blocks.{len(tr.G.synthesis.blocks) - 1}."
    weights = lambda: {k: v.detach().clone() for k, v in tr.G.named_parameters()}
    g0 = weights()
    try:
        for _ in range(4):
            tr.train_step()
        g1 = weights()
        for name, t in g1.items():
            assert torch.equal(t, g0[name]) != name.startswith(top), name
        for _ in range(4):
            tr.train_step()
        assert not torch.equal(weights()["mapping.layers.0.weight"], g1["mapping.layers.0.weight"])
        assert not torch.equal(weights()["synthesis.blocks.0.conv1.weight"], g1["synthesis.blocks.0.conv1.weight"])
    finally:
        tr._teardown()


def test_generator_average_moves_by_its_half_life(landscapes, tmp_path):
    # batch 4 and a half-life of 8 images: each step keeps 2 ** -0.5 of the old average
    tr = Trainer(_opts(landscapes, tmp_path / "ema", 2, ema_kimg=0.008, ema_rampup=0.0))
    tr.train_step()
    before = {k: v.clone() for k, v in tr.G_ema.state_dict().items()}
    tr.train_step()
    g = tr.G.state_dict()
    for name, p in tr.G_ema.named_parameters():
        keep = 2 ** -0.5
        assert torch.allclose(p, keep * before[name] + (1 - keep) * g[name], atol=1e-6), name
    assert not torch.equal(tr.G_ema.state_dict()[name], g[name])
    tr._teardown()


def test_every_snapshot_keeps_a_slim_checkpoint_to_pick_the_best_from(landscapes, tmp_path):
    # the best snapshot is often not the last: each one must stay exportable and growable
    run = tmp_path / "snaps"
    Trainer(_opts(landscapes, run, 4, snap_kimg=0.008)).run()
    kept = sorted((run / "snapshots").glob("network-*.pt"))
    assert [p.name for p in kept] == ["network-000000kimg-step0000002.pt", "network-000000kimg-step0000004.pt"]
    first, last = (load_checkpoint(p) for p in kept)
    assert first["slim"] and first["step"] == 2 and first["opt_G"] is None
    final = load_checkpoint(run / "checkpoint.pt")
    for name, t in final["G_ema"].items():
        assert torch.allclose(last["G_ema"][name].float(), t, atol=1e-2, rtol=1e-2), name
    assert not torch.equal(first["G_ema"]["synthesis.blocks.0.const"], last["G_ema"]["synthesis.blocks.0.const"])
    export_checkpoint(kept[0], tmp_path / "first.alis")
    assert (tmp_path / "first.alis").stat().st_size > 0


def test_snapshot_checkpoints_can_be_switched_off(landscapes, tmp_path):
    Trainer(_opts(landscapes, tmp_path / "none", 2, snap_kimg=0.008, keep_snapshots=False)).run()
    assert not (tmp_path / "none" / "snapshots").exists()


def test_half_size_d_starts_from_a_half_tall_models_d_and_resumes_exactly(landscapes, tmp_path):
    """--d-half: a second D judges the frames at half size; --d-half-from starts it from the D of a
    model half as tall; its weights and Adam moments are part of the exact resume."""
    Trainer(_opts(landscapes, tmp_path / "small", 2, resolution=16)).run()  # a model half as tall
    small = tmp_path / "small" / "checkpoint.pt"
    kw = dict(d_half=0.5, d_half_from=str(small))
    tr = Trainer(_opts(landscapes, tmp_path / "probe", 2, **kw))
    try:
        assert tr.D_half.frame_shape == (3, 16, 16)
        for name, t in load_checkpoint(small)["D"].items():
            assert torch.equal(tr.D_half.state_dict()[name], t), name
        terms = tr.train_step()
        assert {"D_half", "G_half", "R1_half"} <= set(terms) and all(torch.isfinite(v) for v in terms.values())
        moved = [n for n, t in tr.D_half.state_dict().items() if not torch.equal(t, load_checkpoint(small)["D"][n])]
        assert moved
    finally:
        tr._teardown()
    Trainer(_opts(landscapes, tmp_path / "straight", 8, **kw)).run()
    Trainer(_opts(landscapes, tmp_path / "split", 4, **kw)).run()
    Trainer(_opts(landscapes, tmp_path / "split", 8, resume=True, **kw)).run()
    a = load_checkpoint(tmp_path / "straight" / "checkpoint.pt")
    b = load_checkpoint(tmp_path / "split" / "checkpoint.pt")
    for key in ("G", "D", "D_half", "G_ema"):
        _same_state(a, b, key)
    for i, st in a["opt_D_half"]["state"].items():
        assert torch.equal(st["exp_avg"], b["opt_D_half"]["state"][i]["exp_avg"])


def test_half_size_d_from_a_model_of_another_size_is_a_one_line_error(landscapes, tmp_path):
    Trainer(_opts(landscapes, tmp_path / "same", 1)).run()  # as tall as the run, not half
    other = tmp_path / "same" / "checkpoint.pt"
    with pytest.raises(UserError, match=r"checkpoint\.pt: its frames are 32x32 px; the half-size D .* 16x16 px"):
        Trainer(_opts(landscapes, tmp_path / "bad", 1, d_half=1.0, d_half_from=str(other)))
    with pytest.raises(UserError, match="--d-half-from needs --d-half"):
        Trainer(_opts(landscapes, tmp_path / "bad2", 1, d_half_from=str(other)))


def test_a_run_removes_the_temporaries_of_killed_writes(landscapes, tmp_path):
    """kill -9 while a checkpoint, snapshot, sample or bundle was being written leaves its temporary
    (as large as a checkpoint); the next run in that folder removes those of its own naming, says so
    in one line, and leaves everything else alone."""
    out = tmp_path / "run"
    Trainer(_opts(landscapes, out, 2, snap_kimg=0.008)).run()
    stale = [out / ".checkpoint.pt.k3j_9x2a.tmp", out / ".model.alis.q1w2e3r4.part",
             out / "snapshots" / ".network-000000kimg-step0000002.pt.zz8_0a1b.tmp",
             out / "samples" / ".fakes-000000kimg-step0000002.png.abcdefgh.tmp",
             out / ".dataset-0123abcd-32x64.npy.a1b2c3d4.npy"]  # the dataset cache, kept in the run folder
    kept = [out / "notes.txt", out / ".checkpoint.pt.keep", out / "snapshots" / "mine.tmp",
            out / ".model.alis.short.part"]  # not atomic_write's names: someone else's
    for p in stale + kept:
        p.write_bytes(b"x" * 1000)
    messages = []
    Trainer(_opts(landscapes, out, 3, snap_kimg=0.008, resume=True), log_fn=messages.append).run()
    assert not [p for p in stale if p.exists()] and all(p.exists() for p in kept)
    said = [m for m in messages if "temporary" in m]
    assert len(said) == 1 and "5 temporary files" in said[0] and "5.0 kB" in said[0], messages
    assert said[0] in (out / "log.txt").read_text()
    assert load_checkpoint(out / "checkpoint.pt")["step"] == 3


def _nan_fakes_from(call: int, monkeypatch):
    """G's loss sees NaN frames from its `call`-th phase on: its loss and gradients, then G's weights, turn NaN."""
    from alis_studio.trainer.loss import ALISLoss

    real, calls = ALISLoss.g_phase, []

    def g_phase(self, fake, scale=None):
        calls.append(1)
        return real(self, fake * float("nan") if len(calls) >= call else fake, scale=scale)

    monkeypatch.setattr(ALISLoss, "g_phase", g_phase)


def test_losses_turning_nan_stop_the_run_and_keep_the_last_good_checkpoint(landscapes, tmp_path, monkeypatch):
    out = tmp_path / "run"
    _nan_fakes_from(3, monkeypatch)
    with pytest.raises(UserError) as e:
        Trainer(_opts(landscapes, out, 6, snap_kimg=0.008)).run()  # snapshots at steps 2, 4, 6
    msg = str(e.value)
    assert "\n" not in msg and "diverged at step 3" in msg and "G" in msg and "step 2" in msg, msg
    state = load_checkpoint(out / "checkpoint.pt")
    assert state["step"] == 2
    assert all(torch.isfinite(t).all() for key in ("G", "G_ema", "D") for t in state[key].values())
    assert not list((out / "snapshots").glob("*step0000003.pt")) and msg in (out / "log.txt").read_text()
    from alis_studio.engine.bundle import load_bundle

    assert load_bundle(out / "model.alis", device="cpu").meta["training"]["steps"] == 2


def test_weights_turning_nan_are_never_saved(landscapes, tmp_path, monkeypatch):
    """Finite losses but NaN weights (an overflowing gradient): the snapshot refuses to save them."""
    out = tmp_path / "run"
    real = Trainer._update_ema

    def update_ema(self):
        real(self)
        if self.step == 4:
            next(self.G_ema.parameters()).data.fill_(float("inf"))

    monkeypatch.setattr(Trainer, "_update_ema", update_ema)
    with pytest.raises(UserError, match=r"diverged at step 4 .*weights.*step 2"):
        Trainer(_opts(landscapes, out, 6, snap_kimg=0.008)).run()
    assert load_checkpoint(out / "checkpoint.pt")["step"] == 2


def test_cli_nan_losses_are_one_line_after_the_progress_bar(landscapes, tmp_path, monkeypatch, capsys):
    from alis_studio.cli.main import main

    _nan_fakes_from(4, monkeypatch)  # a snapshot at step 2, the bar drawn at step 3, NaN at step 4
    rc = main(["train", "--dataset", str(landscapes), "--out", str(tmp_path / "run"), "--config", "tiny",
               "--batch", "4", "--kimg", "0.024", "--snap", "0.008", "--metric-images", "0", "--device", "cpu"])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err
    assert "\rtrain [" in err  # the bar was drawn
    last = err.rstrip("\n").split("\n")[-1]
    assert last.startswith("alis-studio: error: training diverged at step 4"), repr(err[-400:])
    assert load_checkpoint(tmp_path / "run" / "checkpoint.pt")["step"] == 2
