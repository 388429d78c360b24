"""Files in the app (issue 31, item 12): recent sessions, the session folder, and the view saved as a
PNG either in model pixels or as the screen shows it."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6")

from test_gui_support import grab, wait_complete  # noqa: E402

from alis_studio.engine.panorama import render_strip  # noqa: E402


def test_open_recent_lists_sessions_too(qtbot, window, tmp_path, monkeypatch):
    """Open Recent listed models only: the sessions saved or opened are there too, and open."""
    folder = tmp_path / "work"
    folder.mkdir()
    a, b = folder / "a.json", folder / "b.json"
    window.editor.set_anchor_seed(1, 111)
    assert window.files._write_session(str(a))
    window.editor.set_anchor_seed(1, 222)
    assert window.files._write_session(str(b))
    assert window.files.open_session(str(a))
    window._fill_recent()
    texts = [act.text() for act in window.recent_menu.actions()]
    assert texts[0] == str(window.bundle.path)
    assert texts[-2:] == [str(a), str(b)]  # the latest first
    window.editor.set_anchor_seed(1, 333)
    window.stack.setClean()
    [act for act in window.recent_menu.actions() if act.text() == str(b)][0].trigger()
    assert window.session_path == str(b) and window.scene.anchor(1).seed == 222


def test_open_session_starts_in_the_last_session_folder(qtbot, window, tmp_path, monkeypatch):
    """Open Session started in HOME (or the last model's folder), not where the sessions are."""
    folder = tmp_path / "sessions"
    folder.mkdir()
    assert window.files._write_session(str(folder / "s.json"))
    window.settings.setValue("last_dir", str(tmp_path))  # a model was opened elsewhere since
    asked = []
    monkeypatch.setattr("alis_studio.gui.files.QFileDialog.getOpenFileName",
                        lambda parent, title, start, filt: asked.append(start) or ("", ""))
    monkeypatch.setattr("alis_studio.gui.files.QFileDialog.getSaveFileName",
                        lambda parent, title, start, filt: asked.append(start) or ("", ""))
    window.files.open_session_dialog()
    window.session_path = None
    window.files.save_session_as()
    assert [Path(p).parent if Path(p).suffix else Path(p) for p in asked] == [folder, folder]


def _save_view(qtbot, window, monkeypatch, path, choice):
    from alis_studio.gui import files

    monkeypatch.setattr("alis_studio.gui.files.QFileDialog.getSaveFileName",
                        lambda *a, **k: (str(path), files.VIEW_FILTERS[choice]))
    with qtbot.waitSignal(window.view_saved, timeout=10000):
        window.files.save_view_dialog()


@pytest.mark.parametrize("scale", [2.0, 0.5])
def test_save_view_offers_model_pixels_or_what_the_screen_shows(qtbot, window, tmp_path, monkeypatch, scale):
    """Save View as PNG wrote model pixels (466x128) where the screen showed 932x256, without saying:
    the dialog offers both, and the status bar says which was written."""
    from PIL import Image

    v, H = window.viewport, window.bundle.height
    v.camera.set(x0=20.25, scale=scale, fit=False)
    window.selection.select(1)  # its notch on screen: not part of the picture
    assert 0 < v.camera.to_screen_x(v.marker_x) < v.width()
    wait_complete(qtbot, v)

    model = tmp_path / "model.png"
    _save_view(qtbot, window, monkeypatch, model, "model")
    x0, width = v.camera.visible_range()
    assert np.array_equal(np.asarray(Image.open(model).convert("RGB")), render_strip(window.renderer, window.scene,
                                                                                      x0, width))
    assert "model pixels" in window.statusBar().currentMessage()

    screen = tmp_path / "screen.png"
    _save_view(qtbot, window, monkeypatch, screen, "screen")
    got = np.asarray(Image.open(screen).convert("RGB")).astype(int)
    shown = min(v.height(), round(H * v.camera.scale))
    assert got.shape == (shown, v.width(), 3)
    top = max(0, round(v.camera.top()))
    marker = v.marker_x
    v.set_marker(None)  # the selected anchor's notch is not part of the panorama
    on_screen = grab(v)[top:top + shown].astype(int)
    v.set_marker(marker)
    assert np.array_equal(got, on_screen)  # the screen's own pixels
    assert "as on screen" in window.statusBar().currentMessage()
