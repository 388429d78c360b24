"""Damaged session files (wrong types, missing keys, huge numbers, NaN, negative loop periods) are
one line naming the field, in the engine, the CLI (exit 2) and the app (a dialog, scene unchanged).
Every field of a session that uses them all is damaged every way (wrong type, huge, NaN, negative,
missing, extra key, nested deep): each gives one line or a correct load (issue 31)."""
import copy
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
    # the view (issue 31 item 1): finite, in the camera's range, no unknown keys
    ({"view": {"x0": 1e300}}, "view.x0 must be a number (a panorama column) within ±1,099,511,627,776"),
    ({"view": {"x0": float("nan")}}, "view.x0 must be a number"),
    ({"view": {"x0": "12"}}, "view.x0 must be a number"),
    ({"view": {"scale": 1e300}}, "view.scale must be a number in [0.125, 1024]"),
    ({"view": {"scale": -2}}, "view.scale must be a number in [0.125, 1024]"),
    ({"view": {"cy": float("inf")}}, "view.cy must be a number (a model row) in [0, 65536]"),
    ({"view": {"cy": -1}}, "view.cy must be a number"),
    ({"view": {"fit": 1}}, "view.fit must be true or false"),
    ({"view": {"fit_cap": 0}}, "view.fit_cap must be null or a number in [0.125, 1024]"),
    ({"view": {"zoom": 2}}, "view has an unknown field 'zoom'"),
    # explicit latents (item 2; their length against the model: test_cli_refuses_latents_of_another_model)
    ({"anchors": {"1": {"w": [1e300]}}}, "anchors['1'].w must be a non-empty list of finite numbers in [-1000, 1000]"),
    ({"anchors": {"1": {"w": []}}}, "anchors['1'].w must be a non-empty list"),
    ({"anchors": {"1": {"seed": 1, "colour": "red"}}}, "anchors['1'] has an unknown field 'colour'"),
    ({"anchors": {"1": {"seed": 1, "edits": {"1": float("nan")}}}}, "anchors['1'].edits amounts must be numbers"),
    # the model (item 3)
    ({"model": [1, 2]}, "'model' must be an object with 'path' and 'sha256'"),
    ({"model": None}, "'model' must be an object"),
    ({"model": {"path": 5}}, "model.path must be null or a file path"),
    ({"model": {"path": "a\nb.alis"}}, "model.path must be null or a file path"),
    ({"model": {"sha256": 7}}, "model.sha256 must be null or 64 lowercase hexadecimal digits"),
    ({"model": {"path": "m.alis", "url": "x"}}, "model has an unknown field 'url'"),
    # what the toolbar can show (item 4) and anchor indices (item 18)
    ({"seed": 10 ** 400}, "'seed' must be an integer in [0, 4294967296)"),
    ({"seed": -1}, "'seed' must be an integer in [0, 4294967296)"),
    ({"loop_period": 10 ** 9}, "'loop_period' must be null or an integer in [2, 100000]"),
    ({"anchors": {"1" + "0" * 300: {"seed": 1}}}, "'anchors' keys must be integer anchor indices within ±"),
    ({"anchors": {"1e300": {"seed": 1}}}, "'anchors' keys must be integer anchor indices"),
    ({"anchors": {"1000000000001": {"seed": 1}}}, "'anchors' keys must be integer anchor indices"),
    ({"edits": [["insert", 10 ** 300]]}, "'edits' anchor indices must be within ±1,000,000,000,000"),
    ({"edits": [["insert", 1e300]]}, "'edits' must be a list of"),
    # the rest, to the last field
    ({"version": True}, "'version' must be an integer from 1"),
    ({"version": 0}, "'version' must be an integer from 1"),
    ({"directions": {"names": {"1": "a\nb"}}}, "directions.names must be an object of component -> a name"),
    ({"directions": {"edits": {}, "basis": 1}}, "directions has an unknown field 'basis'"),
    ({"comment": "hi"}, "the session has an unknown field 'comment'"),
]


def _write(tmp_path, change, drop=()):
    doc = {**GOOD, **change}
    for key in drop:
        doc.pop(key)
    p = tmp_path / "s.json"
    p.write_text(json.dumps(doc))  # json.dumps writes NaN/Infinity, which json.loads reads back
    return p


def test_the_good_document_loads(tmp_path):
    scene = load_session(_write(tmp_path, {})).scene
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


# ------------------------------------------------------------------ every field, damaged every way
W_DIM = 8  # the fuzz's explicit latents; the CLI and app cases below use the tiny model's w_dim


def rich(w_dim: int = W_DIM) -> dict:
    """A good session using every field the format has."""
    return {"format": "alis-studio-session", "version": 2, "model": {"path": "/models/m.alis", "sha256": "ab" * 32},
            "seed": 3, "psi": 0.7, "loop_period": 12,
            "anchors": {"2": {"seed": 5, "pinned": True, "edits": {"1": 1.5}}, "-3": {"w": [0.25] * w_dim}},
            "edits": [["insert", 4], ["delete", -2]],
            "directions": {"edits": {"2": -0.5}, "names": {"2": "sky"}},
            "view": {"x0": -300.5, "scale": 2.0, "cy": 12.0, "fit": False, "fit_cap": None}, "selected": 2}


VALUES = {  # kind -> replacement value
    "string": "x", "list": [], "object": {}, "true": True, "null": None, "zero": 0, "negative": -1,
    "fraction": -0.5, "huge": 1e300, "-huge": -1e300, "400 digits": 10 ** 400, "nan": float("nan"),
    "inf": float("inf"),
}
ALWAYS_REFUSED = {"huge", "-huge", "400 digits", "nan", "inf", "extra key", "bad key", "deep"}
REQUIRED = {("format",), ("version",), ("seed",), ("psi",), ("anchors", "2", "seed"), ("anchors", "-3", "w"),
            ("edits", 0, 0), ("edits", 0, 1), ("edits", 1, 0), ("edits", 1, 1)}
BAD_KEYS = ["x", "1e300", "-0", "01", " 1", "1" + "0" * 300, "\u0663", "1000000000001"]


def _nodes(node, path=()):
    """(path, value) of every field and nested field, depth first (the root excluded)."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in items:
        yield path + (k,), v
        yield from _nodes(v, path + (k,))


def _parent(doc, path):
    for k in path[:-1]:
        doc = doc[k]
    return doc


def _mutations():
    """(description, kind, path, damaged document) for every field of `rich()`."""
    for path, value in list(_nodes(rich())):
        for kind, new in [*VALUES.items(), ("deep", _deep(600))]:
            doc = copy.deepcopy(rich())
            _parent(doc, path)[path[-1]] = new
            yield f"{path} = {kind}", kind, path, doc
        doc = copy.deepcopy(rich())
        del _parent(doc, path)[path[-1]]
        yield f"{path} missing", "missing", path, doc
        if isinstance(value, (dict, list)):
            doc = copy.deepcopy(rich())
            if isinstance(value, dict):
                _parent(doc, path)[path[-1]]["zz"] = 1
            else:
                _parent(doc, path)[path[-1]].append(copy.deepcopy(value[-1]) if value else 1)
            yield f"{path} + extra", "extra key" if isinstance(value, dict) else "extra item", path, doc
        if isinstance(value, dict) and path[0] in ("anchors", "directions") and value and len(path) >= 2 \
                or path == ("anchors",):
            for key in BAD_KEYS:
                doc = copy.deepcopy(rich())
                target = _parent(doc, path)[path[-1]]
                target[key] = target.pop(next(iter(target)))
                yield f"{path} key {key[:12]!r}", "bad key", path, doc
    for key in ("comment", "zz"):
        yield f"top-level + {key}", "extra key", (key,), {**rich(), key: 1}


def _deep(n: int) -> list:
    doc: list = []
    for _ in range(n):
        doc = [doc]
    return doc


def _correct_load(session, doc, tmp_path):
    """A session that loads must load right: values the app can show, the camera in range, and a
    save and reopen that gives the same scene (what loaded is what the document says)."""
    from alis_studio.engine.camera import MIN_SCALE, Camera
    from alis_studio.engine.session_schema import MAX_LOOP, MAX_W, MAX_X0, SEED_LIMIT

    scene, model = session.scene, session.model
    assert 0 <= scene.seed < SEED_LIMIT and (scene.loop_period is None or 2 <= scene.loop_period <= MAX_LOOP)
    assert all(all(abs(v) <= MAX_W for v in s.w) for s in scene.overrides().values() if s.w is not None)
    assert all(isinstance(model[k], (str, type(None))) for k in ("path", "sha256"))
    camera = Camera.from_dict(session.view, height=32, width=640, screen_height=360)
    assert abs(camera.x0) <= MAX_X0 and MIN_SCALE <= camera.scale <= camera.max_scale() and 0 <= camera.cy <= 32
    again = load_session(save_session(tmp_path / "again.json", scene, model["path"], model["sha256"],
                                      view=session.view, selected=session.selected))
    assert again.scene.to_dict() == scene.to_dict() and again.model == model  # what loaded is what saves again
    assert (again.view, again.selected) == (session.view, session.selected)
    assert session.view == doc.get("view", {}) and session.selected == doc.get("selected")
    for key in ("seed", "psi", "loop_period"):
        if key in doc:
            assert scene.to_dict()[key] == doc[key], key


def test_every_field_damaged_every_way_is_one_line_or_a_correct_load(tmp_path):
    p = tmp_path / "s.json"
    outcomes = {"refused": 0, "loaded": 0}
    for what, kind, path, doc in _mutations():
        p.write_text(json.dumps(doc))
        try:
            session = load_session(p)
        except SessionError as e:
            msg = str(e)
            assert msg.startswith(f"{p}: ") and "\n" not in msg and len(msg) < 400, what
            assert path[0] == "format" or str(path[0]) in msg, (what, msg)  # names the field
            outcomes["refused"] += 1
            continue
        assert kind not in ALWAYS_REFUSED and not (kind == "missing" and path in REQUIRED), f"{what} loaded"
        _correct_load(session, doc, tmp_path)
        outcomes["loaded"] += 1
    assert outcomes["refused"] > 400 and outcomes["loaded"] > 50, outcomes


def test_missing_optional_fields_take_their_defaults(tmp_path):
    p = tmp_path / "s.json"
    p.write_text(json.dumps({"format": "alis-studio-session", "version": 1, "seed": 4, "psi": 0.5}))
    session = load_session(p)
    assert session.scene.to_dict() == Scene(seed=4, psi=0.5).to_dict()
    assert session.model == {"path": None, "sha256": None} and session.view == {} and session.selected is None


@pytest.mark.parametrize("text,problem", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    (json.dumps({**GOOD, "view": {"x0": 0}}).replace('{"x0": 0}', '{"a": ' * 5000 + "1" + "}" * 5000),
     "nested too deeply"),
    (json.dumps({**GOOD, "model": _deep(700)}), "'model' must be an object"),
    (json.dumps({**GOOD, "seed": 1}).replace('"seed": 1', '"seed": 1' + "0" * 5000), "not a valid session file"),
])
def test_deeply_nested_and_overlong_documents_are_one_line(tmp_path, text, problem):
    p = tmp_path / "s.json"
    p.write_text(text)
    with pytest.raises(SessionError) as e:
        load_session(p)
    assert str(e.value).startswith(f"{p}: ") and problem in str(e.value) and "\n" not in str(e.value)
    assert len(str(e.value)) < 300


# ------------------------------------------------------------------ the same files headless and in the app
def _fitting(w_dim: int, **change) -> dict:
    """rich() for the model of `w_dim` (no model recorded), with `change` applied."""
    return {**rich(w_dim), "model": {"path": None, "sha256": None}, **change}


def _headless_cases(w_dim: int) -> list:
    """(session file text, what the message says): one of each item of issue 31's sessions."""
    view = rich()["view"]
    deep = json.dumps(_fitting(w_dim))[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}"  # json.dumps recurses
    return [(json.dumps(doc), problem) for doc, problem in [
        (_fitting(w_dim, view={**view, "x0": 1e300}), "view.x0 must be a number"),
        (_fitting(w_dim, view={**view, "scale": float("nan")}), "view.scale must be a number"),
        (_fitting(w_dim, anchors={"1": {"w": [0.5] * 3}}), f"anchors['1'].w has 3 values, the model's w has {w_dim}"),
        (_fitting(w_dim, anchors={"1": {"w": [1e300] * w_dim}}), "anchors['1'].w must be a non-empty list"),
        (_fitting(w_dim, model=[1, 2]), "'model' must be an object"),
        (_fitting(w_dim, model={"path": 5}), "model.path must be null or a file path"),
        (_fitting(w_dim, seed=int("7" * 400)), "'seed' must be an integer in [0, 4294967296)"),
        (_fitting(w_dim, loop_period=10 ** 9), "'loop_period' must be null or an integer in [2, 100000]"),
        (_fitting(w_dim, anchors={"1" + "0" * 300: {"seed": 1}}), "'anchors' keys must be integer anchor indices"),
        (_fitting(w_dim, view=_deep(600)), "'view' must be an object"),
    ]] + [(deep, "nested too deeply")]


def _damaged_files(folder, w_dim: int) -> list:
    folder.mkdir(exist_ok=True)
    files = []
    for i, (text, problem) in enumerate(_headless_cases(w_dim)):
        p = folder / f"bad{i}.json"
        p.write_text(text)
        files.append((p, problem))
    return files


@pytest.mark.parametrize("command", ["render", "export"])
def test_cli_refuses_each_damaged_session_in_one_line_and_writes_nothing(tiny_model_path, tiny_bundle, tmp_path,
                                                                         capsys, command):
    out = tmp_path / ("o.png" if command == "render" else "o.tif")
    size = ["--intervals", "1"] if command == "render" else ["--width", "64"]
    for p, problem in _damaged_files(tmp_path / "sessions", tiny_bundle.w_dim):
        rc = main([command, "--model", str(tiny_model_path), "--session", str(p), *size, "--out", str(out), "--quiet"])
        err = capsys.readouterr().err
        assert rc == 2 and err.count("\n") == 1 and err.startswith(f"alis-studio: error: {p}: "), (p, err)
        assert problem in err and [x.name for x in tmp_path.iterdir()] == ["sessions"]  # nothing written


def test_cli_renders_the_rich_session_that_fits(tiny_model_path, tiny_bundle, tmp_path):
    p = tmp_path / "ok.json"
    p.write_text(json.dumps(_fitting(tiny_bundle.w_dim)))
    out = tmp_path / "o.png"
    assert main(["render", "--model", str(tiny_model_path), "--session", str(p), "--intervals", "1",
                 "--start", "-3", "--out", str(out), "--quiet"]) == 0
    assert out.stat().st_size > 0


@pytest.mark.parametrize("argv,problem", [
    (["render", "--seed", "-1"], "--seed must be an integer in [0, 4294967295] (seeds are 32-bit), got -1"),
    (["render", "--seed", str(2 ** 64)], f"--seed must be an integer in [0, 4294967295] (seeds are 32-bit), "
                                         f"got {2 ** 64}"),
    (["render", "--seed", str(2 ** 32)], "--seed must be an integer in [0, 4294967295]"),
    (["export", "--seed", "-1"], "--seed must be an integer in [0, 4294967295]"),
    (["render", "--start", str(10 ** 13)], "--start must be within ±1,000,000,000,000 anchor intervals"),
])
def test_cli_seeds_and_starts_outside_the_range_are_refused(tiny_model_path, tmp_path, capsys, argv, problem):
    out = tmp_path / ("o.png" if argv[0] == "render" else "o.tif")
    size = ["--intervals", "1"] if argv[0] == "render" else ["--width", "64"]
    assert main([*argv, "--model", str(tiny_model_path), *size, "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"alis-studio: error: {problem}") and err.count("\n") == 1
    assert not out.exists()


def test_cli_the_largest_seed_renders(tiny_model_path, tmp_path):
    out = tmp_path / "o.png"
    assert main(["render", "--model", str(tiny_model_path), "--seed", str(2 ** 32 - 1), "--intervals", "1",
                 "--out", str(out), "--quiet"]) == 0
    assert out.exists()


def test_gui_refuses_the_same_files_before_a_window_opens(tiny_model_path, tiny_bundle, tmp_path, capsys, monkeypatch):
    from alis_studio.gui import app, main_window

    class NoWindow:
        def __init__(self, *args, **kwargs):
            raise AssertionError("a damaged session must not open a window")
    monkeypatch.setattr(main_window, "MainWindow", NoWindow)
    monkeypatch.setattr(app, "apply_theme", lambda qapp: None)  # the test process's other windows keep Qt's style
    for p, problem in _damaged_files(tmp_path, tiny_bundle.w_dim):
        assert main(["gui", str(tiny_model_path), "--session", str(p)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith(f"alis-studio: error: {p}: ") and problem in err


def _window_state(w) -> tuple:
    return (w.scene.to_dict(), w.camera.to_dict(), w.size().toTuple(), w.session_path, w.windowTitle(),
            w.controls.seed_edit.text(), w.controls.loop_spin.value())


def test_app_refuses_the_same_files_and_stays_as_it_was(qtbot, tiny_bundle, tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings
    from test_gui_support import make_window, wait_complete

    from alis_studio.gui import dialogs

    shown = []
    monkeypatch.setattr(dialogs, "error_box", lambda parent, title, msg: shown.append((title, msg)))
    w = make_window(qtbot, tiny_bundle, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_fitting(tiny_bundle.w_dim)))
    assert w.files.open_session(str(good))
    wait_complete(qtbot, w.viewport)
    assert w.camera.x0 == -300.5 and w.camera.scale == 2.0 and w.controls.loop_spin.value() == 12
    before = _window_state(w)
    for p, problem in _damaged_files(tmp_path / "sessions", tiny_bundle.w_dim):
        assert w.files.open_session(str(p)) is False
        title, msg = shown.pop()
        assert title == "Open session" and msg.startswith(f"{p}: ") and problem in msg and "\n" not in msg
        assert _window_state(w) == before, p
    elsewhere = tmp_path / "elsewhere.json"  # made with a model that is not here: said in the status bar
    elsewhere.write_text(json.dumps(_fitting(tiny_bundle.w_dim, model={"path": "gone.alis", "sha256": "c" * 64})))
    assert w.files.open_session(str(elsewhere)) and "another model" in w.statusBar().currentMessage()
    other = tmp_path / "other.json"
    other.write_text(json.dumps(_fitting(tiny_bundle.w_dim, seed=11, view={"x0": 64.0, "fit": True})))
    assert w.files.open_session(str(other)) and w.scene.seed == 11 and w.camera.x0 == 64.0
    wait_complete(qtbot, w.viewport)
    assert w.statusBar().currentMessage() == "" and not shown  # nothing said about an earlier session stays
    assert w.renderer.last_error is None and "failed" not in w.pending_label.text()
    w.close()


def test_app_checks_a_session_against_the_other_model_it_names_before_opening_it(qtbot, tiny_bundle,
                                                                                  tiny_model_path, tmp_path,
                                                                                  monkeypatch):
    import hashlib
    import shutil
    import zipfile

    from PySide6.QtCore import QSettings
    from test_gui_support import make_window

    from alis_studio.gui import dialogs

    shown, opened = [], []
    monkeypatch.setattr(dialogs, "error_box", lambda parent, title, msg: shown.append(msg))
    w = make_window(qtbot, tiny_bundle, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    monkeypatch.setattr(w, "open_model", lambda path, then_session=None: opened.append(path))
    model = tmp_path / "copy.alis"  # the same networks, another file: another sha256
    shutil.copy(tiny_model_path, model)
    with zipfile.ZipFile(model, "a") as zf:
        zf.comment = b"another build"
    sha = hashlib.sha256(model.read_bytes()).hexdigest()
    assert sha != tiny_bundle.sha256
    p = tmp_path / "s.json"
    p.write_text(json.dumps({**_fitting(tiny_bundle.w_dim), "model": {"path": str(model), "sha256": sha},
                             "anchors": {"1": {"w": [0.5] * 3}}}))
    before = _window_state(w)
    assert w.files.open_session(str(p)) is False and not opened and _window_state(w) == before
    assert shown == [f"{p}: the session does not fit the model: anchors['1'].w has 3 values, "
                     f"the model's w has {tiny_bundle.w_dim}"]
    p.write_text(json.dumps({**_fitting(tiny_bundle.w_dim), "model": {"path": str(model), "sha256": sha}}))
    assert w.files.open_session(str(p)) and opened == [str(model)]  # a session that fits: that model opens first
    w.close()


def test_the_toolbar_shows_the_largest_seed_and_loop_a_session_may_hold(qtbot, tiny_bundle, tmp_path):
    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QValidator
    from test_gui_support import make_window

    from alis_studio.engine.session_schema import MAX_LOOP, SEED_LIMIT

    w = make_window(qtbot, tiny_bundle, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    p = tmp_path / "edge.json"
    p.write_text(json.dumps(_fitting(tiny_bundle.w_dim, seed=SEED_LIMIT - 1, loop_period=MAX_LOOP)))
    assert w.files.open_session(str(p))
    controls = w.controls
    assert controls.seed_edit.text() == str(SEED_LIMIT - 1) and controls.loop_spin.value() == MAX_LOOP
    assert controls.loop_spin.maximum() == MAX_LOOP
    validate = controls.seed_edit.validator().validate
    assert validate(str(SEED_LIMIT - 1), 0)[0] == QValidator.State.Acceptable
    assert validate(str(SEED_LIMIT - 1) + "0", 0)[0] == QValidator.State.Invalid
    w.close()
