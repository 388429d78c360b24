"""Scene controls for the toolbar: truncation psi (live), scene seed, loop mode with its period, and
the model with the provider it runs on. Widgets follow the scene; edits go through the SceneEditor."""
from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QLineEdit, QSlider, QSpinBox, QWidget

from alis_studio.engine.bundle import kimg_note
from alis_studio.engine.session_schema import MAX_LOOP, PSI_MAX, PSI_MIN, SEED_LIMIT


def model_summary(bundle) -> str:
    name = bundle.meta.get("arch", {}).get("name") or bundle.path.stem
    return f"{bundle.path.name} · {name} · {bundle.height} px"


def model_details(bundle) -> str:
    """Provenance, one fact a line (tooltips, the About box)."""
    tr = bundle.meta.get("training") or {}
    return "\n".join([
        f"Model: {bundle.path}",
        f"sha256: {bundle.sha256}",
        f"Config: {bundle.meta.get('arch', {}).get('name', '?')}, {bundle.height} px tall, tiles "
        f"{bundle.tile_width} px, {bundle.tiles_per_interval} per anchor interval ({bundle.interval_width} px)",
        f"Latents: z {bundle.z_dim}, w {bundle.w_dim}",
        f"Trained on: {dataset_name(tr.get('dataset'))}{kimg_note(tr)}",
        f"Created: {bundle.meta.get('created', '?')} by {bundle.meta.get('producer', '?')}",
        f"Running on: {bundle.provider} ({bundle.device_name})",
    ])


def dataset_name(dataset) -> str:
    """A training set as users should see it: its name, never the training machine's folders."""
    if not dataset:
        return "-"
    return str(dataset).replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


class FieldKeys(QObject):
    """Keys of a toolbar field: Enter applies and Escape reverts, both handing focus back (`done`);
    while the field holds no pending edit, the window's shortcuts (P, R, Del, Ctrl+Z ...) win over
    the field's own use of those keys."""

    def __init__(self, field, pending, revert, done):
        super().__init__(field)
        self.pending, self.revert, self.done = pending, revert, done
        field.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        kind = event.type()
        if kind == QEvent.Type.ShortcutOverride and not self.pending() \
                and event.key() not in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape):
            event.ignore()  # not claimed by the field: the shortcut map gets the key
            return True
        if kind == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Escape:
            self.revert()
            self.done()
            return True
        if kind == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            obj.event(event)  # the field applies its value (editingFinished) ...
            self.done()  # ... then the view has the keys again
            return True
        return False


class SceneControls(QWidget):
    """psi slider, scene seed, loop; reads `scene`, writes through `editor`."""

    editing_done = Signal()  # Enter or Escape in a field: the window gives the view its focus back

    def __init__(self, scene, editor, bundle, parent: QWidget | None = None):
        super().__init__(parent)
        self.scene, self.editor = scene, editor
        self._gesture, self._last_step = 0, 0.0
        self._seed_shown = ""  # the seed the field last showed: differing text is a pending edit
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 0, 4, 0)
        row.setSpacing(6)

        self.psi_slider = QSlider(Qt.Orientation.Horizontal, minimum=round(PSI_MIN * 100),
                                  maximum=round(PSI_MAX * 100), singleStep=1, pageStep=10)
        self.psi_slider.setFixedWidth(140)
        self.psi_slider.setToolTip("Truncation ψ: lower is more typical, higher more varied ([ and ])")
        self.psi_label = QLabel(minimumWidth=34)
        self.psi_slider.sliderPressed.connect(self._new_gesture)
        self.psi_slider.valueChanged.connect(self._psi_moved)
        row.addWidget(QLabel("ψ"))
        row.addWidget(self.psi_slider)
        row.addWidget(self.psi_label)

        self.seed_edit = QLineEdit(maximumWidth=110, placeholderText="scene seed")
        digits = len(str(SEED_LIMIT - 1))  # the ranges sessions and --seed accept: what these widgets show
        self.seed_edit.setValidator(QRegularExpressionValidator(QRegularExpression(f"[0-9]{{1,{digits}}}")))
        self.seed_edit.setToolTip("Scene seed: the default anchors derive from it (Enter to apply)")
        self.seed_edit.editingFinished.connect(self._seed_entered)
        row.addSpacing(10)
        row.addWidget(QLabel("Seed"))
        row.addWidget(self.seed_edit)

        self.loop_check = QCheckBox("Loop")
        self.loop_check.setToolTip("Close the panorama into a 360° loop of N anchor intervals")
        self.loop_spin = QSpinBox(minimum=2, maximum=MAX_LOOP, value=8, prefix="N = ")
        self.loop_check.toggled.connect(self._loop_changed)
        self.loop_spin.valueChanged.connect(self._loop_changed)
        row.addSpacing(10)
        row.addWidget(self.loop_check)
        row.addWidget(self.loop_spin)

        FieldKeys(self.seed_edit, lambda: self.seed_edit.text() != self._seed_shown,
                   lambda: self.seed_edit.setText(str(self.scene.seed)), self.editing_done.emit)
        FieldKeys(self.loop_spin, lambda: False, lambda: self._sync(self.scene), self.editing_done.emit)

        self.model_label = QLabel()
        self.provider_label = QLabel()
        row.addSpacing(16)
        row.addWidget(self.model_label)
        row.addWidget(self.provider_label)
        row.addStretch(1)
        self.set_bundle(bundle)
        scene.subscribe(self._sync)
        self._sync(scene)

    def close_view(self) -> None:
        self.scene.unsubscribe(self._sync)

    def set_bundle(self, bundle) -> None:
        self.model_label.setText(model_summary(bundle))
        self.model_label.setToolTip(model_details(bundle))
        cuda = bundle.device_name == "CUDA"
        self.provider_label.setText(bundle.device_name)
        self.provider_label.setToolTip(f"ONNX Runtime provider: {bundle.provider}")
        self.provider_label.setStyleSheet(
            f"QLabel {{ padding: 1px 6px; border-radius: 3px; font-weight: bold; color: white; "
            f"background: {'#2e8b57' if cuda else '#505a66'}; }}")

    # ------------------------------------------------------------------ scene -> widgets
    def _sync(self, scene) -> None:
        for w in (self.psi_slider, self.seed_edit, self.loop_check, self.loop_spin):
            w.blockSignals(True)
        self.psi_slider.setValue(round(scene.psi * 100))
        self.psi_label.setText(f"{scene.psi:.2f}")
        if not self.seed_edit.hasFocus() or self.seed_edit.text() == self._seed_shown:  # never overwrite typing
            self.seed_edit.setText(str(scene.seed))
        self._seed_shown = str(scene.seed)
        self.loop_check.setChecked(scene.loop_period is not None)
        if scene.loop_period:
            self.loop_spin.setValue(scene.loop_period)
        self.loop_spin.setEnabled(scene.loop_period is not None)
        for w in (self.psi_slider, self.seed_edit, self.loop_check, self.loop_spin):
            w.blockSignals(False)

    # ------------------------------------------------------------------ widgets -> editor
    def _new_gesture(self) -> None:
        self._gesture += 1

    def _psi_moved(self, value: int) -> None:
        if not self.psi_slider.isSliderDown():  # keys or clicks: a burst of steps is one gesture
            now = time.monotonic()
            if now - self._last_step > 0.8:
                self._gesture += 1
            self._last_step = now
        self.editor.set_psi(value / 100, gesture=("psi-slider", self._gesture))
        self.psi_label.setText(f"{self.scene.psi:.2f}")

    def step_psi(self, delta: float) -> None:
        """Keyboard shortcut: nudge psi by `delta` (merged with the previous nudge if quick)."""
        self.psi_slider.setValue(self.psi_slider.value() + round(delta * 100))

    def _seed_entered(self) -> None:
        text = self.seed_edit.text()
        if text and int(text) < SEED_LIMIT:
            self.editor.set_seed(int(text))
        self.seed_edit.setText(str(self.scene.seed))

    def _loop_changed(self, *_args) -> None:
        period = self.loop_spin.value() if self.loop_check.isChecked() else None
        self.editor.set_loop(period)
        self._sync(self.scene)
