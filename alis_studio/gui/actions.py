"""Every command of the app as a QAction with its shortcut, built from one table.

The table is the single source for the menus, the window-wide shortcuts and Help -> Keyboard
shortcuts. `slot` is "target.method", resolved in `build` against the targets the window gives
(its handlers, the camera, itself), so a renamed slot fails at start-up, not when the action fires.
A target rebuilt for each model (the viewport) is a `PerModel`: its class is checked at build time.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Mapping

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu


@dataclasses.dataclass(frozen=True)
class Spec:
    name: str
    text: str
    keys: tuple[str, ...]
    slot: str
    needs_model: bool = True
    tip: str = ""


@dataclasses.dataclass(frozen=True)
class DockToggle:
    """Show or hide one of the window's docks (the `docks` given to `build`)."""

    name: str
    text: str
    keys: tuple[str, ...]


S = Spec
SEP, RECENT, UNDO, REDO, HISTORY = "-", "recent", "undo", "redo", "history"

MENUS: dict[str, list] = {
    "&File": [
        S("new_session", "&New Session", ("Ctrl+N",), "files.new_session"),
        S("open_model", "&Open Model…", ("Ctrl+O",), "files.open_model_dialog", False),
        RECENT,
        S("open_session", "Open &Session…", ("Ctrl+Shift+O",), "files.open_session_dialog", False),
        S("save_session", "&Save Session", ("Ctrl+S",), "files.save_session"),
        S("save_session_as", "Save Session &As…", ("Ctrl+Shift+S",), "files.save_session_as"),
        SEP,
        S("export", "&Export Panorama…", ("Ctrl+E",), "files.export_panorama"),
        S("copy_view", "&Copy View as Image", ("Ctrl+Shift+C",), "files.copy_view"),
        S("save_view", "Save View as &PNG…", ("Ctrl+Alt+S",), "files.save_view_dialog"),
        SEP,
        S("quit", "&Quit", ("Ctrl+Q",), "window.close", False),
    ],
    "&Edit": [UNDO, REDO, SEP, HISTORY],
    "&View": [
        S("pan_left", "Pan &Left", ("Left",), "anchors.pan_left"),
        S("pan_right", "Pan &Right", ("Right",), "anchors.pan_right"),
        S("page_left", "Pan Left One Screen", ("Shift+Left", "PgUp"), "anchors.page_left"),
        S("page_right", "Pan Right One Screen", ("Shift+Right", "PgDown"), "anchors.page_right"),
        S("origin", "Go to &Origin", ("Home",), "viewport.go_to_origin"),
        SEP,
        S("zoom_in", "Zoom &In", ("Ctrl++", "Ctrl+=", "+"), "anchors.zoom_in"),
        S("zoom_out", "Zoom &Out", ("Ctrl+-", "-"), "anchors.zoom_out"),
        S("fit", "&Fit Height", ("Ctrl+0",), "camera.fit_height"),
        S("crisp", "Fit &Crisp (at most 2×)", ("Ctrl+2",), "camera.crisp_view",
          tip="Fill the height, magnifying the model's pixels at most 2x (the first view)"),
        S("actual", "&Actual Size (1:1)", ("Ctrl+1",), "camera.actual_size"),
        SEP,
        S("center_selected", "&Centre on Selected Anchor", ("C",), "anchors.center_selected"),
        SEP,
        S("overview", "&Overview Strip", ("Ctrl+M",), "window.toggle_overview", tip="Show or hide the overview strip"),
        DockToggle("seeds", "Seed &Browser", ("Ctrl+B",)),
        DockToggle("directions", "Latent &Directions", ("Ctrl+D",)),
        DockToggle("performance", "P&erformance", ("Ctrl+Shift+P",)),
    ],
    "&Anchor": [
        S("prev_anchor", "Select &Previous Anchor", (",",), "anchors.select_prev"),
        S("next_anchor", "Select &Next Anchor", (".",), "anchors.select_next"),
        SEP,
        S("pin", "&Pin / Unpin", ("P",), "anchors.toggle_pin", tip="A pinned anchor keeps its scene through Resample Unpinned (Ctrl+R); "
          "R, Set Seed and Paste still change it"),
        S("resample", "&Resample (New Random Seed)", ("R",), "anchors.resample"),
        S("set_seed", "Set &Seed…", ("S",), "anchors.set_seed"),
        SEP,
        S("insert_before", "Insert &Before", ("Shift+I",), "anchors.insert_before"),
        S("insert_after", "Insert &After", ("I",), "anchors.insert_after"),
        S("delete", "&Delete", ("Del", "Backspace"), "anchors.delete"),
        S("move_left", "Move &Left", ("Ctrl+[",), "anchors.move_left"),
        S("move_right", "Move Ri&ght", ("Ctrl+]",), "anchors.move_right"),
        SEP,
        S("copy_latent", "&Copy Latent", ("Ctrl+C",), "anchors.copy_latent"),
        S("paste_latent", "Paste La&tent", ("Ctrl+V",), "anchors.paste_latent"),
    ],
    "&Scene": [
        S("resample_unpinned", "&Resample Unpinned", ("Ctrl+R",), "anchors.resample_unpinned",
          tip="New scenes everywhere except the pinned anchors (the paper's live demo)"),
        S("connect", "Co&nnect Two Scenes…", ("Ctrl+K",), "anchors.connect_scenes",
          tip="Pin seed A at the selected anchor and seed B n intervals to its right"),
        S("random_seed", "Random Scene &Seed", ("Ctrl+Shift+R",), "anchors.random_seed"),
        S("edit_seed", "&Edit Scene Seed", ("Ctrl+L",), "anchors.focus_seed"),
        SEP,
        S("psi_down", "Decrease Truncation ψ", ("[",), "anchors.psi_down"),
        S("psi_up", "Increase Truncation ψ", ("]",), "anchors.psi_up"),
        S("loop", "Toggle &Loop (360°)", ("L",), "anchors.toggle_loop"),
    ],
    "&Help": [
        S("shortcuts", "&Keyboard Shortcuts", ("F1", "Ctrl+/"), "window.show_shortcuts", False),
        S("about", "&About ALIS Studio", (), "window.show_about", False),
    ],
}


@dataclasses.dataclass(frozen=True)
class PerModel:
    """A slot target rebuilt for each model: `cls` is checked at build time, `current()` is the
    instance when the action fires (None before the first model: the action does nothing)."""

    cls: type
    current: Callable[[], object | None]


def resolve(targets: Mapping[str, object], slot: str) -> Callable[[], None]:
    """The callable for `slot` ("target.method"); LookupError names the slot when it does not exist."""
    head, _, name = slot.rpartition(".")
    if head not in targets:
        raise LookupError(f"action slot {slot!r}: no target {head!r} (targets: {', '.join(targets)})")
    target = targets[head]
    if isinstance(target, PerModel):
        if not callable(getattr(target.cls, name, None)):
            raise LookupError(f"action slot {slot!r}: {target.cls.__name__} has no method {name!r}")

        def fire(current=target.current) -> None:
            obj = current()
            if obj is not None:
                getattr(obj, name)()
        return fire
    method = getattr(target, name, None)
    if not callable(method):
        raise LookupError(f"action slot {slot!r}: {type(target).__name__} has no method {name!r}")
    return method


def _make(window: QMainWindow, spec: Spec, slot: Callable[[], None]) -> QAction:
    action = QAction(spec.text, window)
    action.setShortcuts([QKeySequence(k) for k in spec.keys])
    action.setObjectName(spec.name)
    if spec.tip:
        action.setStatusTip(spec.tip)
        action.setToolTip(f"{spec.text.replace('&', '').rstrip('…')} ({spec.keys[0]})" if spec.keys else spec.tip)
    action.triggered.connect(lambda _checked=False, f=slot: f())
    window.addAction(action)  # shortcuts work wherever the focus is in the window
    return action


def _add(window: QMainWindow, menu: QMenu, a: QAction, keys: list[QKeySequence] | None = None) -> QAction:
    if keys is not None:
        a.setShortcuts(keys)
        window.addAction(a)
    menu.addAction(a)
    return a


def build(window: QMainWindow, targets: Mapping[str, object], stack, docks, history_dock,
          menus: Mapping[str, list] = MENUS) -> tuple[dict[str, QAction], list[QMenu], QMenu]:
    """Create the actions and the menu bar, every slot resolved first (LookupError names a missing
    one). Returns (actions by name, menus, the Open Recent menu)."""
    slots = {s.slot: resolve(targets, s.slot) for items in menus.values() for s in items if isinstance(s, Spec)}
    actions: dict[str, QAction] = {}
    bar, recent = [], None
    for title, items in menus.items():
        menu = window.menuBar().addMenu(title)
        bar.append(menu)
        for item in items:
            if item == SEP:
                menu.addSeparator()
            elif item == RECENT:
                recent = menu.addMenu("Open &Recent")
            elif item in (UNDO, REDO):
                a = (stack.createUndoAction if item == UNDO else stack.createRedoAction)(window, item.title())
                actions[item] = _add(window, menu, a, [QKeySequence("Ctrl+Z")] if item == UNDO else
                                     [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
            elif isinstance(item, DockToggle):
                a = docks.toggle_action(item.name)
                a.setText(item.text)
                actions[item.name] = _add(window, menu, a, [QKeySequence(k) for k in item.keys])
            elif item == HISTORY:
                a = history_dock.toggleViewAction()
                a.setText("Undo &History")
                a.setShortcut(QKeySequence("Ctrl+H"))
                actions[item] = _add(window, menu, a)
            else:
                actions[item.name] = _add(window, menu, _make(window, item, slots[item.slot]))
    return actions, bar, recent


def model_actions(actions: dict[str, QAction]) -> list[QAction]:
    names = {s.name for items in MENUS.values() for s in items if isinstance(s, Spec) and s.needs_model}
    return [a for n, a in actions.items() if n in names]
