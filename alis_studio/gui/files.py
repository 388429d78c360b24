"""Handlers of the File menu: models, sessions, the export dialog, and the view as an image."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Protocol

import numpy as np
from PySide6.QtCore import QObject, QRect, QSize, Qt, SignalInstance
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QFileDialog

from alis_studio.atomic import atomic_write
from alis_studio.engine.bundle import read_meta
from alis_studio.engine.scene import Scene, Session, check_session_model, load_session, save_session
from alis_studio.errors import UserError
from alis_studio.gui import dialogs
from alis_studio.gui.context import WindowContext
from alis_studio.gui.images import PatchBridge, to_qimage

MODEL_FILTER = "ALIS models (*.alis);;All files (*)"
SESSION_FILTER = "ALIS Studio sessions (*.json);;All files (*)"
VIEW_FILTERS = {"screen": "PNG as on screen (*.png)", "model": "PNG in model pixels, unscaled (*.png)"}


class ViewGrabber(QObject):
    """The pixels of columns [x0, x0 + width) at full resolution, from the renderer (asynchronous:
    what is missing is rendered on the workers first). `callback(pixels)` runs on the GUI thread."""

    def __init__(self, renderer, scene, x0: int, width: int, callback: Callable[[np.ndarray | None], None],
                 parent: QObject | None = None):
        super().__init__(parent)
        self.renderer, self.scene, self.x0, self.width, self.callback = renderer, scene, x0, width, callback
        P = renderer.bundle.tile_width
        self.p0, self.p1 = x0 // P, -(-(x0 + width) // P)
        self.keys = [renderer.key(scene, p) for p in range(self.p0, self.p1)]
        self.bridge = PatchBridge(self)
        self.bridge.request_done.connect(self._finish)

    def start(self) -> None:
        todo = [k for k in self.keys if k not in self.renderer.cache]
        if todo:
            self.renderer.submit(todo, on_done=self.bridge.on_done, tag="snapshot")
        else:
            self._finish()

    def _finish(self) -> None:
        self.bridge.close()
        P, out = self.renderer.bundle.tile_width, []
        for key in self.keys:
            patch = self.renderer.get(key, 0)
            if patch is None:  # evicted meanwhile (a tiny cache): give up rather than wait
                self.callback(None)
                return
            out.append(patch)
        strip = np.concatenate(out, axis=1)
        a = self.x0 - self.p0 * P
        self.callback(np.ascontiguousarray(strip[:, a:a + self.width]))
        self.deleteLater()


def is_file(path: str) -> bool:
    """Whether `path` names a file; a name the file system refuses (too long) names none."""
    try:
        return Path(path).is_file()
    except (OSError, ValueError):
        return False


def other_model(model: dict, current: str | None) -> str | None:
    """The model file a session names ({"path", "sha256"}) when it is not the open one (sha256
    `current`) and exists: it opens before the session is shown."""
    path, sha = model.get("path"), model.get("sha256")
    return path if sha and sha != current and path and is_file(path) else None


class SessionHost(Protocol):
    """What the File menu needs of the window beyond the context: the session it shows."""

    session_path: str | None
    interactive: bool  # False (smoke test): never ask about unsaved edits
    view_saved: SignalInstance

    def open_model(self, path: str, then_session=None) -> None: ...
    def apply_session(self, session: Session, path: str | None) -> None: ...
    def remember_session(self, path: str) -> None: ...
    def update_title(self, *_args) -> None: ...


SESSION_HOST_NAMES = (*SessionHost.__annotations__,
                      *(n for n, v in vars(SessionHost).items() if callable(v) and not n.startswith("_")))


class FileHandlers:
    def __init__(self, ctx: WindowContext, host: SessionHost):
        missing = [n for n in SESSION_HOST_NAMES if not hasattr(host, n)]
        if missing:  # a renamed method fails here, at start-up
            raise TypeError(f"FileHandlers: the window lacks {', '.join(missing)}")
        self.c, self.host = ctx, host

    # ---------------------------------------------------------------- models
    def open_model_dialog(self) -> None:
        start = self.c.settings.value("last_dir", str(Path.home()))
        path, _ = QFileDialog.getOpenFileName(self.c.parent, "Open model", start, MODEL_FILTER)
        if path:
            self.c.settings.setValue("last_dir", str(Path(path).parent))
            self.host.open_model(path)

    # ---------------------------------------------------------------- sessions
    def maybe_save(self, before: str) -> bool:
        """Ask about unsaved scene edits; True when it is fine to go on (saved or discarded)."""
        if self.c.stack.isClean() or self.c.bundle() is None or not self.host.interactive:
            return True
        answer = dialogs.ask_save_changes(self.c.parent, before)
        return answer == "discard" or (answer == "save" and self.save_session())

    def new_session(self) -> None:
        """A fresh scene (seed 0, default psi) with an empty history, as at start-up."""
        if self.maybe_save("starting a new session"):
            self.host.apply_session(Session(Scene(), {}), None)

    def session_folder(self) -> str:
        """Where the session dialogs start: the last session's folder, else the last model's, else home."""
        return str(self.c.settings.value("last_session_dir") or self.c.settings.value("last_dir", str(Path.home())))

    def open_session_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.c.parent, "Open session", self.session_folder(), SESSION_FILTER)
        if path:
            self.open_session(path)

    def open_session(self, path: str) -> bool:
        """Load a session; if it names another model that exists, open that model first. A session
        that is damaged or does not fit the model it would be shown with changes nothing (a dialog)."""
        if not self.maybe_save(f"opening {Path(path).name}"):
            return False
        current = self.c.bundle().sha256 if self.c.bundle() else None
        try:
            session = load_session(path)
            scene, model = session.scene, session.model
            other = other_model(model, current)
            if other is not None:  # checked against that model before it replaces this one
                check_session_model(scene, path, read_meta(other)["w_dim"])
            elif self.c.bundle() is not None:
                check_session_model(scene, path, self.c.bundle().w_dim)
        except UserError as e:
            self.c.report_error("Open session", str(e))
            return False
        self.c.status("", 0)  # what was said about the last session is not about this one
        model_path = model.get("path")
        if other is not None:
            self.host.open_model(other, then_session=(session, path))
            return True
        if model.get("sha256") and current and model["sha256"] != current:
            self.c.status(f"This session was made with another model ({model_path}); "
                                           "showing it with the current one", 8000)
        self.host.apply_session(session, path)
        return True

    def save_session(self) -> bool:
        if not self.host.session_path:
            return self.save_session_as()
        return self._write_session(self.host.session_path)

    def save_session_as(self) -> bool:
        if self.c.bundle() is None:
            return False
        start = self.host.session_path or str(Path(self.session_folder()) / "panorama.alis-session.json")
        path, _ = QFileDialog.getSaveFileName(self.c.parent, "Save session", start, SESSION_FILTER)
        return bool(path) and self._write_session(path)

    def _write_session(self, path: str) -> bool:
        try:  # the session file is where the scene and the camera (its "view") meet
            save_session(path, self.c.scene, model_path=str(self.c.bundle().path), model_sha256=self.c.bundle().sha256,
                         view=self.c.camera.to_dict(), selected=self.c.selection.anchor)
        except UserError as e:
            self.c.report_error("Save session", str(e))
            return False
        self.host.session_path = str(path)
        self.host.remember_session(str(path))
        self.c.stack.setClean()
        self.host.update_title()
        self.c.status(f"Saved {path}", 4000)
        return True

    # ---------------------------------------------------------------- images
    def export_panorama(self) -> None:
        if self.c.bundle() is None:
            return
        try:
            from alis_studio.gui import export_dialog
        except ModuleNotFoundError as e:
            if e.name != "alis_studio.gui.export_dialog":
                raise
            dialogs.info_box(self.c.parent, "Export panorama", "The export dialog is not part of this build yet. "
                             "Use File → Save View as PNG, or `alis-studio render` on the command line.")
            return
        x0, width = self.c.camera.visible_range()
        export_dialog.show_export_dialog(self.c.parent, self.c.renderer(), self.c.scene, x0, width, settings=self.c.settings,
                                         screen_width=round(self.c.camera.width))

    def grab_view(self, callback: Callable[[np.ndarray | None], None]) -> None:
        """The visible columns at full resolution (rendered first if needed), then `callback(pixels)`."""
        x0, width = self.c.camera.visible_range()
        self.c.status("Rendering the view…", 0)
        ViewGrabber(self.c.renderer(), self.c.scene, x0, width, callback, self.c.parent).start()

    def copy_view(self) -> None:
        if self.c.bundle() is None:
            return

        def done(pixels):
            if pixels is None:
                self.c.status("Could not copy the view (the cache is too small)", 5000)
                return
            QApplication.clipboard().setImage(to_qimage(pixels))
            self.c.status(f"Copied the view ({pixels.shape[1]} x {pixels.shape[0]} px, "
                                           "model pixels)", 4000)
        self.grab_view(done)

    def save_view_dialog(self) -> None:
        """The file, and which picture: as on screen (the default) or the model's own pixels."""
        if self.c.bundle() is None:
            return
        start = str(Path(self.c.settings.value("last_dir", str(Path.home()))) / "view.png")
        path, chosen = QFileDialog.getSaveFileName(self.c.parent, "Save view as PNG", start,
                                                   ";;".join(VIEW_FILTERS.values()), VIEW_FILTERS["screen"])
        if path:
            self.save_view(path if path.lower().endswith(".png") else path + ".png",
                           on_screen=chosen != VIEW_FILTERS["model"])

    def grab_screen(self, callback: Callable[[QImage], None]) -> None:
        """The panorama as the view shows it, once every visible patch is in: its rows on screen at
        the view's width (logical pixels), without the selected anchor's marker."""
        v, waiting = self.c.viewport(), not self.c.viewport().is_complete()

        def take():
            if waiting:
                v.view_complete.disconnect(take)
            marker = v.marker_x
            v.set_marker(None)
            top = max(0, round(v.camera.top()))
            shown = min(v.height(), round(v.camera.top() + self.c.bundle().height * v.camera.scale)) - top
            image = v.grab(QRect(0, top, v.width(), shown)).toImage()
            v.set_marker(marker)
            if image.size() != QSize(v.width(), shown):  # a high-DPI screen: back to the view's units
                image = image.scaled(v.width(), shown, Qt.AspectRatioMode.IgnoreAspectRatio,
                                     Qt.TransformationMode.SmoothTransformation)
            callback(image.convertToFormat(QImage.Format.Format_RGB32))
        if waiting:
            self.c.status("Rendering the view…", 0)
            v.view_complete.connect(take)
        else:
            take()

    def save_view(self, path: str, on_screen: bool = False) -> None:
        """The view as a PNG: its columns in model pixels, or (`on_screen`) as the screen shows them."""
        def done(pixels):
            if pixels is None:
                self.c.report_error("Save view", "The view could not be rendered (the cache is too small).")
                return
            image = pixels if isinstance(pixels, QImage) else to_qimage(pixels)
            try:
                with atomic_write(path, suffix=".tmp.png") as tmp:  # never a partial file under the final name
                    if not image.save(str(tmp), "PNG"):
                        raise OSError("QImage.save failed")
            except OSError:
                self.c.report_error("Save view", f"{path}: cannot write the image")
                return
            how = "as on screen" if on_screen else "model pixels"
            self.c.status(f"Saved {path} ({image.width()} x {image.height()} px, {how})", 4000)
            self.host.view_saved.emit(path)
        (self.grab_screen if on_screen else self.grab_view)(done)
