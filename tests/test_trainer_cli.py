"""`alis-studio train` options: defaults, --resume reading options.json, --resolution, no torch."""
from __future__ import annotations

import json
import sys

import pytest
import torch

from alis_studio.cli.main import build_parser, main
from alis_studio.errors import UserError
from alis_studio.trainer.cli import train_options
from alis_studio.trainer.model import Discriminator, Generator
from alis_studio.trainer.options import TrainOptions, resolve_config, resolve_options


def _args(*argv):
    return build_parser().parse_args(["train", *argv])


def test_defaults_are_resolved_per_device():
    o = resolve_options(TrainOptions(dataset="d", out="o"), cuda=False)
    assert (o.config, o.resolution, o.batch, o.kimg) == ("small", 128, 8, 1000.0)
    assert o.r1_gamma == pytest.approx(2.5) and o.ema_kimg == pytest.approx(2.5) and o.snap_kimg == 10.0
    g = resolve_options(TrainOptions(dataset="d", out="o", config="paper256"), cuda=True)
    assert g.batch == 32 and g.r1_gamma == pytest.approx(10.0) and g.snap_kimg == 50.0
    assert resolve_options(TrainOptions(dataset="d", out="o", augment="diffaug"), False).augment == \
        "color,translation,cutout"
    with pytest.raises(UserError, match="--augment"):
        resolve_options(TrainOptions(dataset="d", out="o", augment="zoom"), False)
    with pytest.raises(UserError, match="multiple of the number of processes"):
        resolve_options(TrainOptions(dataset="d", out="o", batch=5), False, world=2)
    with pytest.raises(UserError, match="unknown config"):
        resolve_options(TrainOptions(dataset="d", out="o", config="huge"), False)
    with pytest.raises(UserError, match="--d-warmup"):
        resolve_options(TrainOptions(dataset="d", out="o", d_warmup_kimg=-1), False)
    with pytest.raises(UserError, match="--ema"):
        resolve_options(TrainOptions(dataset="d", out="o", ema_rampup=-1), False)
    with pytest.raises(UserError, match="--g-top-only"):
        resolve_options(TrainOptions(dataset="d", out="o", g_top_only_kimg=-1), False)
    with pytest.raises(UserError, match="--stationarity"):
        resolve_options(TrainOptions(dataset="d", out="o", stationarity=-1), False)


@pytest.mark.parametrize("name,res", [("tiny", 64), ("small", 64), ("tiny", 16)])
def test_resolution_rescales_a_config(name, res):
    cfg = resolve_config(name, res)
    assert cfg.height == res and cfg.patch_width * 2 == res and cfg.name == f"{name}-{res}"
    G, D = Generator(cfg), Discriminator(cfg)
    with torch.no_grad():
        S = G.synthesis
        frame = S.frame(torch.randn(2, S.train_anchors, cfg.w_dim), S.frame_starts(2, 1.0))
        assert frame.shape == (2, 3, res, res) and D(frame).shape == (2,)
    with pytest.raises(UserError, match="power of two"):
        resolve_config("tiny", 48)


def test_resume_takes_unspecified_options_from_the_run(tmp_path):
    (tmp_path / "options.json").write_text(json.dumps({"config": "tiny", "resolution": 32, "batch": 4,
                                                       "kimg": 7.0, "augment": "diffaug", "dataset": "x",
                                                       "stationarity": 25.0, "d_warmup_kimg": 4.0,
                                                       "g_top_only_kimg": 12.0}))
    o = train_options(_args("--dataset", "d", "--out", str(tmp_path), "--resume", "--kimg", "9"))
    assert (o.config, o.resolution, o.batch, o.kimg, o.augment, o.resume) == ("tiny", 32, 4, 9.0, "diffaug", True)
    assert (o.stationarity, o.d_warmup_kimg, o.g_top_only_kimg) == (25.0, 4.0, 12.0)  # a resumed run keeps its recipe
    o = train_options(_args("--dataset", "d", "--out", str(tmp_path), "--resume", "--ema", "10", "--ema-rampup", "0"))
    assert (o.ema_kimg, o.ema_rampup, o.kimg) == (10.0, 0.0, 7.0)
    o = train_options(_args("--dataset", "d", "--out", str(tmp_path), "--resume", "--stationarity", "0"))
    assert o.stationarity == 0.0
    o = train_options(_args("--dataset", "d", "--out", str(tmp_path), "--resume", "--config", "small"))
    assert o.config == "small" and o.resolution is None  # a new config does not inherit the old size
    o = train_options(_args("--dataset", "d", "--out", str(tmp_path)))  # not resuming: the defaults
    assert o.config == "small" and o.batch is None and not o.resume and o.keep_snapshots
    o = train_options(_args("--dataset", "d", "--out", str(tmp_path), "--no-keep-snapshots"))
    assert o.keep_snapshots is False


def test_without_torch_train_says_how_to_install(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "torch", None)
    assert main(["train", "--dataset", str(tmp_path), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "pip install 'alis-studio[train]'" in err


def test_dataset_command_alone_prints_help(capsys):
    assert main(["dataset"]) == 2
    assert "procedural" in capsys.readouterr().out


def test_train_help_documents_torchrun(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    assert "torchrun --nproc_per_node" in capsys.readouterr().out


def test_train_progress_line_shows_rate_eta_and_losses():
    import io

    from alis_studio.trainer.cli import TrainProgress

    out = io.StringIO()
    TrainProgress(out)({"step": 50, "total_steps": 100, "kimg": 0.4, "total_kimg": 0.8, "steps_per_s": 1.25,
                        "eta_s": 40.0, "losses": {"D": 1.2, "G": 0.9}})
    line = out.getvalue()
    assert "[##########..........]" in line and "1.25 steps/s" in line and "ETA 0:40" in line
    assert "D 1.200 G 0.900" in line


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    from alis_studio.trainer.procedural import write_dataset

    return write_dataset(tmp_path_factory.mktemp("data") / "photos", 8, 32, workers=1)


def _train(photos, out, *args) -> int:
    return main(["train", "--dataset", str(photos), "--out", str(out), "--config", "tiny", "--batch", "4",
                 "--kimg", "0.004", "--device", "cpu", "--metric-images", "0", "--quiet", *map(str, args)])


def _one_line(capsys, *needles) -> str:
    """The error is the last line on stderr, after the run's own log lines; no traceback."""
    err = capsys.readouterr().err.strip()
    last = err.splitlines()[-1]
    assert last.startswith("alis-studio: error: ") and "Traceback" not in err, err
    assert all(n in last for n in needles), err
    return last


def test_out_that_is_a_file_is_one_line(photos, tmp_path, capsys):
    (tmp_path / "run").write_bytes(b"keep")
    assert _train(photos, tmp_path / "run") == 2
    _one_line(capsys, str(tmp_path / "run"), "is a file")
    assert (tmp_path / "run").read_bytes() == b"keep"
    assert _train(photos, tmp_path / "run" / "sub") == 2  # a folder inside a file
    _one_line(capsys, str(tmp_path / "run" / "sub"))


def test_resume_from_an_empty_checkpoint_is_one_line(photos, tmp_path, capsys):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "checkpoint.pt").write_bytes(b"")
    assert _train(photos, tmp_path / "run", "--resume") == 2
    _one_line(capsys, str(tmp_path / "run" / "checkpoint.pt"), "empty")


def test_cache_dir_that_is_a_file_is_one_line(photos, tmp_path, capsys):
    (tmp_path / "cache").write_bytes(b"")
    assert _train(photos, tmp_path / "run", "--cache-dir", tmp_path / "cache") == 2
    _one_line(capsys, str(tmp_path / "cache"), "cache")


@pytest.mark.parametrize("flag,value", [
    ("--stationarity", "nan"), ("--stationarity", "-1"), ("--kimg", "nan"), ("--kimg", "0"), ("--kimg", "inf"),
    ("--snap", "nan"), ("--snap", "0"), ("--lr", "nan"), ("--lr", "-1"), ("--lr", "0"), ("--threads", "-1"),
    ("--threads", "0"), ("--threads", "1.5"), ("--gamma", "-1"), ("--gamma", "nan"), ("--mixing", "2"),
    ("--mixing", "-0.1"), ("--workers", "-1"), ("--workers", "0"), ("--resolution", "0"), ("--resolution", "-64"),
    ("--shift-ramp", "-1"), ("--shift-ramp", "nan"), ("--batch", "0"), ("--ema", "inf"), ("--ema-rampup", "-1"),
    ("--d-warmup", "nan"), ("--g-top-only", "-1"), ("--d-half", "nan"), ("--metric-images", "-1"),
    ("--seed", "-1"), ("--kimg", "ten"),
])
def test_out_of_range_options_are_refused_by_argparse(capsys, flag, value):
    with pytest.raises(SystemExit) as e:
        _args("--dataset", "d", "--out", "o", f"{flag}={value}")
    assert e.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith(f"alis-studio train: error: argument {flag}: ") and value in last, last


def _outside(rng) -> list:
    """Values just outside a declared range (and NaN for a float option)."""
    out = [float("nan"), float("inf")] if rng.kind is float else []
    if rng.lo is not None:
        out.append(rng.lo if rng.open_lo else rng.lo - (1 if rng.kind is int else 1e-3))
    if rng.hi is not None:
        out.append(rng.hi + (1 if rng.kind is int else 1e-3))
    return out


def _inside(rng) -> list:
    """The edges of a declared range that belong to it."""
    inside = [] if rng.lo is None or rng.open_lo else [rng.kind(rng.lo)]
    return inside + ([rng.kind(rng.hi)] if rng.hi is not None else [])


def test_each_range_is_declared_once_for_the_parser_and_the_resolved_options():
    """The same declaration refuses a value on the command line and in TrainOptions (an options.json
    read on --resume, a script); the edges of each range are accepted by both."""
    import dataclasses

    from alis_studio.trainer.options import option_ranges

    ranges = option_ranges()
    assert {"stationarity", "kimg", "snap_kimg", "lr", "threads", "r1_gamma", "mixing_prob", "workers",
            "resolution", "shift_ramp_kimg", "batch", "ema_kimg", "seed"} <= set(ranges)
    flags = _train_flags()
    for name, (flag, rng) in ranges.items():
        for bad in _outside(rng):
            with pytest.raises(UserError, match=f"^{flag} must be"):
                resolve_options(TrainOptions(dataset="d", out="o", config="tiny", **{name: bad}), False)
            if flag in flags:
                with pytest.raises(SystemExit):
                    _args("--dataset", "d", "--out", "o", f"{flag}={bad}")
        for good in _inside(rng):
            o = resolve_options(TrainOptions(dataset="d", out="o", config="tiny", **{name: good}), False)
            assert getattr(o, name) == good
            if flag in flags:
                assert getattr(_args("--dataset", "d", "--out", "o", f"{flag}={good}"), name) == good
    numbers = [f.name for f in dataclasses.fields(TrainOptions) if f.type in ("float", "int", "float | None",
                                                                              "int | None")]
    assert numbers and not [n for n in numbers if n not in ranges]  # every number declares its range


def _train_flags() -> set[str]:
    sub = build_parser()._subparsers._group_actions[0].choices["train"]
    return {s for a in sub._actions for s in a.option_strings}


# What --resume does not take from options.json: given on every run (dataset, out, resume), this
# machine's (device, precision whose auto resolves per device, threads, workers, cache_dir), or a
# new run's start that a resumed run's checkpoint replaces (init_from).
NOT_RESTORED = {"dataset", "out", "resume", "device", "precision", "threads", "workers", "cache_dir", "init_from"}


def _non_default(f):
    """A value of TrainOptions field `f` other than its default (inside its range for a number)."""
    import dataclasses

    rng = f.metadata["option"].range
    if rng is not None:
        d = f.default
        tries = [d + 1 if d is not None else None, rng.lo, rng.hi, (rng.lo or 0) + 1]
        if rng.lo is not None and rng.hi is not None:
            tries.append(rng.kind((rng.lo + rng.hi) / 2))
        return next(rng.kind(v) for v in tries if v is not None and v != d and rng.problem(v) is None)
    assert f.default is not dataclasses.MISSING, f.name
    if f.type == "bool":
        return not f.default
    return f"not-{f.default}"  # a str or str | None option: train_options does not check its value


def test_every_restored_option_survives_resume(tmp_path):
    """A run started with a non-default value of any option that --resume restores, resumed without
    its flag, keeps that value (an option missing from the restore rule would silently reset)."""
    import dataclasses

    from alis_studio.trainer.options import declared

    assert {name for name, o in declared().items() if not o.restore} == NOT_RESTORED
    fields = [f for f in dataclasses.fields(TrainOptions) if f.name not in NOT_RESTORED]
    started = TrainOptions(dataset="d", out=str(tmp_path), **{f.name: _non_default(f) for f in fields})
    (tmp_path / "options.json").write_text(json.dumps(dataclasses.asdict(started)))
    resumed = train_options(_args("--dataset", "d", "--out", str(tmp_path), "--resume"))
    lost = {f.name: (getattr(started, f.name), getattr(resumed, f.name)) for f in fields
            if getattr(resumed, f.name) != getattr(started, f.name)}
    assert not lost, f"--resume resets {lost}"


def test_a_new_option_is_one_field(monkeypatch, tmp_path, capsys):
    """A field added to TrainOptions with its declaration is a flag with its help and range, is
    checked in resolve_options, and survives --resume: nothing else to edit."""
    import dataclasses

    from alis_studio.trainer import options

    warp = options.option(0.0, "--warp", "W", "how much to warp (default 0)", kind=float, lo=0)
    extended = dataclasses.make_dataclass("TrainOptions", [("warp", float, warp)], bases=(TrainOptions,))
    monkeypatch.setattr(options, "TrainOptions", extended)
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    assert "--warp W" in capsys.readouterr().out
    o = train_options(_args("--dataset", "d", "--out", str(tmp_path), "--warp", "2.5"))
    assert o.warp == 2.5
    (tmp_path / "options.json").write_text(json.dumps(dataclasses.asdict(o)))
    assert train_options(_args("--dataset", "d", "--out", str(tmp_path), "--resume")).warp == 2.5
    with pytest.raises(SystemExit):
        _args("--dataset", "d", "--out", "o", "--warp=-1")
    with pytest.raises(UserError, match="^--warp must be"):
        resolve_options(extended(dataset="d", out="o", config="tiny", warp=-1.0), False)


def test_resume_refuses_options_json_that_is_not_an_object(tmp_path):
    (tmp_path / "options.json").write_text("[1, 2]")
    with pytest.raises(UserError, match="options.json: not the options of a run"):
        train_options(_args("--dataset", "d", "--out", str(tmp_path), "--resume"))


def test_the_options_json_a_run_writes_restores_its_recipe(photos, tmp_path):
    """A --resume with no option flags resolves to the options the run itself resolved and wrote
    (every one that --resume restores), read from the options.json the Trainer wrote."""
    import dataclasses

    from alis_studio.trainer.loop import Trainer
    from alis_studio.trainer.options import declared

    run = tmp_path / "run"
    args = _args("--dataset", str(photos), "--out", str(run), "--config", "tiny", "--batch", "4", "--kimg", "0.004",
                 "--device", "cpu", "--metric-images", "0", "--seed", "3", "--lr", "0.001", "--mixing", "0.5",
                 "--augment", "diffaug", "--stationarity", "0.5", "--d-half", "0.5", "--ema-rampup", "0",
                 "--no-keep-snapshots", "--gamma", "0.25", "--snap", "0.5", "--shift-ramp", "2")
    trainer = Trainer(train_options(args))
    trainer._teardown()  # its options.json is written; no step needed
    again = resolve_options(train_options(_args("--dataset", str(photos), "--out", str(run), "--resume")), cuda=False)
    restored = [name for name, o in declared().items() if o.restore]
    assert {n: getattr(again, n) for n in restored} == {n: getattr(trainer.opts, n) for n in restored}
    assert dataclasses.replace(again, resume=False, device="cpu") == trainer.opts  # this machine's: not restored
