"""The main window: one scene, one undo stack, one camera, and for the current model a renderer with
its viewport, overview strip, ruler, timeline and dock contents (rebuilt when the model changes).
The views meet here: each follows the scene and the camera, and the window wires their signals.
Models load on a thread."""
from __future__ import annotations

import math
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QObject, QRect, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QToolBar, QUndoView, QVBoxLayout, QWidget

from alis_studio.engine.camera import CRISP_MAX, Camera
from alis_studio.engine.renderer import Renderer
from alis_studio.engine.scene import Scene, Session
from alis_studio.engine.selection import Selection
from alis_studio.errors import UserError
from alis_studio.gui import actions as actions_mod
from alis_studio.gui import dialogs
from alis_studio.gui.anchors import AnchorHandlers
from alis_studio.gui.commands import SceneEditor
from alis_studio.gui.context import WindowContext
from alis_studio.gui.controls import SceneControls
from alis_studio.gui.docks import Docks
from alis_studio.gui.files import FileHandlers
from alis_studio.gui.minimap import Minimap
from alis_studio.gui.perf_panel import fmt_rate, hit_rate
from alis_studio.gui.ruler import Ruler, shown_x
from alis_studio.gui.timeline import AnchorTimeline
from alis_studio.gui.viewport import PanoramaView

MAX_RECENT = 8
DEFAULT_SIZE = (1280, 720)
FRAME_ROOM = (16, 48)  # px kept free for the window manager's frame and title bar before it says


class ModelLoader(QObject):
    """Opens a bundle on a thread (ORT session creation and the probe inference take a moment)."""

    loaded = Signal(object, object)  # bundle, then_session
    failed = Signal(str)

    def load(self, path: str, device: str, then_session=None, threads: int = 0) -> None:
        threading.Thread(target=self._run, args=(path, device, then_session, threads), daemon=True,
                         name="alis-load-model").start()

    def _run(self, path, device, then_session, threads) -> None:
        from alis_studio.engine.bundle import load_bundle

        try:
            bundle = load_bundle(path, device=device, threads=threads)
        except UserError as e:
            result = (self.failed, str(e))
        except Exception as e:  # anything else is still a bad file to the user, not a crash
            result = (self.failed, f"{path}: cannot open the model ({type(e).__name__}: {e})")
        else:
            result = (self.loaded, bundle, then_session)
        try:
            result[0].emit(*result[1:])
        except RuntimeError:  # the window was closed meanwhile
            pass


class MainWindow(QMainWindow):
    model_installed = Signal(object)  # ModelBundle
    model_failed = Signal(str)
    view_saved = Signal(str)

    def __init__(self, settings: QSettings | None = None, device: str = "auto", workers: int = 1):
        super().__init__()
        self.settings = settings if settings is not None else QSettings()
        self.device, self.workers, self.threads = device, workers, 0  # threads: ONNX Runtime's (0: auto)
        self.scene = Scene()
        self.camera = Camera()  # what the window shows: the session's "view", never an undo step
        self.selection = Selection()  # the selected anchor: the session's "selected", never an undo step
        self.selection.subscribe(self._on_selection)
        self.stack = QUndoStack(self)
        self.interactive = True  # False (smoke test): errors go to stderr instead of a dialog
        self.editor = SceneEditor(self.scene, self.stack, on_error=lambda m: self.report_error("Edit", m))
        self.bundle = self.renderer = self.viewport = self.ruler = self.timeline = self.controls = None
        self.minimap = None
        self.session_path: str | None = None
        self.loading: str | None = None
        self.context = self._make_context()
        self.files, self.anchors = FileHandlers(self.context, self), AnchorHandlers(self.context)
        self._loader = ModelLoader(self)
        self._loader.loaded.connect(self._on_loaded)
        self._loader.failed.connect(self._on_failed)

        self.history_dock = QDockWidget("Undo history", self, objectName="history")
        self.history_dock.setWidget(QUndoView(self.stack))
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.history_dock)
        self.history_dock.hide()
        self.docks = Docks(self, self.context, self.reload_model)
        self.acts, self.menus, self.recent_menu = actions_mod.build(self, self.action_targets(), self.stack,
                                                                    self.docks, self.history_dock)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.toolbar = QToolBar("Scene", self, objectName="scene-toolbar", movable=False)
        self.toolbar.addAction(self.acts["resample_unpinned"])
        self.addToolBar(self.toolbar)
        self._build_status_bar()
        self._set_empty("Open a model (Ctrl+O) or drop an .alis file here.")
        self.stack.cleanChanged.connect(self.update_title)
        self.setAcceptDrops(True)
        self._place()
        state = self.settings.value("window_state")
        if state is not None:
            self.restoreState(state)
        self.update_title()

    def _make_context(self) -> WindowContext:
        """The models and services the handlers and docks use; the model's parts are read when used."""
        return WindowContext(
            scene=self.scene, camera=self.camera, selection=self.selection, editor=self.editor,
            stack=self.stack, settings=self.settings, parent=self,
            bundle=lambda: self.bundle, renderer=lambda: self.renderer, viewport=lambda: self.viewport,
            controls=lambda: self.controls, status=self.statusBar().showMessage,
            report_error=self.report_error)

    def action_targets(self) -> dict[str, object]:
        """What the actions' slots ("target.method") name; the viewport is the current model's."""
        return {"window": self, "files": self.files, "anchors": self.anchors, "camera": self.camera,
                "viewport": actions_mod.PerModel(PanoramaView, lambda: self.viewport)}

    # ------------------------------------------------------------------ placement on the screen
    def _place(self) -> None:
        """The last geometry where its frame still fits the screen's available area, else the
        default size clamped to it (a 1280x720 window at scale 1.5 on a 1600x1000 screen hid the
        timeline and status bar), centred."""
        avail = self.screen().availableGeometry()
        frame, geometry = self.settings.value("frame"), self.settings.value("geometry")
        if geometry is not None and isinstance(frame, QRect) and avail.contains(frame) \
                and self.restoreGeometry(geometry):
            return
        self.resize(min(DEFAULT_SIZE[0], avail.width() - FRAME_ROOM[0]),
                    min(DEFAULT_SIZE[1], avail.height() - FRAME_ROOM[1]))
        self.move(avail.center() - self.rect().center())

    def keep_on_screen(self) -> None:
        """Shrink and move the window so that its frame (title bar included, once the window system
        has added it) lies inside the screen's available area."""
        if self.isMaximized() or self.isFullScreen():
            return
        avail, frame = self.screen().availableGeometry(), self.frameGeometry()
        if avail.contains(frame):
            return
        dw, dh = frame.width() - self.width(), frame.height() - self.height()
        self.resize(min(self.width(), avail.width() - dw), min(self.height(), avail.height() - dh))
        frame = self.frameGeometry()
        x = min(max(frame.left(), avail.left()), avail.right() + 1 - frame.width())
        y = min(max(frame.top(), avail.top()), avail.bottom() + 1 - frame.height())
        self.move(x, y)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.keep_on_screen()
        QTimer.singleShot(0, self.keep_on_screen)  # the window manager adds its frame a moment later

    # ------------------------------------------------------------------ layout
    def _build_status_bar(self) -> None:
        self.pending_label, self.perf_label, self.cursor_label = QLabel(), QLabel(), QLabel()
        self.statusBar().addPermanentWidget(self.cursor_label)  # permanent: messages do not hide it
        self.statusBar().addPermanentWidget(self.pending_label)
        self.statusBar().addPermanentWidget(self.perf_label)
        self._perf_timer = QTimer(self, interval=500)
        self._perf_timer.timeout.connect(self.update_perf)
        self._perf_timer.start()

    def _set_empty(self, text: str) -> None:
        label = QLabel(text, alignment=Qt.AlignmentFlag.AlignCenter)
        label.setStyleSheet("QLabel { color: #8899aa; font-size: 15px; }")
        self.setCentralWidget(label)
        for a in actions_mod.model_actions(self.acts):
            a.setEnabled(self.bundle is not None)

    def update_title(self, *_args) -> None:
        parts = ["ALIS Studio"]
        if self.session_path:
            parts.append(Path(self.session_path).name + "[*]")
        if self.bundle is not None:
            parts.append(self.bundle.path.name + ("" if self.session_path else "[*]"))
        self.setWindowTitle(" — ".join(parts))
        self.setWindowModified(not self.stack.isClean())

    def update_perf(self) -> None:
        if self.renderer is None:
            self.perf_label.setText("")
            self.pending_label.setText("")
            return
        p = self.renderer.perf()
        hits = fmt_rate(hit_rate(self.viewport.stats))  # the performance panel's "overall", the same number
        rate = p["patches_per_s"]  # a big model renders well under one a second: say how much
        self.perf_label.setText(f"{p['last_batch_ms']:.0f} ms/batch · {rate:.{0 if rate >= 10 else 2}f} patches/s · "
                                f"cache hits {hits} ({p['cache_mb']:.0f} MB) · {self.bundle.device_name}")
        n, failed = self.viewport.pending(), self.renderer.last_error
        self.pending_label.setText(f"rendering failed ({failed})" if failed else
                                   f"rendering {n} patch{'es' if n != 1 else ''}…" if n else "")

    def show_cursor(self, x: float | None) -> None:
        """The panorama column under the mouse, its anchor interval and the position t in it."""
        if x is None or self.bundle is None:
            self.cursor_label.setText("")
            return
        d = self.bundle.interval_width
        i = math.floor(x / d)
        c = self.scene.canonical
        self.cursor_label.setText(f"x {math.floor(shown_x(self.scene, x, d)):,} · interval #{c(i)}–#{c(i + 1)}"
                                  f" · t {(x - i * d) / d:.2f}")

    def report_error(self, title: str, message: str) -> None:
        """A one-line reason in a dialog (DESIGN.md 3.5); on stderr when not interactive."""
        if self.interactive:
            dialogs.error_box(self, title, message)
        else:
            print(f"alis-studio: error: {message}", file=sys.stderr)

    # ------------------------------------------------------------------ models
    def open_model(self, path: str, then_session=None) -> None:
        """Load a model on a thread; on success it replaces the current one, on failure a dialog says
        why and the current model stays."""
        self.loading = str(path)
        self.statusBar().showMessage(f"Loading {Path(path).name}…")
        if self.bundle is None:
            self._set_empty(f"Loading {Path(path).name}…")
        self._loader.load(str(path), self.device, then_session, self.threads)

    def reload_model(self, device: str, threads: int) -> None:
        """Reopen the current model on another provider or thread count (the performance panel)."""
        if self.bundle is not None:
            self.device, self.threads = device, int(threads)
            self.open_model(str(self.bundle.path))

    def toggle_overview(self) -> None:
        show = not self.settings.value("overview", True, type=bool)
        self.settings.setValue("overview", show)
        if self.minimap is not None:
            self.minimap.setVisible(show)

    def _on_loaded(self, bundle, then_session) -> None:
        self.loading = None
        self.install_bundle(bundle)
        if then_session is not None:
            self.apply_session(*then_session)

    def _on_failed(self, message: str) -> None:
        self.loading = None
        self.statusBar().showMessage("Could not open the model", 5000)
        if self.bundle is None:
            self._set_empty("Open a model (Ctrl+O) or drop an .alis file here.")
        self.model_failed.emit(message)
        self.report_error("Open model", message)

    def install_bundle(self, bundle) -> None:
        """Show `bundle` (a loaded ModelBundle): new renderer, viewport, ruler and timeline."""
        old_renderer = self.renderer
        centre = self.camera.center_x() / self.bundle.interval_width if self.viewport else None  # in anchors
        same = self.camera.to_dict() if self.bundle and self.bundle.sha256 == bundle.sha256 else None
        if any(s.w is not None and len(s.w) != bundle.w_dim for s in self.scene.overrides().values()):
            # explicit latents of another model's size cannot carry over
            self.editor.reset(Scene(seed=self.scene.seed, psi=self.scene.psi).to_dict())
        self._close_workspace()
        self.bundle = bundle
        self.camera.set_height(bundle.height)
        cuda = bundle.device_name == "CUDA"
        self.renderer = Renderer(bundle, workers=self.workers, batch_size=32 if cuda else 8)
        if self.selection.anchor is None:  # the first model: the first view centres anchor 0
            self.selection.select(0)
        self._build_workspace()
        if same is not None:  # the same model on another provider: the same view
            self.camera.restore(same)
        elif centre is None:  # crisp: fill the height only up to 2x, so the first impression is sharp
            self.camera.first_view()
        else:  # another model: the crisp fit, at the same anchor
            self.camera.set(fit=True, fit_cap=CRISP_MAX)
            self.camera.center_on(centre * bundle.interval_width)
        if old_renderer is not None:  # joining its worker may wait for a batch: not on this thread
            threading.Thread(target=old_renderer.close, daemon=True).start()
        for a in actions_mod.model_actions(self.acts):
            a.setEnabled(True)
        self._remember_model(str(bundle.path))
        self.update_title()
        self.statusBar().showMessage(f"Opened {bundle.path.name} ({bundle.device_name})", 4000)
        self.model_installed.emit(bundle)

    def _build_workspace(self) -> None:
        self.viewport = PanoramaView(self.scene, self.renderer, self.camera)
        self.viewport.cursor_moved.connect(self.show_cursor)
        self.minimap = Minimap(self.scene, self.renderer, self.camera)
        self.minimap.grabbed.connect(self.viewport.inertia.stop)  # the strip takes over from a glide
        self.timeline = AnchorTimeline(self.scene, self.renderer, self.camera, self.editor, self.selection)
        self.ruler = Ruler(self.camera, self.scene, self.bundle, self.timeline.slots)  # not the widget
        self.timeline.menu_actions = [self.acts[n] if n else None for n in (
            "pin", "resample", "set_seed", None, "insert_before", "insert_after", "delete", None,
            "copy_latent", "paste_latent", None, "connect", "center_selected")]
        self.timeline.activated.connect(lambda i: self.camera.center_on(i * self.bundle.interval_width))
        self._on_selection(self.selection)
        page = QWidget()
        box = QVBoxLayout(page)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.viewport, 1)
        box.addWidget(self.minimap)
        box.addWidget(self.ruler)
        box.addWidget(self.timeline)
        self.minimap.setVisible(self.settings.value("overview", True, type=bool))  # in the layout: not a window
        self.setCentralWidget(page)
        if self.controls is None:
            self.controls = SceneControls(self.scene, self.editor, self.bundle)
            self.controls.editing_done.connect(lambda: self.viewport and self.viewport.setFocus())
            self.toolbar.addWidget(self.controls)
        else:
            self.controls.set_bundle(self.bundle)
        self.docks.rebuild(self.threads)
        self.viewport.setFocus()

    def _close_workspace(self) -> None:
        for w in (self.viewport, self.minimap, self.ruler, self.timeline):
            if w is not None:
                w.close_view()
        self.docks.close()

    def _remember_model(self, path: str) -> None:
        self._remember("recent_models", path)
        self.settings.setValue("last_model", path)

    def remember_session(self, path: str) -> None:
        """A session opened or saved: first in Open Recent, its folder where Open Session starts."""
        self._remember("recent_sessions", str(path))
        self.settings.setValue("last_session_dir", str(Path(path).parent))

    def _remember(self, key: str, path: str) -> None:
        recent = [p for p in self._recent(key) if p != path]
        self.settings.setValue(key, ([path] + recent)[:MAX_RECENT])

    def _recent(self, key: str) -> list[str]:
        # a one-entry list comes back from an INI file as a plain string: type=list keeps it whole
        return [str(p) for p in self.settings.value(key, [], type=list) if p]

    def recent_models(self) -> list[str]:
        return self._recent("recent_models")

    def recent_sessions(self) -> list[str]:
        return self._recent("recent_sessions")

    def _fill_recent(self) -> None:
        """Models, then (below a line) sessions, the latest first."""
        self.recent_menu.clear()
        for path in self.recent_models():
            self.recent_menu.addAction(path, lambda p=path: self.open_model(p))
        sessions = self.recent_sessions()
        if sessions and not self.recent_menu.isEmpty():
            self.recent_menu.addSeparator()
        for path in sessions:
            self.recent_menu.addAction(path, lambda p=path: self.files.open_session(p))
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("(none)").setEnabled(False)

    # ------------------------------------------------------------------ sessions
    def apply_session(self, session: Session, path: str | None) -> None:
        """Show a loaded session: its scene (a fresh undo history), its "view" in the camera and its
        "selected" anchor (without one: the anchor at the centre of the view)."""
        self.editor.reset(session.scene.to_dict())
        self.session_path = str(path) if path else None
        if path:
            self.remember_session(str(path))
        self.camera.restore(session.view)
        if session.selected is not None:
            self.selection.select(session.selected)
        elif self.bundle is not None:
            self.selection.select(round(self.camera.center_x() / self.bundle.interval_width))
        self.update_title()

    def _on_selection(self, selection: Selection) -> None:
        """The viewport marks where the selected anchor sits."""
        if self.viewport is not None and selection.anchor is not None:
            self.viewport.set_marker(selection.anchor * self.bundle.interval_width)

    # ------------------------------------------------------------------ help
    def show_shortcuts(self) -> None:
        dialogs.ShortcutsDialog(self, self.menus).exec()

    def show_about(self) -> None:
        dialogs.about_box(self, self.bundle)

    # ------------------------------------------------------------------ drag and drop
    @staticmethod
    def _dropped(event) -> list[str]:
        md = event.mimeData()
        return [u.toLocalFile() for u in md.urls() if u.isLocalFile()] if md.hasUrls() else []

    def dragEnterEvent(self, event) -> None:
        if any(p.lower().endswith((".alis", ".json")) for p in self._dropped(event)):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        for path in self._dropped(event):
            if path.lower().endswith(".alis"):
                self.open_model(path)
            elif path.lower().endswith(".json"):
                self.files.open_session(path)
            else:
                continue
            event.acceptProposedAction()
            return

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event) -> None:
        if not self.files.maybe_save("closing"):
            event.ignore()
            return
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("frame", self.frameGeometry())  # restored only where it fits
        self.settings.setValue("window_state", self.saveState())
        self._perf_timer.stop()
        self._close_workspace()
        if self.renderer is not None:
            self.renderer.close()
        super().closeEvent(event)
