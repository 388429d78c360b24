"""The declared shape of a session file (DESIGN.md 3.2), checked to the last field before a Scene is
built from one, so a damaged or hand-edited file is named by its field and what that field must be.

The limits are what the app can show: the toolbar's seed field and loop spin box take their ranges
from SEED_LIMIT and MAX_LOOP, the view's scale range starts at the camera's (engine/camera.py), and
no view or anchor lies where positions stop being exact. What needs the model (the length of an
explicit w) is checked where the session meets it (scene.check_session_model).
"""
from __future__ import annotations

import math
import numbers
import re
import unicodedata

from alis_studio.engine.camera import MIN_SCALE, ZOOM_IN_LIMIT

SEED_LIMIT = 2 ** 32  # seeds are integers in [0, SEED_LIMIT): scene and anchor seeds, --seed, every seed field
PSI_MIN, PSI_MAX = 0.0, 2.0  # truncation psi: the scene, session files and --psi accept this range
MAX_LOOP = 100_000  # anchors in one loop period (the toolbar's spin box goes this far)
MAX_INDEX = 10 ** 12  # |anchor index| of an override, an insertion or deletion, render --start
MAX_EDITS = 100_000  # insertions and deletions one scene records (each lookup of an anchor walks them)
MAX_COMPONENT = 64  # latent direction components count from 1 (engine/directions.py computes fewer)
MAX_AMOUNT = 10.0  # |amount| of one direction edit, in standard deviations of its component
MAX_NAME = 80  # characters of a component's name
MAX_W = 1000.0  # |entry| of an explicit w: a mapping network's w lies within about 10 (the bundled model's 6.6)
# |view x0| in model columns: under MAX_INDEX anchors for any anchor spacing of 2 px or more, and a
# double there still resolves 1/4096 px (a screen pixel at the 4x zoom-in limit is 1/4)
MAX_X0 = 2 ** 40
MAX_SCALE = 1024.0  # view scale and fit_cap: the fit scale of a 16 px model on a 16384 px screen
MAX_ROW = 2 ** 16  # view cy, a model row: far beyond any model's height (the camera clamps to the height)
MAX_PATH = 4096  # characters of the model's path

TOP_KEYS = ("format", "version", "model", "seed", "psi", "loop_period", "anchors", "edits", "directions", "view",
            "selected")
ANCHOR_KEYS = ("seed", "w", "pinned", "edits")
VIEW_KEYS = ("x0", "scale", "cy", "fit", "fit_cap")
assert MAX_SCALE >= ZOOM_IN_LIMIT and MAX_X0 / 2 < MAX_INDEX


def _is_int(v) -> bool:
    """An integer, not a bool (numpy's too: a seed may come from an array)."""
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _is_number(v) -> bool:
    """A finite number, not a bool (an integer of any size compares exactly; floats must be finite)."""
    return _is_int(v) or (isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v))


def _in(v, lo, hi) -> bool:
    return _is_number(v) and lo <= v <= hi


# The checks of one value, shared by the session file (here, each message after the field's name)
# and the scene's own constructors (engine/scene.py): each limit is declared and checked once.
def seed_problem(v) -> str | None:
    return None if _is_int(v) and 0 <= v < SEED_LIMIT else f"must be an integer in [0, {SEED_LIMIT})"


def psi_problem(v) -> str | None:
    return None if _in(v, PSI_MIN, PSI_MAX) else f"must be a number in [{PSI_MIN:g}, {PSI_MAX:g}]"


def w_problem(v) -> str | None:
    """An explicit w (its length against the model: scene.check_session_model)."""
    if isinstance(v, (list, tuple)) and v and (  # plain floats first: fast (anchors are checked as keys are made)
            all(type(x) is float and -MAX_W <= x <= MAX_W for x in v) or all(_in(x, -MAX_W, MAX_W) for x in v)):
        return None
    return f"must be a non-empty list of finite numbers in [-{MAX_W:g}, {MAX_W:g}]"


ONE_OF_SEED_AND_W = "must have exactly one of 'seed' and 'w'"


def _name(key: str) -> str:
    """A key as a message shows it: quoted, escaped, at most about 40 characters."""
    text = repr(key)
    return text if len(text) <= 40 else text[:36] + "...'"


def _unknown(where: str, d: dict, known) -> str | None:
    extra = [k for k in d if k not in known]
    if extra:
        return f"{where} has an unknown field {_name(extra[0])} (known: {', '.join(known)})"
    return None


def _check_anchor(key: str, spec) -> str | None:
    where = f"anchors[{_name(key)}]"
    if not isinstance(spec, dict):
        return f"{where} must be an object with a 'seed' or a 'w'"
    if (problem := _unknown(where, spec, ANCHOR_KEYS)) is not None:
        return problem
    if ("seed" in spec) == ("w" in spec):
        return f"{where} {ONE_OF_SEED_AND_W}"
    if "seed" in spec and (problem := seed_problem(spec["seed"])) is not None:
        return f"{where}.seed {problem}"
    if "w" in spec and (problem := w_problem(spec["w"])) is not None:
        return f"{where}.w {problem}"
    if not isinstance(spec.get("pinned", False), bool):
        return f"{where}.pinned must be true or false"
    return _check_edits(f"{where}.edits", spec.get("edits", {}))


def _check_anchors(doc: dict) -> str | None:
    anchors = doc.get("anchors", {})
    if not isinstance(anchors, dict):
        return "'anchors' must be an object of anchor index -> anchor"
    for key, spec in anchors.items():
        is_index = re.fullmatch(r"-?[0-9]{1,13}", key) is not None and str(int(key)) == key
        if not (is_index and abs(int(key)) <= MAX_INDEX):
            return f"'anchors' keys must be integer anchor indices within ±{MAX_INDEX:,}, got {_name(key)}"
        if (problem := _check_anchor(key, spec)) is not None:
            return problem
    return None


def _is_component(key: str) -> bool:
    return key.isdigit() and key.isascii() and str(int(key)) == key and 1 <= int(key) <= MAX_COMPONENT


def _check_edits(where: str, edits) -> str | None:
    if not (isinstance(edits, dict) and all(_is_component(k) for k in edits)):
        return f"{where} must be an object of component (\"1\" .. \"{MAX_COMPONENT}\") -> amount"
    if not all(_in(a, -MAX_AMOUNT, MAX_AMOUNT) for a in edits.values()):
        return f"{where} amounts must be numbers in [-{MAX_AMOUNT:g}, {MAX_AMOUNT:g}]"
    return None


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" for c in text)


def clean_label(name: str) -> str:
    """A component's name as the scene keeps it: one line, single spaces, at most MAX_NAME characters."""
    text = "".join(c for c in str(name) if unicodedata.category(c) != "Cc")
    return " ".join(" ".join(text.split())[:MAX_NAME].split())


def _is_label(v) -> bool:
    return isinstance(v, str) and v != "" and clean_label(v) == v


def _check_directions(doc: dict) -> str | None:
    d = doc.get("directions", {})
    if not isinstance(d, dict):
        return "'directions' must be an object with 'edits' and 'names'"
    if (problem := _unknown("directions", d, ("edits", "names"))) is not None:
        return problem
    if (problem := _check_edits("directions.edits", d.get("edits", {}))) is not None:
        return problem
    names = d.get("names", {})
    if not (isinstance(names, dict) and all(_is_component(k) for k in names) and all(map(_is_label, names.values()))):
        return (f"directions.names must be an object of component -> a name of 1 to {MAX_NAME} characters "
                "on one line")
    return None


def _check_history(doc: dict) -> str | None:
    """'edits': the insertions and deletions, in order, as [kind, position] pairs."""
    edits = doc.get("edits", [])
    if not isinstance(edits, list) or not all(
            isinstance(e, list) and len(e) == 2 and e[0] in ("insert", "delete") and _is_int(e[1]) for e in edits):
        return "'edits' must be a list of [\"insert\" or \"delete\", anchor index] pairs"
    if len(edits) > MAX_EDITS:
        return f"'edits' must hold at most {MAX_EDITS:,} insertions and deletions, got {len(edits):,}"
    if not all(abs(p) <= MAX_INDEX for _, p in edits):
        return f"'edits' anchor indices must be within ±{MAX_INDEX:,}"
    return None


def _check_view(doc: dict) -> str | None:
    """'view': the camera (Camera.to_dict()); each key may be missing (the camera keeps its value)."""
    view = doc.get("view", {})
    if not isinstance(view, dict):
        return "'view' must be an object"
    if (problem := _unknown("view", view, VIEW_KEYS)) is not None:
        return problem
    if "x0" in view and not _in(view["x0"], -MAX_X0, MAX_X0):
        return f"view.x0 must be a number (a panorama column) within ±{MAX_X0:,}"
    if "scale" in view and not _in(view["scale"], MIN_SCALE, MAX_SCALE):
        return f"view.scale must be a number in [{MIN_SCALE:g}, {MAX_SCALE:g}] (screen px per model px)"
    if "cy" in view and not _in(view["cy"], 0, MAX_ROW):
        return f"view.cy must be a number (a model row) in [0, {MAX_ROW}]"
    if not isinstance(view.get("fit", True), bool):
        return "view.fit must be true or false"
    cap = view.get("fit_cap")
    if cap is not None and not _in(cap, MIN_SCALE, MAX_SCALE):
        return f"view.fit_cap must be null or a number in [{MIN_SCALE:g}, {MAX_SCALE:g}]"
    return None


def _check_selected(doc: dict) -> str | None:
    """'selected': the selected anchor (engine/selection.py), null or missing for none."""
    selected = doc.get("selected")
    if selected is not None and not (_is_int(selected) and abs(selected) <= MAX_INDEX):
        return f"'selected' must be null or an anchor index within ±{MAX_INDEX:,}"
    return None


def _check_model(doc: dict) -> str | None:
    """'model': the bundle the session was made with (either part may be null)."""
    model = doc.get("model", {})
    if not isinstance(model, dict):
        return "'model' must be an object with 'path' and 'sha256'"
    if (problem := _unknown("model", model, ("path", "sha256"))) is not None:
        return problem
    path, sha = model.get("path"), model.get("sha256")
    if path is not None and not (isinstance(path, str) and 0 < len(path) <= MAX_PATH and not _has_control(path)):
        return f"model.path must be null or a file path of 1 to {MAX_PATH} characters, no control characters"
    if sha is not None and not (isinstance(sha, str) and re.fullmatch(r"[0-9a-f]{64}", sha)):
        return "model.sha256 must be null or 64 lowercase hexadecimal digits"
    return None


def _check_scene(doc: dict) -> str | None:
    if (problem := _unknown("the session", doc, TOP_KEYS)) is not None:
        return problem
    if (problem := seed_problem(doc.get("seed"))) is not None:
        return f"'seed' {problem}"
    if (problem := psi_problem(doc.get("psi"))) is not None:
        return f"'psi' {problem}"
    loop = doc.get("loop_period")
    if loop is not None and not (_is_int(loop) and 2 <= loop <= MAX_LOOP):
        return f"'loop_period' must be null or an integer in [2, {MAX_LOOP}]"
    return None


def session_problem(doc: dict) -> str | None:
    """What is wrong with a session document (format and version aside), or None if it is sound."""
    for check in (_check_scene, _check_model, _check_anchors, _check_history, _check_directions, _check_view,
                  _check_selected):
        if (problem := check(doc)) is not None:
            return problem
    return None
