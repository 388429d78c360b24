"""The scene (DESIGN.md 3.2): which latent sits on each anchor of the infinite panorama.

Anchor i shows, in order of precedence: a user override (a seed or an explicit w, maybe pinned),
else a default seed derived from the scene seed and i. Insertions and deletions shift everything
to their right, defaults included, so the panorama right of an edit is a pure shift. A plain
object with a callback list that fires on real change; the GUI adapts it, it never imports Qt.

Latent directions (GANSpace, engine/directions.py): an anchor may carry edits {component: amount}
(amounts in standard deviations of that principal component of w), and the scene may carry edits
that apply to every anchor on top of the anchor's own. Components count from 1 ("component 1" is
the direction of largest variance) and may be renamed in the session.
"""
from __future__ import annotations

import bisect
import copy
import dataclasses
import functools
import itertools
import json
import math
import os
from pathlib import Path

import numpy as np

from alis_studio.atomic import atomic_write
from alis_studio.engine.events import Observable
from alis_studio.engine.session_schema import (MAX_AMOUNT, MAX_COMPONENT, MAX_EDITS, MAX_INDEX, MAX_LOOP,
                                              ONE_OF_SEED_AND_W, SEED_LIMIT, clean_label, psi_problem, seed_problem,
                                              session_problem, w_problem)
from alis_studio.errors import SessionError

SESSION_FORMAT, SESSION_VERSION = "alis-studio-session", 2  # 2: latent direction edits (written only if used)
Edits = tuple[tuple[int, float], ...]  # ((component, amount), ...): sorted, no zero amounts


def z_from_seed(seed: int, z_dim: int) -> np.ndarray:
    """The contract: the same seed gives the same z in the GUI, the CLI and the tests."""
    return np.random.Generator(np.random.PCG64(int(seed))).standard_normal(z_dim).astype(np.float32)


@functools.lru_cache(maxsize=1 << 16)  # a zoomed-out view asks for hundreds of anchors per edit
def default_seed(scene_seed: int, index: int) -> int:
    """The seed of anchor `index` (any integer) of a scene, when nothing overrides it."""
    state = np.random.SeedSequence([int(scene_seed) % 2 ** 64, int(index) % 2 ** 64]).generate_state(1, np.uint32)
    return int(state[0])


@dataclasses.dataclass(frozen=True)
class AnchorSpec:
    """What one anchor shows: a seed or an explicit (untruncated) w, moved along latent directions
    by `edits`; `pinned` survives resampling."""

    seed: int | None = None
    w: tuple[float, ...] | None = None
    pinned: bool = False
    edits: Edits = ()

    def __post_init__(self):
        if (self.seed is None) == (self.w is None):  # the session file's checks (session_schema)
            raise ValueError(f"an anchor {ONE_OF_SEED_AND_W}")
        if self.seed is not None and (problem := seed_problem(self.seed)) is not None:
            raise ValueError(f"an anchor's seed {problem}, got {self.seed}")
        if self.w is not None and (problem := w_problem(self.w)) is not None:
            raise ValueError(f"an explicit w {problem}")
        object.__setattr__(self, "edits", normalise_edits(self.edits))
        object.__setattr__(self, "_hash", hash((self.seed, self.w, self.pinned, self.edits)))

    def __hash__(self) -> int:  # computed once: specs key the renderer's caches (a w is 512 floats)
        return self._hash

    def to_dict(self) -> dict:
        d = {"pinned": self.pinned}
        d.update({"seed": self.seed} if self.seed is not None else {"w": list(self.w)})
        if self.edits:  # absent when unused, so sessions without directions read as before
            d["edits"] = edits_to_dict(self.edits)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "AnchorSpec":
        w = d.get("w")
        return cls(seed=d.get("seed"), w=tuple(float(v) for v in w) if w is not None else None,
                   pinned=bool(d.get("pinned", False)), edits=edits_from_dict(d.get("edits", {})))


def normalise_edits(edits) -> Edits:
    """((component, amount), ...) or {component: amount} -> the canonical sorted tuple without zeros."""
    items = edits.items() if isinstance(edits, dict) else edits
    out = {}
    for k, a in items:
        k, a = int(k), round(float(a), 4)
        if not 1 <= k <= MAX_COMPONENT:
            raise ValueError(f"a latent direction is a component in [1, {MAX_COMPONENT}], got {k}")
        if not math.isfinite(a):
            raise ValueError(f"a direction's amount must be a finite number, got {a}")
        out[k] = round(out.get(k, 0.0) + a, 4)
    return tuple(sorted((k, a) for k, a in out.items() if a != 0.0))


def checked_seed(seed: int) -> int:
    """A scene seed, refused (not wrapped) outside [0, SEED_LIMIT): the toolbar could not show it."""
    if not 0 <= int(seed) < SEED_LIMIT:
        raise ValueError(f"a seed is an integer in [0, {SEED_LIMIT - 1}], got {seed}")
    return int(seed)


def _checked_index(i: int) -> int:
    if abs(i) > MAX_INDEX:
        raise ValueError(f"anchor indices are within ±{MAX_INDEX:,}, got {i}")
    return i


def edits_to_dict(edits: Edits) -> dict:
    return {str(k): a for k, a in edits}


def edits_from_dict(d: dict) -> Edits:
    return normalise_edits({int(k): float(a) for k, a in d.items()})


def merge_edits(a: Edits, b: Edits) -> Edits:
    """The sum of two sets of edits (an anchor's own plus the whole scene's)."""
    return normalise_edits(tuple(a) + tuple(b)) if a and b else (a or b)


class _IndexMap:
    """Which default anchor each position shows after a history of insertions and deletions, kept
    composed so that a lookup is one bisection (O(log m), m <= the edits) instead of a walk of the
    whole history; an edit costs O(m) (the scene's own to_dict is O(edits) per edit already), and a
    history read whole (a restore) is composed halves by halves in O(k log^2 k) for k edits.

    Position i shows source v = g(i), where g is non-decreasing and g(i) = i left of every edit; so g
    is known by how many positions show each v: 1 + devs[v], non-zero only where an edit was (an
    insertion at p shows g(p) twice, a deletion at p hides it). Sorted by v, the first position of
    source vals[j] is vals[j] + the devs before it (starts[j])."""

    def __init__(self, devs: dict[int, int] | None = None):
        self.vals = sorted(v for v, c in (devs or {}).items() if c)
        self.devs = [devs[v] for v in self.vals]
        self.starts = [v + before for v, before in zip(self.vals, itertools.accumulate(self.devs, initial=0))]

    @classmethod
    def of_history(cls, edits) -> "_IndexMap":
        if len(edits) <= 1:
            return cls({p: 1 if kind == "insert" else -1 for kind, p in edits})
        half = len(edits) // 2
        return cls.of_history(edits[:half]).then(cls.of_history(edits[half:]))

    def source(self, i: int) -> int:
        j = bisect.bisect_right(self.starts, i) - 1
        if j < 0:
            return i
        end = self.starts[j] + 1 + self.devs[j]  # past the positions that show vals[j]
        return self.vals[j] if i < end else self.vals[j] + 1 + i - end

    def then(self, later: "_IndexMap") -> "_IndexMap":
        """This history followed by `later`'s: a position goes back through later's edits first, so
        the sources later's devs were counted at are this map's sources of them."""
        devs = dict(zip(self.vals, self.devs))
        for x, c in zip(later.vals, later.devs):
            v = self.source(x)
            devs[v] = devs.get(v, 0) + c
        return _IndexMap(devs)


class Scene(Observable):
    """Anchors, truncation and loop period of one panorama. Mutate only through methods; `subscribe`
    to hear of changes (engine/events.py: once per real change of `to_dict()`)."""

    def __init__(self, seed: int = 0, psi: float = 0.7, loop_period: int | None = None):
        super().__init__()
        self._seed, self._psi, self._loop = checked_seed(seed), float(psi), None
        self._overrides: dict[int, AnchorSpec] = {}
        self._edits: list[tuple[str, int]] = []  # ("insert" | "delete", position), in order
        self._index_map: _IndexMap | None = _IndexMap()  # _edits composed; None: compose on first lookup
        self._scene_edits: Edits = ()  # latent direction edits applied to every anchor
        self._names: dict[int, str] = {}  # user names of direction components
        self.set_loop_period(loop_period)

    def _state(self) -> dict:
        return self.to_dict()

    # ---------------------------------------------------------------- reading
    @property
    def seed(self) -> int:
        return self._seed

    @property
    def psi(self) -> float:
        return self._psi

    @property
    def loop_period(self) -> int | None:
        return self._loop

    def canonical(self, i: int) -> int:
        """Loop closure: position i shows anchor i mod N."""
        return i % self._loop if self._loop else i

    def anchor(self, i: int) -> AnchorSpec:
        i = self.canonical(i)
        if i in self._overrides:
            return self._overrides[i]
        return AnchorSpec(seed=default_seed(self._seed, self._source_index(i)))

    def rendered_anchor(self, i: int) -> AnchorSpec:
        """What the renderer draws at i: the anchor with the whole scene's direction edits added."""
        spec = self.anchor(i)
        if not self._scene_edits:
            return spec
        return dataclasses.replace(spec, edits=merge_edits(spec.edits, self._scene_edits))

    @property
    def scene_edits(self) -> Edits:
        return self._scene_edits

    def direction_name(self, k: int) -> str:
        return self._names.get(int(k), f"component {int(k)}")

    def uses_directions(self) -> bool:
        return bool(self._scene_edits or self._names or any(s.edits for s in self._overrides.values()))

    def is_overridden(self, i: int) -> bool:
        return self.canonical(i) in self._overrides

    def overrides(self) -> dict[int, AnchorSpec]:
        return dict(self._overrides)

    def _source_index(self, i: int) -> int:
        """Which default anchor position i shows, the insert/delete shifts undone (_IndexMap)."""
        if self._index_map is None:
            self._index_map = _IndexMap.of_history(self._edits)
        return self._index_map.source(i)

    def _record(self, kind: str, p: int) -> None:
        self._edits.append((kind, p))
        if self._index_map is not None:
            self._index_map = self._index_map.then(_IndexMap.of_history([(kind, p)]))

    # ---------------------------------------------------------------- edits
    def set_seed(self, seed: int) -> bool:
        return self._apply(lambda: setattr(self, "_seed", checked_seed(seed)))

    def set_psi(self, psi: float) -> bool:
        if (problem := psi_problem(psi)) is not None:
            raise ValueError(f"psi {problem}, got {psi}")
        return self._apply(lambda: setattr(self, "_psi", float(psi)))

    def set_loop_period(self, period: int | None) -> bool:
        if period is not None and not 2 <= int(period) <= MAX_LOOP:
            raise ValueError(f"the loop period must be 2 to {MAX_LOOP:,} anchors, got {period}")
        return self._apply(lambda: setattr(self, "_loop", int(period) if period else None))

    def set_anchor(self, i: int, spec: AnchorSpec | None) -> bool:
        """Override anchor i (None: back to the scene's default)."""
        c = _checked_index(self.canonical(i))

        def apply():
            if spec is None:
                self._overrides.pop(c, None)
            else:
                self._overrides[c] = spec
        return self._apply(apply)

    def pin(self, i: int, pinned: bool = True) -> bool:
        spec = self.anchor(i)
        return self.set_anchor(i, dataclasses.replace(spec, pinned=pinned))

    def set_anchor_seed(self, i: int, seed: int) -> bool:
        """A new seed; the anchor keeps its pin and its direction edits (a new scene, moved the same way)."""
        old = self.anchor(i)
        return self.set_anchor(i, AnchorSpec(seed=int(seed), pinned=old.pinned, edits=old.edits))

    def set_direction(self, k: int, amount: float, anchor: int | None = None) -> bool:
        """Move along component k by `amount` standard deviations: at one anchor, or (anchor None)
        everywhere. Replaces the previous amount of k there; 0 removes the edit."""
        if not abs(float(amount)) <= MAX_AMOUNT:  # also refuses nan
            raise ValueError(f"a direction's amount must be in [-{MAX_AMOUNT}, {MAX_AMOUNT}], got {amount}")

        def replaced(edits: Edits) -> Edits:
            return normalise_edits(tuple(e for e in edits if e[0] != int(k)) + ((int(k), amount),))

        if anchor is None:
            return self._apply(lambda: setattr(self, "_scene_edits", replaced(self._scene_edits)))
        spec = self.anchor(anchor)
        return self.set_anchor(anchor, dataclasses.replace(spec, edits=replaced(spec.edits)))

    def clear_directions(self, anchor: int | None = None) -> bool:
        if anchor is None:
            return self._apply(lambda: setattr(self, "_scene_edits", ()))
        return self.set_anchor(anchor, dataclasses.replace(self.anchor(anchor), edits=()))

    def rename_direction(self, k: int, name: str) -> bool:
        """Name component k; an empty name (or the default one) restores "component k"."""
        name = clean_label(name)

        def apply():
            self._names.pop(int(k), None)
            if name and name != f"component {int(k)}":
                self._names[int(k)] = name
        return self._apply(apply)

    def resample(self, i: int, rng: np.random.Generator | None = None) -> bool:
        rng = rng or np.random.default_rng()
        return self.set_anchor_seed(i, int(rng.integers(SEED_LIMIT)))

    def resample_unpinned(self, rng: np.random.Generator | None = None) -> bool:
        """The paper's live demo: every anchor not pinned gets a new scene; pinned ones stay."""
        rng = rng or np.random.default_rng()

        def apply():
            self._seed = int(rng.integers(SEED_LIMIT))
            self._overrides = {i: s for i, s in self._overrides.items() if s.pinned}
        return self._apply(apply)

    def insert(self, p: int, spec: AnchorSpec | None = None, rng: np.random.Generator | None = None) -> bool:
        """A new anchor at position p; anchors at p and right of it move one to the right."""
        spec = spec or AnchorSpec(seed=int((rng or np.random.default_rng()).integers(SEED_LIMIT)))
        p_ = self._checked_step(p)
        if self._loop and self._loop >= MAX_LOOP:
            raise ValueError(f"a loop has at most {MAX_LOOP:,} anchors")

        def apply():
            self._overrides = {(i + 1 if i >= p_ else i): s for i, s in self._overrides.items()}
            self._overrides[p_] = spec
            self._record("insert", p_)
            if self._loop:
                self._loop += 1
        return self._apply(apply)

    def delete(self, p: int) -> bool:
        """Remove the anchor at p; anchors right of it move one to the left."""
        if self._loop and self._loop <= 2:
            raise ValueError("a loop needs at least 2 anchors")
        p_ = self._checked_step(p)

        def apply():
            self._overrides = {(i - 1 if i > p_ else i): s for i, s in self._overrides.items() if i != p_}
            self._record("delete", p_)
            if self._loop:
                self._loop -= 1
        return self._apply(apply)

    def _checked_step(self, p: int) -> int:
        """The canonical position of an insertion or deletion, if the scene may record one more."""
        if len(self._edits) >= MAX_EDITS:
            raise ValueError(f"a scene records at most {MAX_EDITS:,} insertions and deletions")
        return _checked_index(self.canonical(p))

    def move(self, src: int, dst: int) -> bool:
        """Move the anchor at src so that it ends up at position dst."""
        if self.canonical(src) == self.canonical(dst):
            return False
        spec = self.anchor(src)

        def apply() -> None:  # one notification for the whole move
            self.delete(src)
            self.insert(dst, spec)
        return self._apply(apply)

    # ---------------------------------------------------------------- state
    def to_dict(self) -> dict:
        return {
            "seed": self._seed,
            "psi": self._psi,
            "loop_period": self._loop,
            "anchors": {str(i): s.to_dict() for i, s in sorted(self._overrides.items())},
            "edits": [list(e) for e in self._edits],
            **self._directions_dict(),
        }

    def _directions_dict(self) -> dict:
        d = {}
        if self._scene_edits:
            d["edits"] = edits_to_dict(self._scene_edits)
        if self._names:
            d["names"] = {str(k): v for k, v in sorted(self._names.items())}
        return {"directions": d} if d else {}  # absent when unused: older sessions compare equal

    def restore(self, d: dict) -> bool:
        """Replace the whole state (undo/redo, session load); fires callbacks if anything changed."""
        return self._apply(lambda: self._replace(d))

    def _replace(self, d: dict) -> None:
        self._seed = checked_seed(d["seed"])
        self._psi = float(d["psi"])
        self._loop = int(d["loop_period"]) if d.get("loop_period") else None
        self._overrides = {int(i): AnchorSpec.from_dict(s) for i, s in d.get("anchors", {}).items()}
        edits = [(str(k), int(p)) for k, p in d.get("edits", [])]
        if any(k not in ("insert", "delete") for k, _ in edits):
            raise ValueError("unknown edit kind")
        if edits != self._edits:  # most undos keep the history: its composed map stays
            self._edits, self._index_map = edits, None
        directions = d.get("directions", {})
        self._scene_edits = edits_from_dict(directions.get("edits", {}))
        self._names = {int(k): str(v) for k, v in directions.get("names", {}).items()}

    @classmethod
    def from_dict(cls, d: dict) -> "Scene":
        scene = cls()
        scene.restore(d)
        return scene


# -------------------------------------------------------------------- session files


@dataclasses.dataclass(frozen=True)
class Session:
    """What a session file holds: the scene, the model it was made with ({"path", "sha256"}, either
    may be None) and the window's state, which is not the scene's: `view` (Camera.to_dict(), {} for
    none) and `selected` (the selected anchor, None for none). The file is where they meet."""
    scene: Scene
    model: dict
    view: dict = dataclasses.field(default_factory=dict)
    selected: int | None = None


def save_session(path: str | os.PathLike, scene: Scene, model_path: str | None = None,
                 model_sha256: str | None = None, *, view: dict | None = None, selected: int | None = None) -> Path:
    """Write the session JSON atomically (temp file beside it, then rename). `view`: the camera's
    state (Camera.to_dict()), saved as the session's "view"; `selected`: the selected anchor, saved
    as "selected" (left out when None)."""
    path = Path(path)
    # version 1 while no direction is used, so such sessions still open in older builds
    doc = {"format": SESSION_FORMAT, "version": SESSION_VERSION if scene.uses_directions() else 1,
           "model": {"path": str(model_path) if model_path else None, "sha256": model_sha256},
           **scene.to_dict(), "view": copy.deepcopy(view or {})}
    if selected is not None:
        doc["selected"] = int(selected)
    try:
        with atomic_write(path, suffix=".tmp") as tmp:
            tmp.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    except OSError as e:
        raise SessionError(f"{path}: cannot write the session ({e.strerror or e})") from None
    return path


def load_session(path: str | os.PathLike) -> Session:
    """Read a session file, every field checked (session_schema) before a Scene is built. What
    needs the model: `check_session_model`."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SessionError(f"{path}: no such file") from None
    except RecursionError:  # json's decoder recurses once per level of nesting
        raise SessionError(f"{path}: not a valid session file (nested too deeply)") from None
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise SessionError(f"{path}: not a valid session file ({e})") from None
    if not isinstance(doc, dict) or doc.get("format") != SESSION_FORMAT:
        raise SessionError(f"{path}: not an alis-studio session file")
    version = doc.get("version")  # one beyond any this format will reach is damage, not a newer file
    if not (isinstance(version, int) and not isinstance(version, bool) and 1 <= version <= 999):
        raise SessionError(f"{path}: the session is damaged: 'version' must be an integer from 1 "
                           f"(this alis-studio reads up to {SESSION_VERSION})")
    if version > SESSION_VERSION:
        raise SessionError(f"{path}: session format version {version} is newer than this alis-studio reads "
                           f"(up to {SESSION_VERSION}); upgrade alis-studio")
    problem = session_problem(doc)
    if problem is not None:
        raise SessionError(f"{path}: the session is damaged: {problem}")
    try:
        scene = Scene.from_dict(doc)
    except (KeyError, TypeError, ValueError) as e:
        raise SessionError(f"{path}: the session is damaged ({type(e).__name__}: {e})") from None
    model = doc.get("model", {})
    return Session(scene, {"path": model.get("path"), "sha256": model.get("sha256")},
                   view=copy.deepcopy(doc.get("view", {})), selected=doc.get("selected"))


def check_session_model(scene: Scene, path: str | os.PathLike, w_dim: int) -> None:
    """Where a loaded session meets the model it will be shown with: explicit latents must have the
    model's w_dim entries (else no tile of theirs could render). Raises SessionError naming the file."""
    for i, spec in sorted(scene.overrides().items()):
        if spec.w is not None and len(spec.w) != w_dim:
            raise SessionError(f"{path}: the session does not fit the model: anchors['{i}'].w has {len(spec.w)} "
                               f"values, the model's w has {w_dim}")
