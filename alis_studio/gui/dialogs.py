"""Small dialogs: errors, seed entry, connecting two scenes, the shortcut list and the About box.

The main window calls these through the module (`dialogs.ask_seed(...)`), so tests can replace them.
"""
from __future__ import annotations

from PySide6.QtCore import QRegularExpression, Qt
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QHeaderView, QLineEdit, QMessageBox,
                               QSpinBox, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from alis_studio import __version__
from alis_studio.engine.scene import SEED_LIMIT


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


def _seed_edit(value: int | None = None) -> QLineEdit:
    edit = QLineEdit("" if value is None else str(value))
    edit.setValidator(QRegularExpressionValidator(QRegularExpression(r"[0-9]{1,10}")))
    edit.setPlaceholderText(f"0 to {SEED_LIMIT - 1}")
    return edit


def _seed(edit: QLineEdit) -> int | None:
    text = edit.text().strip()
    return int(text) if text and int(text) < SEED_LIMIT else None


def ask_seed(parent: QWidget | None, title: str, current: int | None) -> int | None:
    """A seed typed by the user, or None if cancelled."""
    dlg = QDialog(parent, windowTitle=title)
    form = QFormLayout(dlg)
    edit = _seed_edit(current)
    edit.selectAll()
    form.addRow("Seed", edit)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(lambda: dlg.accept() if _seed(edit) is not None else edit.setFocus())
    buttons.rejected.connect(dlg.reject)
    form.addRow(buttons)
    return _seed(edit) if dlg.exec() == QDialog.DialogCode.Accepted else None


def ask_connect(parent: QWidget | None, anchor: int, seed_a: int | None) -> tuple[int, int, int] | None:
    """(seed A, seed B, intervals apart) to pin at anchor and anchor + n, or None if cancelled."""
    dlg = QDialog(parent, windowTitle="Connect two scenes")
    form = QFormLayout(dlg)
    a, b = _seed_edit(seed_a), _seed_edit()
    n = QSpinBox(minimum=1, maximum=1000, value=4, suffix=" intervals")
    form.addRow(f"Seed A (at anchor #{anchor})", a)
    form.addRow("Seed B", b)
    form.addRow("B is to the right of A by", n)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(lambda: dlg.accept() if None not in (_seed(a), _seed(b)) else b.setFocus())
    buttons.rejected.connect(dlg.reject)
    form.addRow(buttons)
    if dlg.exec() != QDialog.DialogCode.Accepted:
        return None
    return _seed(a), _seed(b), n.value()


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
