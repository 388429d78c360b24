"""A video's camera speed has one default (jobs.video.DEFAULT_SPEED): the job's, the CLI's, the dialog's."""
from __future__ import annotations

import dataclasses

import pytest

from alis_studio.cli.export_video import video_job
from alis_studio.cli.main import build_parser
from alis_studio.engine.scene import Scene
from alis_studio.jobs.video import DEFAULT_SPEED, VideoJob


def test_the_job_and_the_cli_share_the_default_speed(tiny_renderer, capsys):
    assert {f.name: f.default for f in dataclasses.fields(VideoJob)}["speed"] == DEFAULT_SPEED
    args = build_parser().parse_args(["export", "--model", "m.alis", "--format", "mp4", "--intervals", "2",
                                      "--out", "v.mp4"])
    assert video_job(args, tiny_renderer, Scene(), "v.mp4").speed == DEFAULT_SPEED
    with pytest.raises(SystemExit):
        build_parser().parse_args(["export", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert f"camera speed, frame px per second (default {DEFAULT_SPEED:g})" in help_text


def test_the_export_dialog_starts_at_the_default_speed(qtbot, tiny_renderer):
    pytest.importorskip("PySide6")
    from alis_studio.gui import export_dialog

    dlg = export_dialog.ExportDialog(None, tiny_renderer, Scene(seed=2), 0, 600)
    qtbot.addWidget(dlg)
    try:
        assert dlg.speed.value() == DEFAULT_SPEED
    finally:
        qtbot.waitUntil(lambda: dlg.rate is not None, timeout=20_000)  # its speed probe ends before teardown
        for run in list(export_dialog._RUNNING):
            run.cancel_and_wait()
