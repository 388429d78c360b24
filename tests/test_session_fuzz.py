"""Damaged session files (wrong types, missing keys, huge numbers, NaN, negative loop periods) are
one line naming the field, in the engine, the CLI (exit 2) and the app (a dialog, scene unchanged)."""
import json

import pytest

from alis_studio.cli.main import main
from alis_studio.engine.scene import Scene, load_session, save_session
from alis_studio.errors import SessionError

GOOD = {"format": "alis-studio-session", "version": 1, "model": {"path": None, "sha256": None},
        "seed": 3, "psi": 0.7, "loop_period": None, "anchors": {"2": {"seed": 5, "pinned": True}},
        "edits": [], "view": {}}

BAD = [  # (change to GOOD, the field the message must name)
    ({"anchors": [1, 2]}, "'anchors' must be an object"),
    ({"anchors": {"x": {"seed": 1}}}, "'anchors' keys must be integer"),
    ({"anchors": {"1": {"seed": "7"}}}, "anchors['1'].seed must be an integer"),
    ({"anchors": {"1": {"seed": 2 ** 40}}}, "anchors['1'].seed must be an integer in [0, 4294967296)"),
    ({"anchors": {"1": {"seed": 1, "w": [0.5]}}}, "exactly one of 'seed' and 'w'"),
    ({"anchors": {"1": {"w": [0.5, "nan"]}}}, "anchors['1'].w must be a non-empty list of finite numbers"),
    ({"anchors": {"1": 7}}, "anchors['1'] must be an object"),
    ({"anchors": {"1": {"seed": 1, "pinned": "yes"}}}, "anchors['1'].pinned must be true or false"),
    ({"seed": None}, "'seed' must be an integer"),
    ({"seed": "12"}, "'seed' must be an integer"),
    ({"seed": True}, "'seed' must be an integer"),
    ({"psi": "0.7"}, "'psi' must be a number in [0, 2]"),
    ({"psi": float("nan")}, "'psi' must be a number in [0, 2]"),
    ({"psi": 1e308 * 10}, "'psi' must be a number in [0, 2]"),
    ({"psi": -1}, "'psi' must be a number in [0, 2]"),
    ({"loop_period": -4}, "'loop_period' must be null or an integer in [2,"),
    ({"loop_period": 10 ** 30}, "'loop_period' must be null or an integer in [2,"),
    ({"loop_period": 2.5}, "'loop_period' must be null or an integer"),
    ({"edits": [["move", 1]]}, "'edits' must be a list of"),
    ({"edits": {"insert": 1}}, "'edits' must be a list of"),
    ({"view": []}, "'view' must be an object"),
]


def _write(tmp_path, change, drop=()):
    doc = {**GOOD, **change}
    for key in drop:
        doc.pop(key)
    p = tmp_path / "s.json"
    p.write_text(json.dumps(doc))  # json.dumps writes NaN/Infinity, which json.loads reads back
    return p


def test_the_good_document_loads(tmp_path):
    scene, _ = load_session(_write(tmp_path, {}))
    assert scene.seed == 3 and scene.anchor(2).seed == 5 and scene.anchor(2).pinned


@pytest.mark.parametrize("change,field", BAD)
def test_damaged_sessions_name_the_field(tmp_path, change, field):
    p = _write(tmp_path, change)
    with pytest.raises(SessionError) as e:
        load_session(p)
    msg = str(e.value)
    assert msg.startswith(f"{p}: the session is damaged: ") and field in msg and "\n" not in msg


@pytest.mark.parametrize("key", ["seed", "psi"])
def test_missing_keys_name_the_field(tmp_path, key):
    with pytest.raises(SessionError, match=f"'{key}' must be"):
        load_session(_write(tmp_path, {}, drop=[key]))


@pytest.mark.parametrize("command", ["render", "export"])
@pytest.mark.parametrize("change,field", [BAD[0], BAD[12], BAD[15]])
def test_cli_says_one_line_and_exits_2(tiny_model_path, tmp_path, capsys, command, change, field):
    p = _write(tmp_path, change)
    out = tmp_path / ("o.png" if command == "render" else "o.tif")
    size = ["--intervals", "1"] if command == "render" else ["--width", "64"]
    assert main([command, "--model", str(tiny_model_path), "--session", str(p), *size, "--out", str(out),
                 "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"alis-studio: error: {p}: the session is damaged: ")
    assert field in err and not out.exists()


def test_app_shows_a_dialog_and_keeps_its_scene(qtbot, tiny_bundle, tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings
    from test_gui_support import make_window

    from alis_studio.gui import dialogs

    shown = []
    monkeypatch.setattr(dialogs, "error_box", lambda parent, title, msg: shown.append(msg))
    w = make_window(qtbot, tiny_bundle, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    w.scene.set_anchor_seed(1, 4242)
    before = w.scene.to_dict()
    for i, (change, field) in enumerate(BAD):
        p = _write(tmp_path, change)
        assert w.files.open_session(str(p)) is False
        assert len(shown) == i + 1 and field in shown[-1] and "\n" not in shown[-1]
    assert w.scene.to_dict() == before and w.isVisible()
    save_session(tmp_path / "ok.json", Scene(seed=9))
    assert w.files.open_session(str(tmp_path / "ok.json")) and w.scene.seed == 9  # still works
    w.close()
