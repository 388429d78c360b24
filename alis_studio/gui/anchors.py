"""Handlers of the View, Anchor and Scene menus: they act on the selected anchor (the context's Selection)
and change the scene only through its SceneEditor (so every edit is undoable)."""
from __future__ import annotations

import json

from PySide6.QtWidgets import QApplication

from alis_studio.engine.scene import SEED_LIMIT, AnchorSpec
from alis_studio.gui import dialogs
from alis_studio.gui.context import WindowContext

CLIPBOARD_KEY = "alis-studio-anchor"
CONNECT_MOST = 1000  # intervals between two connected scenes at most (outside a loop)


def spec_to_text(spec: AnchorSpec) -> str:
    d = spec.to_dict()
    d.pop("pinned", None)
    return json.dumps({CLIPBOARD_KEY: d})


def spec_from_text(text: str) -> AnchorSpec | None:
    """An anchor copied by `spec_to_text` (or a bare seed number), else None."""
    text = (text or "").strip()
    if text.isdigit() and int(text) < SEED_LIMIT:
        return AnchorSpec(seed=int(text))
    try:
        d = json.loads(text)[CLIPBOARD_KEY]
        return AnchorSpec.from_dict({**d, "pinned": False})
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


class AnchorHandlers:
    """Slots for the actions, on the context's scene, camera, selection, editor and controls."""

    def __init__(self, ctx: WindowContext):
        self.c = ctx
        self.clipboard: AnchorSpec | None = None  # also on the system clipboard, as JSON

    @property
    def ready(self) -> bool:
        return self.c.ready()

    @property
    def selected(self) -> int:
        return self.c.selection.anchor

    def _select(self, i: int) -> None:
        self.c.selection.select(i)

    # ---------------------------------------------------------------- view
    def pan_left(self):
        if self.ready:
            self.c.camera.pan_pixels(self.c.camera.width / 8)

    def pan_right(self):
        if self.ready:
            self.c.camera.pan_pixels(-self.c.camera.width / 8)

    def page_left(self):
        if self.ready:
            self.c.camera.pan_pixels(self.c.camera.width * 0.9)

    def page_right(self):
        if self.ready:
            self.c.camera.pan_pixels(-self.c.camera.width * 0.9)

    def zoom_in(self):
        if self.ready:
            self.c.camera.zoom_at(2 ** 0.5)

    def zoom_out(self):
        if self.ready:
            self.c.camera.zoom_at(2 ** -0.5)

    def center_selected(self):
        """Centre the selected anchor; in a loop, its copy nearest to the view (not a period away)."""
        if self.ready:
            v, d, n = self.c.camera, self.c.bundle().interval_width, self.c.scene.loop_period
            i = self.selected
            if n:
                i += n * round((v.center_x() / d - i) / n)
            v.center_on(i * d)

    def select_prev(self):
        if self.ready:
            self._select(self.selected - 1)
            self._keep_visible()

    def select_next(self):
        if self.ready:
            self._select(self.selected + 1)
            self._keep_visible()

    def _keep_visible(self):
        v, x = self.c.camera, self.selected * self.c.bundle().interval_width
        if not v.x0 <= x <= v.to_model_x(v.width):
            v.center_on(x)

    # ---------------------------------------------------------------- anchor edits
    def toggle_pin(self):
        if self.ready:
            self.c.editor.toggle_pin(self.selected)

    def resample(self):
        if self.ready:
            self.c.editor.resample(self.selected)

    def set_seed(self):
        if not self.ready:
            return
        i = self.selected
        seed = dialogs.ask_seed(self.c.parent, f"Seed of anchor #{self.c.scene.canonical(i)}", self.c.scene.anchor(i).seed)
        if seed is not None:
            self.c.editor.set_anchor_seed(i, seed)

    def insert_before(self):
        if self.ready:
            self.c.editor.insert(self.selected)

    def insert_after(self):
        if self.ready and self.c.editor.insert(self.selected, after=True):
            self._select(self.selected + 1)

    def delete(self):
        if self.ready:
            self.c.editor.delete(self.selected)

    def move_left(self):
        if self.ready and self.c.editor.move(self.selected, self.selected - 1):
            self._select(self.selected - 1)

    def move_right(self):
        if self.ready and self.c.editor.move(self.selected, self.selected + 1):
            self._select(self.selected + 1)

    def copy_latent(self):
        if self.ready:
            self.clipboard = self.c.scene.anchor(self.selected)
            QApplication.clipboard().setText(spec_to_text(self.clipboard))
            self.c.status(f"Copied the latent of anchor #{self.selected}", 3000)

    def paste_latent(self):
        if not self.ready:
            return
        spec = spec_from_text(QApplication.clipboard().text()) or self.clipboard
        if spec is None:
            self.c.status("Nothing to paste: copy an anchor first (Ctrl+C)", 4000)
        elif spec.w is not None and len(spec.w) != self.c.bundle().w_dim:
            self.c.report_error("Paste latent", f"The copied latent has {len(spec.w)} values; "
                              f"this model's w has {self.c.bundle().w_dim}.")
        else:
            self.c.editor.paste(self.selected, spec)

    # ---------------------------------------------------------------- scene edits
    def resample_unpinned(self):
        if self.ready:
            self.c.editor.resample_unpinned()

    def connect_scenes(self):
        if not self.ready:
            return
        i, period = self.selected, self.c.scene.loop_period
        # in a loop, B must not go round past the far side (nor onto A's own anchor at n = N)
        most = max(1, period // 2) if period else CONNECT_MOST
        got = dialogs.ask_connect(self.c.parent, self.c.scene.canonical(i), self.c.scene.anchor(i).seed, most, period)
        if got is None:
            return
        seed_a, seed_b, n = got
        if period and n > period // 2:  # the dialog offers no more; a caller might ask for more
            n = most
            self.c.status(f"In a loop of {period} anchors the scenes are {n} intervals "
                                           "apart (the most a loop allows)", 8000)
        self.c.editor.connect(i, seed_a, seed_b, n)
        c, d = self.c.camera, self.c.bundle().interval_width
        c.set(scale=min(c.scale, c.width / ((n + 1) * d)), fit=False)  # both scenes in view
        c.center_on((i + n / 2) * d)

    def random_seed(self):
        if self.ready:
            self.c.editor.set_seed(int(self.c.editor.rng.integers(SEED_LIMIT)))

    def focus_seed(self):
        if self.ready:
            self.c.controls().seed_edit.setFocus()
            self.c.controls().seed_edit.selectAll()

    def psi_down(self):
        if self.ready:
            self.c.controls().step_psi(-0.05)

    def psi_up(self):
        if self.ready:
            self.c.controls().step_psi(0.05)

    def toggle_loop(self):
        if self.ready:
            period = None if self.c.scene.loop_period else self.c.controls().loop_spin.value()
            self.c.editor.set_loop(period)
