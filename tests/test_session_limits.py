"""Each limit of a scene is declared and checked once (engine/session_schema.py): the session file and
the scene's own constructors refuse the same values, in the same words."""
import math

import numpy as np
import pytest

from alis_studio.engine.scene import AnchorSpec, Scene
from alis_studio.engine.session_schema import MAX_W, SEED_LIMIT, psi_problem, seed_problem, session_problem, w_problem


def _doc(**fields):
    return {"format": "alis-studio-session", "version": 1, "seed": 1, "psi": 0.7, "loop_period": None,
            "anchors": {}, "edits": [], **fields}


@pytest.mark.parametrize("seed", [-1, SEED_LIMIT, 10 ** 400, True, 1.5])
def test_a_bad_anchor_seed_is_refused_alike_by_the_file_and_the_scene(seed):
    problem = seed_problem(seed)
    assert problem == f"must be an integer in [0, {SEED_LIMIT})"
    assert session_problem(_doc(anchors={"3": {"seed": seed}})) == f"anchors['3'].seed {problem}"
    assert session_problem(_doc(seed=seed)) == f"'seed' {problem}"
    with pytest.raises(ValueError, match=r"an anchor's seed must be an integer in \[0, 4294967296\), got "):
        AnchorSpec(seed=seed)


@pytest.mark.parametrize("psi", [-0.1, 2.5, math.nan, math.inf, "0.7", True])
def test_a_bad_psi_is_refused_alike_by_the_file_and_the_scene(psi):
    problem = psi_problem(psi)
    assert problem == "must be a number in [0, 2]"
    assert session_problem(_doc(psi=psi)) == f"'psi' {problem}"
    with pytest.raises(ValueError, match=r"psi must be a number in \[0, 2\], got "):
        Scene().set_psi(psi)


@pytest.mark.parametrize("w", [[], [0.5, math.nan], [MAX_W * 2], [math.inf], [True], ["1"], [10 ** 400]])
def test_a_bad_w_is_refused_alike_by_the_file_and_the_scene(w):
    problem = w_problem(w)
    assert problem == f"must be a non-empty list of finite numbers in [-{MAX_W:g}, {MAX_W:g}]"
    assert session_problem(_doc(anchors={"2": {"w": w}})) == f"anchors['2'].w {problem}"
    with pytest.raises(ValueError, match="an explicit w must be a non-empty list"):
        AnchorSpec(w=tuple(w))


def test_numpy_values_and_the_limits_themselves_are_accepted():
    assert AnchorSpec(seed=np.int64(SEED_LIMIT - 1)).seed == SEED_LIMIT - 1
    assert AnchorSpec(seed=0).seed == 0
    assert AnchorSpec(w=(np.float32(0.5), -MAX_W, MAX_W, 3)).w[1] == -MAX_W
    s = Scene()
    assert s.set_psi(np.float64(2.0)) and s.set_psi(0) and s.psi == 0
    assert session_problem(_doc(psi=2, seed=SEED_LIMIT - 1, anchors={"1": {"w": [MAX_W, -MAX_W, 0]}})) is None
    with pytest.raises(ValueError, match="an anchor must have exactly one of 'seed' and 'w'"):
        AnchorSpec(seed=1, w=(0.5,))
    assert session_problem(_doc(anchors={"1": {}})) == "anchors['1'] must have exactly one of 'seed' and 'w'"
