"""The seed browser (a dock): a page of candidate seeds for the selected anchor, each shown as the
panorama around that anchor would look with it. Click one to take it (an undoable Set Seed), page
for more, or type a seed. Thumbnails are the renderer's own tiles of the candidate scene, asked for
in the background (newest page first), so taking a candidate shows at once in the view."""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListView, QListWidget, QListWidgetItem, QPushButton,
                               QVBoxLayout, QWidget)

from alis_studio.engine.scene import SEED_LIMIT, Scene, default_seed
from alis_studio.gui.controls import FieldKeys
from alis_studio.gui.dialogs import SEED_RANGE, hint_label, seed_edit, seed_problem, seed_value
from alis_studio.gui.images import PatchBridge, detach, to_qimage

PER_PAGE = 12
THUMB_MAX_H = 72  # px: thumbnails use the mip level that brings the model's height to this or less
PLACEHOLDER = (48, 58, 70)


class SeedBrowser(QWidget):
    """Candidates for `selection.anchor` in `scene`; takes one through `editor`. `editing_done`:
    Enter or Escape in the seed field (the window gives the view its focus back)."""

    editing_done = Signal()

    def __init__(self, scene, renderer, editor, selection, parent: QWidget | None = None):
        super().__init__(parent)
        self.scene, self.renderer, self.editor, self.selection = scene, renderer, editor, selection
        b = renderer.bundle
        self._H, self._P, self._d = b.height, b.tile_width, b.interval_width
        self.level = max(0, min(renderer.mip_levels, math.ceil(math.log2(max(1.0, self._H / THUMB_MAX_H)))))
        self.lod = renderer.lod_for(self.level)  # candidates render at the thumbnails' level of detail
        self._half = min(self._d // 2, self._H)  # columns each side of the anchor: at most 2:1 thumbnails
        self.base = int(np.random.default_rng().integers(SEED_LIMIT))  # candidates differ per session
        self.page = 0
        self.anchor: int | None = None
        self.keys: list[list] = []  # per candidate: its tiles' keys, left to right
        self._users: dict[object, list[int]] = {}  # key -> the candidates that show it
        self._dirty = True
        self._bridge = PatchBridge(self)
        self._bridge.patch_ready.connect(self._on_patch)
        self._refresh_timer = QTimer(self, singleShot=True, interval=0)  # one rebuild per burst of edits
        self._refresh_timer.timeout.connect(self.refresh)
        self._build()
        scene.subscribe(self._on_scene)
        selection.subscribe(self._on_scene)

    def _build(self) -> None:
        self.title = QLabel()
        self.grid = QListWidget(viewMode=QListView.ViewMode.IconMode, movement=QListView.Movement.Static,
                                resizeMode=QListView.ResizeMode.Adjust, uniformItemSizes=True, spacing=4)
        w, h = (2 * self._half) >> self.level, self._H >> self.level
        self.grid.setIconSize(QSize(w, h))
        self.grid.setGridSize(QSize(w + 12, h + 26))  # room for the seed under each thumbnail
        self.grid.setMinimumWidth(2 * (w + 12) + 36)  # two columns and a scroll bar
        self.grid.itemClicked.connect(self._take)
        self.prev_button, self.next_button = QPushButton("◀ Previous"), QPushButton("Next ▶")
        self.page_label = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.shuffle_button = QPushButton("Shuffle")
        self.shuffle_button.setToolTip("A new set of candidate seeds")
        self.prev_button.clicked.connect(lambda: self.set_page(self.page - 1))
        self.next_button.clicked.connect(lambda: self.set_page(self.page + 1))
        self.shuffle_button.clicked.connect(self.shuffle)
        self.seed_edit = seed_edit()
        self.seed_edit.setPlaceholderText(f"type a seed ({SEED_RANGE}), Enter")
        self.seed_edit.returnPressed.connect(self._typed)
        self.seed_edit.textChanged.connect(lambda _t: self.hint.hide())
        self.hint = hint_label()
        self.hint.hide()
        # Enter takes the seed, Escape clears the field; both give the view its keys back, and with
        # nothing typed the window's shortcuts (P, R, arrows) win over the field
        FieldKeys(self.seed_edit, lambda: bool(self.seed_edit.text()), self.seed_edit.clear, self.editing_done.emit)
        pager = QHBoxLayout()
        for widget in (self.prev_button, self.page_label, self.next_button, self.shuffle_button):
            pager.addWidget(widget)
        typed = QHBoxLayout()
        typed.addWidget(QLabel("Seed"))
        typed.addWidget(self.seed_edit, 1)
        box = QVBoxLayout(self)
        box.addWidget(self.title)
        box.addWidget(self.grid, 1)
        box.addLayout(pager)
        box.addLayout(typed)
        box.addWidget(self.hint)

    def close_view(self) -> None:
        detach(self._bridge, self.scene, self._on_scene)
        self.selection.unsubscribe(self._on_scene)

    # ------------------------------------------------------------------ candidates
    def seeds(self) -> list[int]:
        """The current page's candidates: a fixed sequence per browser, so paging back shows the same."""
        return [default_seed(self.base, self.page * PER_PAGE + j) for j in range(PER_PAGE)]

    def set_page(self, page: int) -> None:
        self.page = max(0, page)
        self.refresh()

    def shuffle(self) -> None:
        self.base = int(np.random.default_rng().integers(SEED_LIMIT))
        self.set_page(0)

    def _on_scene(self, *_args) -> None:
        self._dirty = True
        if self.isVisible():
            self._refresh_timer.start()

    def showEvent(self, event) -> None:
        if self._dirty:
            self._refresh_timer.start()
        super().showEvent(event)

    def refresh(self) -> None:
        """Candidate scenes for the selected anchor and the page: items, keys, one background request."""
        self._dirty = False
        i = self.anchor = self.selection.anchor
        spec = self.scene.anchor(i)
        pin = " · pinned" if spec.pinned else ""
        self.title.setText(f"Anchor #{self.scene.canonical(i)} · "
                           f"{'seed ' + str(spec.seed) if spec.seed is not None else 'custom w'}{pin}")
        self.page_label.setText(f"page {self.page + 1}")
        self.prev_button.setEnabled(self.page > 0)
        x0 = i * self._d - self._half
        p0, p1 = x0 // self._P, -(-(x0 + 2 * self._half) // self._P)
        state = self.scene.to_dict()
        self.keys, self._users = [], {}
        self.grid.clear()
        for j, seed in enumerate(self.seeds()):
            candidate = Scene.from_dict(state)
            candidate.set_anchor_seed(i, seed)
            keys = [self.renderer.key(candidate, p, self.lod) for p in range(p0, p1)]
            self.keys.append(keys)
            for k in keys:
                self._users.setdefault(k, []).append(j)
            item = QListWidgetItem(str(seed))
            item.setData(Qt.ItemDataRole.UserRole, seed)
            item.setToolTip(f"Take seed {seed} for anchor #{self.scene.canonical(i)}")
            self.grid.addItem(item)
            self._compose(j)
            if seed == spec.seed:
                item.setSelected(True)
        todo = [k for keys in self.keys for k in keys if not self.renderer.has(k)]
        self.renderer.submit(todo, on_patch=self._bridge.on_patch, tag="seeds", background=True)

    def _on_patch(self, key) -> None:
        for j in self._users.get(key, ()):
            self._compose(j)

    def _compose(self, j: int) -> None:
        """Candidate j's thumbnail from whatever tiles the cache has (placeholders for the rest)."""
        pw, ph = self._P >> self.level, self._H >> self.level
        tiles = [self.renderer.best(k, self.level)[0] for k in self.keys[j]]
        strip = np.concatenate([t if t is not None else np.full((ph, pw, 3), PLACEHOLDER, np.uint8)
                                for t in tiles], axis=1)
        x0 = self.anchor * self._d - self._half
        a = (x0 - (x0 // self._P) * self._P) >> self.level
        crop = strip[:, a:a + ((2 * self._half) >> self.level)]
        self.grid.item(j).setIcon(QIcon(QPixmap.fromImage(to_qimage(crop))))

    def is_complete(self) -> bool:
        return all(self.renderer.has(k) for keys in self.keys for k in keys)

    # ------------------------------------------------------------------ taking one
    def _take(self, item: QListWidgetItem) -> None:
        if self.anchor is not None:
            self.editor.set_anchor_seed(self.anchor, int(item.data(Qt.ItemDataRole.UserRole)))

    def _typed(self) -> None:
        seed = seed_value(self.seed_edit.text())
        if seed is None:  # kept in the field, with the reason
            self.hint.setText(seed_problem(self.seed_edit.text()))
            self.hint.setVisible(bool(self.hint.text()))
        else:  # the selected anchor's, even before the page of candidates has been built for it
            self.editor.set_anchor_seed(self.selection.anchor, seed)
            self.seed_edit.clear()

    def closeEvent(self, event) -> None:
        self.close_view()
        super().closeEvent(event)
