"""The main window as a user meets it: files, sessions, bad models, images of the view, help, the CLI."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QDropEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from test_gui_support import grab, make_window, state, wait_complete  # noqa: E402

from alis_studio.engine.panorama import render_strip  # noqa: E402
from alis_studio.engine.scene import Scene  # noqa: E402
from alis_studio.gui import dialogs  # noqa: E402
from alis_studio.gui.images import to_numpy  # noqa: E402


@pytest.fixture
def errors(monkeypatch):
    shown = []
    monkeypatch.setattr(dialogs, "error_box", lambda parent, title, msg: shown.append(msg))
    return shown


def test_a_saved_session_reopens_with_the_same_pixels(qtbot, tiny_bundle, settings, tmp_path):
    a = make_window(qtbot, tiny_bundle, settings)
    a.editor.pin(1, True)
    a.editor.set_anchor_seed(2, 777)
    a.editor.set_psi(0.9)
    a.editor.insert(3)
    a.viewport.camera.set(x0=-123.0, scale=2.0, fit=False)
    a.selection.select(round(a.viewport.camera.center_x() / tiny_bundle.interval_width))  # as a reopened session selects
    wait_complete(qtbot, a.viewport)
    path = tmp_path / "s.json"
    assert a.files._write_session(str(path)) and a.stack.isClean()
    pixels = grab(a.viewport)

    b = make_window(qtbot, tiny_bundle, settings)
    assert b.files.open_session(str(path))
    assert state(b.scene) == state(a.scene) and b.viewport.camera.to_dict() == a.viewport.camera.to_dict()
    wait_complete(qtbot, b.viewport)
    assert np.array_equal(grab(b.viewport), pixels)
    assert b.session_path == str(path) and b.stack.count() == 0


@pytest.mark.parametrize("answer", ["cancel", "discard", "save"])
def test_closing_with_unsaved_edits_asks_first(window, monkeypatch, tmp_path, save_prompts, answer):
    window.editor.set_anchor_seed(2, 4242)
    path = tmp_path / "closing.json"
    monkeypatch.setattr(dialogs, "ask_save_changes", lambda parent, before: save_prompts.append(before) or answer)
    monkeypatch.setattr("alis_studio.gui.files.QFileDialog.getSaveFileName", lambda *a, **k: (str(path), ""))
    closed = window.close()
    assert save_prompts == ["closing"]
    assert closed == (answer != "cancel") and window.isVisible() == (answer == "cancel")
    assert path.exists() == (answer == "save")
    if answer == "save":
        from alis_studio.engine.scene import load_session
        assert state(load_session(path).scene) == state(window.scene) and window.stack.isClean()


def test_a_clean_session_closes_and_opens_without_asking(qtbot, window, tmp_path, save_prompts):
    path = tmp_path / "s.json"
    window.editor.pin(1, True)
    assert window.files._write_session(str(path))
    assert window.files.open_session(str(path)) and save_prompts == []
    window.editor.pin(2, True)  # now unsaved: opening asks, and "discard" goes on
    assert window.files.open_session(str(path)) and save_prompts == ["opening s.json"]
    assert window.close() and save_prompts == ["opening s.json"]


def test_new_session_starts_fresh_after_asking(window, monkeypatch, save_prompts):
    window.editor.set_psi(0.95)
    window.editor.pin(3, True)
    monkeypatch.setattr(dialogs, "ask_save_changes", lambda parent, before: save_prompts.append(before) or "cancel")
    window.acts["new_session"].trigger()
    assert save_prompts == ["starting a new session"] and window.scene.psi == 0.95  # cancelled: kept
    monkeypatch.setattr(dialogs, "ask_save_changes", lambda parent, before: "discard")
    window.acts["new_session"].trigger()
    assert state(window.scene) == state(Scene()) and window.stack.count() == 0 and window.session_path is None


def test_a_bad_session_file_gets_a_dialog(window, errors, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    before = state(window.scene)
    assert not window.files.open_session(str(bad))
    assert len(errors) == 1 and str(bad) in errors[0] and "\n" not in errors[0]
    assert state(window.scene) == before


def test_a_bad_model_file_leaves_the_app_working(qtbot, window, errors, tmp_path):
    bad = tmp_path / "broken.alis"
    bad.write_bytes(b"this is not a zip archive")
    with qtbot.waitSignal(window.model_failed, timeout=10000):
        window.open_model(str(bad))
    assert len(errors) == 1 and "broken.alis" in errors[0] and "\n" not in errors[0]
    assert window.bundle.path.name == "tiny.alis" and window.loading is None
    window.viewport.camera.pan_pixels(-300)
    wait_complete(qtbot, window.viewport)  # still renders
    assert window.recent_models() == [str(window.bundle.path)]


def test_a_failing_generator_is_reported_and_the_app_recovers(qtbot, window, tiny_bundle):
    import dataclasses

    class Broken:
        def run(self, names, feeds, run_options=None, **level):  # ORT's (and the stages') signature
            raise RuntimeError("CUDA error: out of memory\nmore detail")

    window.renderer.bundle = dataclasses.replace(tiny_bundle, synthesis=Broken())
    window.viewport.camera.pan_pixels(-5000)  # unseen columns: the worker fails on them
    qtbot.waitUntil(lambda: "rendering failed (RuntimeError: CUDA error: out of memory)"
                    in window.pending_label.text(), timeout=10000)
    window.renderer.bundle = tiny_bundle
    window.viewport.camera.pan_pixels(-3000)
    wait_complete(qtbot, window.viewport)
    window.update_perf()
    assert "failed" not in window.pending_label.text()


def test_dropping_a_model_file_opens_it(qtbot, window, tiny_model_path):
    md = QMimeData()
    md.setUrls([QUrl.fromLocalFile(str(tiny_model_path))])
    ev = QDropEvent(QPointF(100, 100), Qt.DropAction.CopyAction, md, Qt.MouseButton.LeftButton,
                    Qt.KeyboardModifier.NoModifier)
    old = window.renderer
    with qtbot.waitSignal(window.model_installed, timeout=10000):
        window.dropEvent(ev)
    assert window.renderer is not old and window.bundle.sha256 == old.bundle.sha256
    wait_complete(qtbot, window.viewport)


def test_open_recent_and_geometry_are_remembered(qtbot, tiny_bundle, settings):
    w = make_window(qtbot, tiny_bundle, settings, size=(700, 400))
    w._fill_recent()
    assert [a.text() for a in w.recent_menu.actions()] == [str(tiny_bundle.path)]
    w.close()
    assert settings.value("last_model") == str(tiny_bundle.path)
    assert settings.value("geometry") is not None


def test_save_view_as_png_writes_the_engines_pixels(qtbot, window, tmp_path):
    from PIL import Image

    window.viewport.camera.set(x0=50.5, scale=0.75, fit=False)
    path = tmp_path / "view.png"
    with qtbot.waitSignal(window.view_saved, timeout=10000):
        window.files.save_view(str(path))
    x0, width = window.viewport.camera.visible_range()
    assert x0 == 50
    want = render_strip(window.renderer, window.scene, x0, width)
    assert np.array_equal(np.asarray(Image.open(path).convert("RGB")), want)
    assert not list(tmp_path.glob(".*tmp*"))


def test_copy_view_puts_the_image_on_the_clipboard(qtbot, window):
    QApplication.clipboard().clear()
    window.acts["copy_view"].trigger()
    x0, width = window.viewport.camera.visible_range()
    qtbot.waitUntil(lambda: not QApplication.clipboard().image().isNull(), timeout=10000)
    got = to_numpy(QApplication.clipboard().image())
    assert np.array_equal(got, render_strip(window.renderer, window.scene, x0, width))


def test_export_opens_the_export_dialog_or_says_it_is_missing(window, monkeypatch):
    calls = []
    if importlib.util.find_spec("alis_studio.gui.export_dialog") is None:
        monkeypatch.setattr(dialogs, "info_box", lambda parent, title, msg: calls.append(title))
        window.acts["export"].trigger()
        assert calls == ["Export panorama"]
    else:
        from alis_studio.gui import export_dialog

        monkeypatch.setattr(export_dialog, "show_export_dialog", lambda *a, **kw: calls.append((a, kw)))
        window.acts["export"].trigger()
        assert calls == [((window, window.renderer, window.scene, *window.viewport.camera.visible_range()),
                          {"settings": window.settings, "screen_width": window.viewport.width()})]


def test_shortcuts_dialog_lists_the_actions_and_about_names_the_model(window):
    rows = dialogs.shortcut_rows(window.menus)
    keys = {text: k for _, text, k in rows}
    assert keys["Pin / Unpin"] == "P" and keys["Undo"] == "Ctrl+Z" and keys["Go to Origin"] == "Home"
    assert {"Open Model…", "Resample Unpinned", "Insert Before", "Copy Latent", "Zoom In"} <= set(keys)
    text = dialogs.about_text(window.bundle)
    assert window.bundle.sha256 in text and "ALIS Studio 0." in text and "CPU" in text


def test_no_model_yet_shows_a_hint_and_disables_model_actions(qtbot, settings):
    from alis_studio.gui.main_window import MainWindow

    w = MainWindow(settings, device="cpu")
    qtbot.addWidget(w)
    assert not w.acts["pin"].isEnabled() and w.acts["open_model"].isEnabled()
    w.acts["pin"].trigger()  # nothing to act on: no crash
    assert "Open a model" in w.centralWidget().text()


def _cli(*args, tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "alis_studio", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_gui_smoke_test_command(tiny_model_path, tmp_path):
    r = _cli("gui", str(tiny_model_path), "--smoke-test", tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("smoke test ok: tiny.alis")
    r = _cli("gui", str(tmp_path / "missing.alis"), "--smoke-test", tmp_path=tmp_path)
    assert r.returncode == 2 and "missing.alis: no such file" in r.stderr and "Traceback" not in r.stderr


def test_gui_command_parses_and_imports_no_qt_until_run():
    from alis_studio.cli.main import build_parser

    args = build_parser().parse_args(["gui", "m.alis", "--session", "s.json", "--smoke-test"])
    assert (args.model, args.session, args.smoke_test, args.device) == ("m.alis", "s.json", True, "auto")
    code = "import sys, alis_studio.cli.main as c; c.build_parser(); print('PySide6' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def test_bare_alis_studio_runs_the_gui_with_its_defaults(monkeypatch):
    """`alis-studio` alone runs the gui command with the gui parser's defaults."""
    from alis_studio.cli import main as cli
    from alis_studio.gui import app

    seen = []
    monkeypatch.setattr(app, "run_app", lambda args: seen.append(args) or 0)
    assert cli.main([]) == 0
    args = seen[0]
    assert (args.model, args.session, args.device, args.smoke_test) == (None, None, "auto", False)


def test_a_session_of_another_missing_model_opens_on_the_current_one(qtbot, window, tmp_path):
    import json

    path = tmp_path / "other.json"
    window.editor.set_seed(99)
    assert window.files._write_session(str(path))
    doc = json.loads(path.read_text())
    doc["model"] = {"path": str(tmp_path / "gone.alis"), "sha256": "0" * 64}
    path.write_text(json.dumps(doc))
    window.editor.set_seed(5)
    assert window.files.open_session(str(path))
    assert window.scene.seed == 99 and "another model" in window.statusBar().currentMessage()


def test_seed_and_connect_dialogs(qtbot):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QLineEdit, QSpinBox

    def fill(texts, n=None):
        def go():
            dlg = QApplication.activeModalWidget()
            for edit, text in zip(dlg.findChildren(QLineEdit), texts):
                edit.setText(text)
            if n is not None:
                dlg.findChild(QSpinBox).setValue(n)
            dlg.accept()
        QTimer.singleShot(50, go)

    fill(["4294967295"])
    assert dialogs.ask_seed(None, "Seed", 1) == 2 ** 32 - 1
    fill(["7", "8"], n=5)
    assert dialogs.ask_connect(None, 0, 7) == (7, 8, 5)


def test_open_recent_survives_relaunches_with_a_real_settings_file(qtbot, tiny_bundle, tiny_f1_bundle, tmp_path):
    """A one-entry list written by one process comes back from the INI file as a plain string in the
    next: Open Recent once listed it character by character ("/", "t", "m", ...). The first launch
    runs in a child process, since QSettings caches a file within a process."""
    import subprocess
    import sys

    from PySide6.QtCore import QSettings

    path = str(tmp_path / "relaunch.ini")
    first = ("from PySide6.QtCore import QSettings\n"
             f"s = QSettings({path!r}, QSettings.Format.IniFormat)\n"
             f"s.setValue('recent_models', [{str(tiny_f1_bundle.path)!r}]); s.sync()")
    subprocess.run([sys.executable, "-c", first], check=True)
    w = make_window(qtbot, tiny_bundle, QSettings(path, QSettings.Format.IniFormat))
    w._fill_recent()
    assert [a.text() for a in w.recent_menu.actions()] == [str(tiny_bundle.path), str(tiny_f1_bundle.path)]
    w.close()


def test_missing_x11_libraries_are_named_in_one_line():
    """A bare Debian image lacked libxcb-icccm4 and libxcb-keysyms1: Qt aborted, blaming another."""
    from alis_studio.errors import UserError
    from alis_studio.gui.app import check_window_libraries

    have = {"xcb-cursor", "xcb-image", "xcb-render-util", "xcb-shape", "xkbcommon-x11"}
    find = lambda name: f"lib{name}.so" if name in have else None  # noqa: E731
    with pytest.raises(UserError) as e:
        check_window_libraries({"DISPLAY": ":0"}, find)
    assert str(e.value) == ("the app's window needs system libraries that are missing: libxcb-icccm4, "
                            "libxcb-keysyms1 (Debian/Ubuntu: sudo apt install libxcb-icccm4 libxcb-keysyms1)")
    check_window_libraries({"DISPLAY": ":0"}, lambda name: "found")  # all there: fine
    check_window_libraries({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, find)  # no window system needed
    check_window_libraries({}, find)  # no X display: Qt says so itself


def test_about_keeps_labels_whole_and_shows_no_training_machine_path(window, monkeypatch):
    """About wrapped "Trained / on" and showed the training machine's dataset folder."""
    tr = {"dataset": "/home/someone/data/procedural256", "kimg": 111.9, "metrics": {}}
    monkeypatch.setitem(window.bundle.meta, "training", tr)
    text = dialogs.about_text(window.bundle)
    assert "<b>Trained&nbsp;on</b>" in text and "procedural256 (111.9 kimg)" in text
    assert "/home/someone" not in text
