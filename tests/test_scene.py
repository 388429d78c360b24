"""The scene contract (DESIGN.md 3.2): seeds, overrides, shifts, loops, sessions."""
import json

import numpy as np
import pytest

from alis_studio.engine.scene import (AnchorSpec, Scene, check_session_model, default_seed, load_session,
                                      save_session, z_from_seed)
from alis_studio.engine.session_schema import MAX_EDITS, MAX_INDEX, MAX_LOOP, MAX_NAME, MAX_W, SEED_LIMIT
from alis_studio.errors import SessionError


def test_z_from_seed_is_the_documented_generator():
    z = z_from_seed(42, 16)
    expected = np.random.Generator(np.random.PCG64(42)).standard_normal(16).astype(np.float32)
    np.testing.assert_array_equal(z, expected)
    assert z.dtype == np.float32


def test_default_seeds_differ_per_anchor_and_scene():
    seeds = {default_seed(0, i) for i in range(-50, 50)}
    assert len(seeds) == 100
    assert default_seed(0, 3) != default_seed(1, 3)
    assert Scene(seed=9).anchor(-7) == Scene(seed=9).anchor(-7)


def test_insert_shifts_everything_right_of_it():
    s = Scene(seed=3)
    before = [s.anchor(i) for i in range(-3, 10)]
    s.pin(6)
    s.insert(2, AnchorSpec(seed=123))
    assert s.anchor(2) == AnchorSpec(seed=123)
    assert [s.anchor(i) for i in range(-3, 2)] == before[:5]  # left of it unchanged
    assert [s.anchor(i).seed for i in range(3, 11)] == [a.seed for a in before[5:]]  # pure shift
    assert s.anchor(7).pinned  # the pinned anchor moved with the rest


def test_delete_and_move():
    s = Scene(seed=4)
    before = [s.anchor(i) for i in range(0, 10)]
    s.delete(3)
    assert [s.anchor(i) for i in range(0, 3)] == before[:3]
    assert [s.anchor(i) for i in range(3, 9)] == before[4:10]
    s2 = Scene(seed=4)
    s2.move(1, 5)
    assert s2.anchor(5) == before[1]
    assert [s2.anchor(i) for i in (0, 1, 2, 3, 4, 6)] == [before[i] for i in (0, 2, 3, 4, 5, 6)]


def test_resample_unpinned_keeps_pinned():
    s = Scene(seed=1)
    s.set_anchor_seed(0, 10)
    s.pin(0)
    s.set_anchor_seed(4, 44)  # overridden but not pinned
    free = s.anchor(2)
    s.resample_unpinned(np.random.default_rng(0))
    assert s.anchor(0) == AnchorSpec(seed=10, pinned=True)
    assert s.anchor(4).seed != 44 and s.anchor(2) != free


def test_loop_wraps():
    s = Scene(seed=2, loop_period=5)
    assert s.anchor(7) == s.anchor(2) and s.anchor(-1) == s.anchor(4)
    s.set_anchor_seed(6, 99)
    assert s.anchor(1).seed == 99
    s.insert(1, AnchorSpec(seed=5))
    assert s.loop_period == 6
    with pytest.raises(ValueError):
        s.set_loop_period(1)


def test_callbacks_fire_only_on_real_change():
    s = Scene(seed=1, psi=0.7)
    calls = []
    s.subscribe(lambda sc: calls.append(sc.psi))
    assert not s.set_psi(0.7)
    assert s.set_psi(0.5)
    s.move(2, 6)
    assert len(calls) == 2  # a move is one notification


def test_restore_is_exact_undo():
    s = Scene(seed=8)
    state = s.to_dict()
    s.insert(1)
    s.pin(3)
    s.set_psi(1.1)
    s.restore(state)
    assert s.to_dict() == state and s.anchor(1) == Scene(seed=8).anchor(1)


def test_session_round_trip(tmp_path):
    s = Scene(seed=77, psi=0.9, loop_period=8)
    s.set_anchor(2, AnchorSpec(w=tuple(np.linspace(-1, 1, 4).tolist()), pinned=True))
    s.insert(5, AnchorSpec(seed=4))
    view = {"x0": -300.5, "scale": 2.0, "cy": 40.0, "fit": False, "fit_cap": None}  # Camera.to_dict()
    path = save_session(tmp_path / "a.json", s, "model.alis", "ab" * 32, view=view, selected=-4)
    loaded = load_session(path)
    assert loaded.scene.to_dict() == s.to_dict() and loaded.view == view and loaded.selected == -4
    assert loaded.model == {"path": "model.alis", "sha256": "ab" * 32}
    doc = json.loads(path.read_text())
    assert doc["view"] == view and doc["selected"] == -4  # the file's format: the camera as its "view"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]  # no temp file left


@pytest.mark.parametrize("content,problem", [
    ("{broken", "not a valid session file"),
    (json.dumps({"format": "alis-studio-session", "version": 7, "seed": 1, "psi": 1}), "newer"),
    (json.dumps({"format": "other"}), "not an alis-studio session"),
    (json.dumps({"format": "alis-studio-session", "version": 1, "seed": 1}), "damaged"),
])
def test_bad_session_is_one_line_error(tmp_path, content, problem):
    p = tmp_path / "s.json"
    p.write_text(content)
    with pytest.raises(SessionError) as e:
        load_session(p)
    assert str(p) in str(e.value) and problem in str(e.value) and "\n" not in str(e.value)


def test_unwritable_session_folder(tmp_path):
    with pytest.raises(SessionError, match="cannot write"):
        save_session(tmp_path / "missing" / "s.json", Scene())


@pytest.mark.parametrize("seed", [-1, SEED_LIMIT, 2 ** 64, 10 ** 400])
def test_seeds_outside_the_range_are_refused_not_wrapped(seed):
    with pytest.raises(ValueError, match="a seed is an integer in"):
        Scene(seed=seed)
    s = Scene(seed=SEED_LIMIT - 1)
    with pytest.raises(ValueError, match="a seed is an integer in"):
        s.set_seed(seed)
    assert s.seed == SEED_LIMIT - 1


def test_scene_edits_stay_within_what_a_session_may_hold(tmp_path):
    s = Scene(loop_period=MAX_LOOP)
    with pytest.raises(ValueError, match="at most"):
        s.insert(1)
    with pytest.raises(ValueError, match="the loop period must be 2 to"):
        s.set_loop_period(MAX_LOOP + 1)
    with pytest.raises(ValueError, match="anchor indices are within"):
        Scene().set_anchor_seed(MAX_INDEX + 1, 5)
    with pytest.raises(ValueError, match="anchor indices are within"):
        Scene().insert(-MAX_INDEX - 1)
    full = Scene()
    full.restore({**full.to_dict(), "edits": [["delete", 0]] * MAX_EDITS})
    with pytest.raises(ValueError, match=f"at most {MAX_EDITS:,} insertions"):
        full.delete(3)
    assert len(full.to_dict()["edits"]) == MAX_EDITS
    loaded = load_session(save_session(tmp_path / "full.json", full)).scene  # the most it holds still loads
    assert loaded.to_dict() == full.to_dict()


@pytest.mark.parametrize("w", [(), (1.0, float("nan")), (MAX_W * 2,), (float("inf"),)])
def test_explicit_latents_are_finite_and_of_sane_size(w):
    with pytest.raises(ValueError, match="explicit w"):
        AnchorSpec(w=w)


def test_a_renamed_component_reads_back_whatever_was_typed(tmp_path):
    s = Scene()
    s.rename_direction(3, "a" * (MAX_NAME - 1) + " b\tc\x07\n")  # cut at a space, a tab, a bell, a newline
    s.rename_direction(4, "  sky\u00a0 light  ")
    assert s.direction_name(3) == "a" * (MAX_NAME - 1) and s.direction_name(4) == "sky light"
    loaded = load_session(save_session(tmp_path / "n.json", s)).scene
    assert loaded.to_dict() == s.to_dict()


def test_a_session_meets_the_model_it_is_shown_with(tmp_path):
    s = Scene()
    s.set_anchor(4, AnchorSpec(w=(0.5,) * 3))
    p = save_session(tmp_path / "w.json", s)
    loaded = load_session(p).scene
    check_session_model(loaded, p, 3)  # fits
    with pytest.raises(SessionError) as e:
        check_session_model(loaded, p, 16)
    assert str(e.value) == (f"{p}: the session does not fit the model: anchors['4'].w has 3 values, "
                            "the model's w has 16")


def _walked(edits, i: int) -> int:
    """The default anchor position i shows: the edit history undone from the newest edit back."""
    for kind, p in reversed(edits):
        if kind == "insert" and i > p:
            i -= 1
        elif kind == "delete" and i >= p:
            i += 1
    return i


def _defaults_of(scene: Scene) -> Scene:
    """The same seed and edit history without overrides: every position shows its default anchor."""
    return Scene.from_dict({**scene.to_dict(), "anchors": {}})


@pytest.mark.parametrize("history_seed", range(6))
def test_default_anchors_follow_the_edit_history_exactly(history_seed):
    """The anchors a long random history of insertions, deletions and moves leaves (near and far
    from the edits, inserted positions included once their override is gone) are those its walk
    gives, after each edit, after a restore and after an undo to an earlier state."""
    rng = np.random.default_rng(history_seed)
    scene, states = Scene(seed=history_seed), []
    span = range(-45, 46)
    for step in range(120):
        p = int(rng.integers(-30, 31))
        op = rng.choice(["insert", "insert", "delete", "move"])
        scene.insert(p) if op == "insert" else scene.delete(p) if op == "delete" else scene.move(p, p + 3)
        states.append(scene.to_dict())
        if step % 10 == 0 or step == 119:
            plain, edits = _defaults_of(scene), [tuple(e) for e in scene.to_dict()["edits"]]
            for i in [*span, -10 ** 9, 10 ** 9]:
                assert plain.anchor(i).seed == default_seed(scene.seed, _walked(edits, i)), (step, i)
                assert scene.is_overridden(i) or scene.anchor(i) == plain.anchor(i)
    early = states[40]
    scene.restore(early)  # an undo: the earlier history again
    plain, edits = _defaults_of(scene), [tuple(e) for e in early["edits"]]
    assert [plain.anchor(i).seed for i in span] == [default_seed(scene.seed, _walked(edits, i)) for i in span]


def test_default_anchors_of_a_loop_follow_its_edit_history():
    scene = Scene(seed=3, loop_period=7)
    for p in (2, 9, -1, 4):
        scene.insert(p)
    scene.delete(12)
    scene.move(1, 5)
    plain, edits = _defaults_of(scene), [tuple(e) for e in scene.to_dict()["edits"]]
    for i in range(-20, 20):
        assert plain.anchor(i).seed == default_seed(3, _walked(edits, plain.canonical(i)))


def test_the_scene_holds_the_scene_alone_and_the_session_file_adds_the_window(tmp_path):
    """No camera in the scene (issue 30 item 4): its state is the scene's fields only; a session
    saved without a view or selection still has "view" ({}) and no "selected", and loads as none."""
    s = Scene(seed=5)
    assert "view" not in s.to_dict() and not hasattr(s, "view")
    path = save_session(tmp_path / "s.json", s)
    doc = json.loads(path.read_text())
    assert doc["view"] == {} and "selected" not in doc
    loaded = load_session(path)
    assert loaded.view == {} and loaded.selected is None and loaded.scene.to_dict() == s.to_dict()
