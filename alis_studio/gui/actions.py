"""Every command of the app as a QAction with its shortcut, built from one table.

The table is the single source for the menus, the window-wide shortcuts and Help -> Keyboard
shortcuts. `slot` is a dotted path resolved on the main window when the action fires (the viewport
and timeline are rebuilt when the model changes).
"""
from __future__ import annotations

import dataclasses

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
    """Show or hide one of the window's docks (`window.docks`)."""

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
        S("quit", "&Quit", ("Ctrl+Q",), "close", False),
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
        S("overview", "&Overview Strip", ("Ctrl+M",), "toggle_overview", tip="Show or hide the overview strip"),
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
        S("shortcuts", "&Keyboard Shortcuts", ("F1", "Ctrl+/"), "show_shortcuts", False),
        S("about", "&About ALIS Studio", (), "show_about", False),
    ],
}


def resolve(window, path: str):
    obj = window
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _make(window: QMainWindow, spec: Spec) -> QAction:
    action = QAction(spec.text, window)
    action.setShortcuts([QKeySequence(k) for k in spec.keys])
    action.setObjectName(spec.name)
    if spec.tip:
        action.setStatusTip(spec.tip)
        action.setToolTip(f"{spec.text.replace('&', '').rstrip('…')} ({spec.keys[0]})" if spec.keys else spec.tip)
    action.triggered.connect(lambda _checked=False, s=spec.slot: _fire(window, s))
    window.addAction(action)  # shortcuts work wherever the focus is in the window
    return action


def _fire(window, slot: str) -> None:
    target = resolve(window, slot.rsplit(".", 1)[0]) if "." in slot else window
    if target is None:
        return  # no model yet
    getattr(target, slot.rsplit(".", 1)[-1])()


def build(window: QMainWindow, stack) -> tuple[dict[str, QAction], list[QMenu]]:
    """Create the actions and the menu bar. Returns (actions by name, menus)."""
    actions: dict[str, QAction] = {}
    menus = []
    for title, items in MENUS.items():
        menu = window.menuBar().addMenu(title)
        menus.append(menu)
        for item in items:
            if item == SEP:
                menu.addSeparator()
            elif item == RECENT:
                window.recent_menu = menu.addMenu("Open &Recent")
            elif item in (UNDO, REDO):
                a = (stack.createUndoAction if item == UNDO else stack.createRedoAction)(window, item.title())
                a.setShortcuts([QKeySequence("Ctrl+Z")] if item == UNDO else
                               [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
                window.addAction(a)
                menu.addAction(a)
                actions[item] = a
            elif isinstance(item, DockToggle):
                a = window.docks.toggle_action(item.name)
                a.setText(item.text)
                a.setShortcuts([QKeySequence(k) for k in item.keys])
                window.addAction(a)
                menu.addAction(a)
                actions[item.name] = a
            elif item == HISTORY:
                a = window.history_dock.toggleViewAction()
                a.setText("Undo &History")
                a.setShortcut(QKeySequence("Ctrl+H"))
                menu.addAction(a)
                actions[item] = a
            else:
                actions[item.name] = a = _make(window, item)
                menu.addAction(a)
    return actions, menus


def model_actions(actions: dict[str, QAction]) -> list[QAction]:
    names = {s.name for items in MENUS.values() for s in items if isinstance(s, Spec) and s.needs_model}
    return [a for n, a in actions.items() if n in names]
