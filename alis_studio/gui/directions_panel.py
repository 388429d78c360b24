"""Latent directions (a dock): sliders for the top principal components of w (GANSpace), for the
selected anchor or the whole scene. Edits go through the SceneEditor (one undo step per drag) and
live in the session; names are editable. The basis is loaded or computed on a thread at once, so
the first edited tile does not wait for it."""
from __future__ import annotations

import threading

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSlider,
                               QVBoxLayout, QWidget)

from alis_studio.engine.directions import N_SAMPLES, n_components

SHOWN = 8  # sliders: the components of largest variance
RANGE = 3.0  # standard deviations each way on a slider (the session and CLI allow more)
STEPS = 100  # slider steps per standard deviation


class _Ready(QObject):
    ready = Signal(object)  # Directions, or an error message


class _SliderKeys(QObject):
    """A focused slider takes the arrow, page, Home and End keys (else the view's shortcuts would pan)."""

    KEYS = {Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp,
            Qt.Key.Key_PageDown, Qt.Key.Key_Home, Qt.Key.Key_End}

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and event.key() in self.KEYS \
                and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            event.accept()
            return True
        return False


class DirectionsPanel(QWidget):
    """Sliders of components 1..SHOWN for `selection.anchor` (mode "anchor") or the whole scene."""

    def __init__(self, scene, renderer, editor, selection, parent: QWidget | None = None):
        super().__init__(parent)
        self.scene, self.renderer, self.editor, self.selection = scene, renderer, editor, selection
        self.count = min(SHOWN, n_components(renderer.bundle))
        self._gesture = 0
        self.mode = QComboBox()
        self.mode.addItem("Selected anchor", "anchor")
        self.mode.addItem("Whole scene", "scene")
        self.mode.setToolTip("Edit the selected anchor alone, or every anchor of the scene at once")
        self.mode.currentIndexChanged.connect(lambda _i: self._sync())
        self.status = QLabel(f"Finding the principal directions of w ({N_SAMPLES:,} samples)…", wordWrap=True)
        self.reset_button = QPushButton("Reset")
        self.reset_button.clicked.connect(lambda: self.editor.clear_directions(self.target()))
        top = QHBoxLayout()
        top.addWidget(self.mode, 1)
        top.addWidget(self.reset_button)
        grid = QGridLayout()
        self.names, self.sliders, self.values = [], [], []
        self._keys = _SliderKeys(self)
        for row, k in enumerate(range(1, self.count + 1)):
            name = QLineEdit(placeholderText=f"component {k}")
            name.setToolTip("Rename this direction (kept in the session)")
            name.editingFinished.connect(lambda k=k, e=name: self.editor.rename_direction(k, e.text()))
            slider = QSlider(Qt.Orientation.Horizontal, minimum=round(-RANGE * STEPS), maximum=round(RANGE * STEPS),
                             singleStep=10, pageStep=50)
            slider.installEventFilter(self._keys)
            slider.sliderPressed.connect(self._new_gesture)
            slider.valueChanged.connect(lambda v, k=k: self._moved(k, v))
            value = QLabel(minimumWidth=40, alignment=Qt.AlignmentFlag.AlignRight)
            for col, w in enumerate((name, slider, value)):
                grid.addWidget(w, row, col)
            self.names.append(name)
            self.sliders.append(slider)
            self.values.append(value)
        box = QVBoxLayout(self)
        box.addLayout(top)
        box.addLayout(grid)
        box.addWidget(self.status)
        box.addStretch(1)
        scene.subscribe(self._on_scene)
        selection.subscribe(self._on_selection)
        self._sync()
        self._ready = _Ready(self)
        self._ready.ready.connect(self._on_ready)
        threading.Thread(target=self._warm, daemon=True, name="alis-directions").start()

    def _on_selection(self, _selection) -> None:
        self._sync()

    def close_view(self) -> None:
        self.selection.unsubscribe(self._on_selection)
        self.scene.unsubscribe(self._on_scene)

    def _warm(self) -> None:
        try:
            result = self.renderer.directions.get()
        except Exception as e:  # a model whose mapping fails: say so, keep the app
            result = f"{type(e).__name__}: {e}"
        try:
            self._ready.ready.emit(result)
        except RuntimeError:  # the panel was deleted meanwhile
            pass

    def _on_ready(self, result) -> None:
        if isinstance(result, str):
            self.status.setText(f"Latent directions unavailable ({result})")
            return
        share = float(result.explained[:self.count].sum())
        self.status.setText(f"Top {self.count} of {len(result)} principal directions of w "
                            f"({result.samples:,} samples): {share:.0%} of its variance")
        for k, slider in enumerate(self.sliders, 1):
            slider.setToolTip(f"Component {k}: {result.explained[k - 1]:.1%} of the variance of w; "
                              f"±{RANGE:g} standard deviations")

    # ------------------------------------------------------------------ scene -> widgets
    def target(self) -> int | None:
        """The anchor edited (None: the whole scene)."""
        return self.selection.anchor if self.mode.currentData() == "anchor" else None

    def amounts(self) -> dict[int, float]:
        i = self.target()
        return dict(self.scene.scene_edits if i is None else self.scene.anchor(i).edits)

    def _on_scene(self, _scene) -> None:
        self._sync()

    def _sync(self) -> None:
        amounts = self.amounts()
        for k, (name, slider, value) in enumerate(zip(self.names, self.sliders, self.values), 1):
            a = amounts.get(k, 0.0)
            slider.blockSignals(True)
            slider.setValue(round(max(-RANGE, min(RANGE, a)) * STEPS))
            slider.blockSignals(False)
            value.setText(f"{a:+.2f}")
            shown = self.scene.direction_name(k)
            if not name.hasFocus():
                name.setText("" if shown == f"component {k}" else shown)

    # ------------------------------------------------------------------ widgets -> editor
    def _new_gesture(self) -> None:
        self._gesture += 1

    def _moved(self, k: int, value: int) -> None:
        if not self.sliders[k - 1].isSliderDown():
            self._gesture += 1  # a key or click on the groove: a step of its own
        target = self.target()
        self.editor.set_direction(k, value / STEPS, target, gesture=("direction", k, target, self._gesture))
        self.values[k - 1].setText(f"{value / STEPS:+.2f}")

    def closeEvent(self, event) -> None:
        self.close_view()
        super().closeEvent(event)
