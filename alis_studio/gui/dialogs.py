"""Small dialogs: errors, seed entry, connecting two scenes, the shortcut list and the About box.

The main window calls these through the module (`dialogs.ask_seed(...)`), so tests can replace them.
"""
from __future__ import annotations

from PySide6.QtCore import QRegularExpression, Qt
from PySide6.QtGui import QFontMetrics, QRegularExpressionValidator
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QHeaderView, QLabel, QLineEdit,
                               QMessageBox, QSpinBox, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from alis_studio import __version__
from alis_studio.engine.session_schema import SEED_LIMIT


def error_box(parent: QWidget | None, title: str, message: str) -> None:
    QMessageBox.warning(parent, title, message)


def info_box(parent: QWidget | None, title: str, message: str) -> None:
    QMessageBox.information(parent, title, message)


def ask_save_changes(parent: QWidget | None, before: str) -> str:
    """'save', 'discard' or 'cancel': what to do with unsaved scene edits `before` something."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes", "The session has unsaved changes.",
                      QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                      | QMessageBox.StandardButton.Cancel, parent)
    box.setInformativeText(f"Save them before {before}?")
    box.setDefaultButton(QMessageBox.StandardButton.Save)
    answer = box.exec()
    return {QMessageBox.StandardButton.Save: "save",
            QMessageBox.StandardButton.Discard: "discard"}.get(QMessageBox.StandardButton(answer), "cancel")


SEED_RANGE = f"0 to {SEED_LIMIT - 1}"
TITLE_ROOM = 160  # px beside a dialog's title for the window manager's icon and buttons


def seed_edit(value: int | None = None) -> QLineEdit:
    """A field for a seed: digits only (as many as the largest seed has), the range as placeholder."""
    edit = QLineEdit("" if value is None else str(value))
    digits = len(str(SEED_LIMIT - 1))
    edit.setValidator(QRegularExpressionValidator(QRegularExpression(f"[0-9]{{1,{digits}}}")))
    edit.setPlaceholderText(SEED_RANGE)
    return edit


def seed_value(text: str) -> int | None:
    """The seed typed, or None if there is none or it is out of range."""
    text = text.strip()
    return int(text) if text.isdigit() and int(text) < SEED_LIMIT else None


def seed_problem(text: str) -> str:
    """Why `text` is not a seed ("" if it is one, or empty)."""
    return "" if not text.strip() or seed_value(text) is not None else f"Seeds go from {SEED_RANGE}."


def hint_label() -> QLabel:
    label = QLabel(wordWrap=True)
    label.setStyleSheet("color: #d9534f")
    return label


def _buttons(dlg: QDialog, edits: list[QLineEdit], hint: QLabel) -> QDialogButtonBox:
    """OK and Cancel; OK only while every field holds a seed, the hint saying what is wrong."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    ok = buttons.button(QDialogButtonBox.StandardButton.Ok)

    def check(*_):
        hint.setText(" ".join(dict.fromkeys(p for p in map(seed_problem, (e.text() for e in edits)) if p)))
        hint.setVisible(bool(hint.text()))
        ok.setEnabled(all(seed_value(e.text()) is not None for e in edits))
    for e in edits:
        e.textChanged.connect(check)
    check()
    buttons.accepted.connect(dlg.accept)
    buttons.rejected.connect(dlg.reject)
    return buttons


def _titled(dlg: QDialog, title: str) -> None:
    """Wide enough that the window manager shows the whole title ("Seed ... hor #0" was cut)."""
    dlg.setMinimumWidth(QFontMetrics(dlg.font()).horizontalAdvance(title) + TITLE_ROOM)


def ask_seed(parent: QWidget | None, title: str, current: int | None) -> int | None:
    """A seed typed by the user, or None if cancelled."""
    dlg = QDialog(parent, windowTitle=title)
    form = QFormLayout(dlg)
    form.addRow(QLabel(f"{title} ({SEED_RANGE}):"))  # the title in full, whatever the title bar shows
    edit = seed_edit(current)
    edit.selectAll()
    form.addRow("Seed", edit)
    hint = hint_label()
    form.addRow(hint)
    form.addRow(_buttons(dlg, [edit], hint))
    _titled(dlg, title)
    return seed_value(edit.text()) if dlg.exec() == QDialog.DialogCode.Accepted else None


def ask_connect(parent: QWidget | None, anchor: int, seed_a: int | None, most: int = 1000,
                loop: int | None = None) -> tuple[int, int, int] | None:
    """(seed A, seed B, intervals apart) to pin at anchor and anchor + n, or None if cancelled.
    `most` intervals apart at most (in a loop of `loop` anchors, half of it: B must not go round)."""
    title = "Connect two scenes"
    dlg = QDialog(parent, windowTitle=title)
    form = QFormLayout(dlg)
    a, b = seed_edit(seed_a), seed_edit()
    n = QSpinBox(minimum=1, maximum=max(1, most), value=min(4, max(1, most)), suffix=" intervals")
    form.addRow(f"Seed A (at anchor #{anchor})", a)
    form.addRow("Seed B", b)
    form.addRow("B is to the right of A by", n)
    if loop:
        form.addRow(QLabel(f"At most {most} in a loop of {loop} anchors (further on, B would come round "
                           "towards A from the other side)", wordWrap=True))
    hint = hint_label()
    form.addRow(hint)
    form.addRow(_buttons(dlg, [a, b], hint))
    _titled(dlg, title)
    (b if a.text() else a).setFocus()  # type where nothing is filled in yet
    if dlg.exec() != QDialog.DialogCode.Accepted:
        return None
    return seed_value(a.text()), seed_value(b.text()), n.value()


def shortcut_rows(menus) -> list[tuple[str, str, str]]:
    """(menu, action, shortcuts) for every action that has a shortcut, in menu order."""
    rows = []
    for menu in menus:
        for action in menu.actions():
            keys = action.shortcuts()
            if keys and not action.isSeparator():
                text = action.text().replace("&", "")
                rows.append((menu.title().replace("&", ""), text,
                             ", ".join(k.toString(k.SequenceFormat.NativeText) for k in keys)))
    return rows


class ShortcutsDialog(QDialog):
    """Help -> Shortcuts: built from the actions themselves, so it never goes out of date."""

    def __init__(self, parent: QWidget | None, menus):
        super().__init__(parent, windowTitle="Keyboard shortcuts")
        self.tree = QTreeWidget(columnCount=2)
        self.tree.setHeaderLabels(["Action", "Shortcut"])
        self.tree.setRootIsDecorated(False)
        groups: dict[str, QTreeWidgetItem] = {}
        for menu, text, keys in shortcut_rows(menus):
            if menu not in groups:
                groups[menu] = QTreeWidgetItem(self.tree, [menu])
                groups[menu].setFirstColumnSpanned(True)
                font = groups[menu].font(0)
                font.setBold(True)
                groups[menu].setFont(0, font)
            QTreeWidgetItem(groups[menu], [text, keys])
        self.tree.expandAll()
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        extra = QTreeWidgetItem(self.tree, ["Mouse"])
        extra.setFirstColumnSpanned(True)
        for text, keys in (("Pan (with inertia)", "drag"), ("Zoom", "wheel / pinch"),
                           ("Centre here", "double-click"), ("Go there", "click or drag the overview strip"),
                           ("Move an anchor", "drag its thumbnail"),
                           ("Anchor menu", "right-click a thumbnail"), ("Open a model", "drop an .alis file")):
            QTreeWidgetItem(extra, [text, keys])
        extra.setExpanded(True)
        box = QVBoxLayout(self)
        box.addWidget(self.tree)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        box.addWidget(buttons)
        self.resize(520, 620)


def about_text(bundle) -> str:
    from alis_studio.gui.controls import model_details

    text = (f"<h3>ALIS Studio {__version__}</h3><p>Infinite panoramas from ALIS generators "
            f"(Skorokhodov et al., ICCV 2021), rendered tile by tile with ONNX Runtime.</p>")
    if bundle is not None:
        rows = "".join(f"<tr><td nowrap><b>{k.replace(' ', '&nbsp;')}</b>&nbsp;</td><td>{v}</td></tr>"
                       for k, v in (line.split(": ", 1) for line in model_details(bundle).splitlines()))
        text += f"<table>{rows}</table>"
    else:
        text += "<p>No model loaded.</p>"
    return text


def about_box(parent: QWidget | None, bundle) -> None:
    box = QMessageBox(parent)
    box.setWindowTitle("About ALIS Studio")
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(about_text(bundle))
    box.exec()
