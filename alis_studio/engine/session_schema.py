"""The declared shape of a session file's scene fields (DESIGN.md 3.2), checked before a Scene is
built from one, so a damaged file is named by its field and what that field must be."""
from __future__ import annotations

import math

SEED_LIMIT = 2 ** 32
PSI_MIN, PSI_MAX = 0.0, 2.0  # truncation psi: the scene, session files and --psi accept this range
MAX_LOOP = 10 ** 9  # anchors in one loop period; far beyond any real panorama
MAX_INDEX = 10 ** 12  # |anchor index| of an override
MAX_COMPONENT = 64  # latent direction components count from 1 (engine/directions.py computes fewer)
MAX_AMOUNT = 10.0  # |amount| of one direction edit, in standard deviations of its component
MAX_NAME = 80  # characters of a component's name


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return (_is_int(v) or isinstance(v, float)) and math.isfinite(v)


def _check_anchor(key, spec) -> str | None:
    where = f"anchors[{key!r}]"
    if not isinstance(spec, dict):
        return f"{where} must be an object with a 'seed' or a 'w'"
    if ("seed" in spec) == ("w" in spec):
        return f"{where} must have exactly one of 'seed' and 'w'"
    if "seed" in spec and not (_is_int(spec["seed"]) and 0 <= spec["seed"] < SEED_LIMIT):
        return f"{where}.seed must be an integer in [0, {SEED_LIMIT})"
    if "w" in spec and not (isinstance(spec["w"], list) and spec["w"] and all(_is_number(v) for v in spec["w"])):
        return f"{where}.w must be a non-empty list of finite numbers"
    if not isinstance(spec.get("pinned", False), bool):
        return f"{where}.pinned must be true or false"
    return _check_edits(f"{where}.edits", spec.get("edits", {}))


def _is_component(key) -> bool:
    return isinstance(key, str) and key.isdigit() and str(int(key)) == key and 1 <= int(key) <= MAX_COMPONENT


def _check_edits(where: str, edits) -> str | None:
    if not (isinstance(edits, dict) and all(_is_component(k) for k in edits)):
        return f"{where} must be an object of component (\"1\" .. \"{MAX_COMPONENT}\") -> amount"
    if not all(_is_number(a) and abs(a) <= MAX_AMOUNT for a in edits.values()):
        return f"{where} amounts must be numbers in [-{MAX_AMOUNT:g}, {MAX_AMOUNT:g}]"
    return None


def _check_directions(d) -> str | None:
    if not isinstance(d, dict):
        return "'directions' must be an object with 'edits' and 'names'"
    if (problem := _check_edits("directions.edits", d.get("edits", {}))) is not None:
        return problem
    names = d.get("names", {})
    if not (isinstance(names, dict) and all(_is_component(k) for k in names)
            and all(isinstance(v, str) and 0 < len(v) <= MAX_NAME for v in names.values())):
        return f"directions.names must be an object of component -> a name of 1 to {MAX_NAME} characters"
    return None


def session_problem(doc: dict) -> str | None:
    """What is wrong with the scene fields of a session document, or None if they are sound."""
    if not _is_int(doc.get("seed")):
        return "'seed' must be an integer"
    psi = doc.get("psi")
    if not (_is_number(psi) and PSI_MIN <= psi <= PSI_MAX):
        return f"'psi' must be a number in [{PSI_MIN:g}, {PSI_MAX:g}]"
    loop = doc.get("loop_period")
    if loop is not None and not (_is_int(loop) and 2 <= loop <= MAX_LOOP):
        return f"'loop_period' must be null or an integer in [2, {MAX_LOOP}]"
    anchors = doc.get("anchors", {})
    if not isinstance(anchors, dict):
        return "'anchors' must be an object of anchor index -> anchor"
    for key, spec in anchors.items():
        try:
            index = int(key)
        except ValueError:
            index = None
        if index is None or abs(index) > MAX_INDEX or str(index) != key:
            return f"'anchors' keys must be integer anchor indices, got {key!r}"
        if (problem := _check_anchor(key, spec)) is not None:
            return problem
    edits = doc.get("edits", [])
    if not isinstance(edits, list) or not all(
            isinstance(e, list) and len(e) == 2 and e[0] in ("insert", "delete") and _is_int(e[1]) for e in edits):
        return "'edits' must be a list of [\"insert\" or \"delete\", anchor index] pairs"
    if (problem := _check_directions(doc.get("directions", {}))) is not None:
        return problem
    if not isinstance(doc.get("view", {}), dict):
        return "'view' must be an object"
    return None
