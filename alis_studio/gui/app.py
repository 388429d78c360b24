"""The QApplication: theme, settings names, choosing the model to open, and the smoke test."""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication

from alis_studio.errors import UserError

ORGANIZATION, APPLICATION = "ALIS Studio", "alis-studio"
SMOKE_TIMEOUT_S = 120


def make_app(theme: bool = True) -> QApplication:
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    icon = app_icon()
    if icon is not None:
        app.setWindowIcon(icon)
    if theme:
        apply_theme(app)
    return app


def app_icon():
    from PySide6.QtGui import QIcon

    try:
        from alis_studio.assets import ASSETS
    except ImportError:
        return None
    path = ASSETS / "icon.png"
    return QIcon(str(path)) if path.is_file() else None


def apply_theme(app: QApplication) -> None:
    """qdarkstyle's dark theme; the app stays usable (Qt's own style) if it cannot load."""
    try:
        import qdarkstyle

        app.setStyleSheet(qdarkstyle.load_stylesheet(qt_api="pyside6"))
    except Exception as e:  # a cosmetic failure must not stop the app
        print(f"alis-studio: warning: dark theme unavailable ({e})", file=sys.stderr)


def choose_model(explicit: str | None, session_model: str | None, settings: QSettings) -> str | None:
    """The model to open: the one given, the session's, the bundled default, else the last one used."""
    from alis_studio.engine.bundle import resolve_model

    if explicit:
        return explicit
    from alis_studio.gui.files import is_file

    if session_model and is_file(session_model):
        return session_model
    try:
        return str(resolve_model(None))
    except (UserError, ImportError):
        pass
    last = settings.value("last_model")
    return str(last) if last and is_file(str(last)) else None


# the X11 libraries Qt's xcb platform plugin loads that minimal Linux images lack (Debian package names)
XCB_LIBRARIES = {"xcb-cursor": "libxcb-cursor0", "xcb-icccm": "libxcb-icccm4", "xcb-keysyms": "libxcb-keysyms1",
                 "xcb-image": "libxcb-image0", "xcb-render-util": "libxcb-render-util0", "xcb-shape": "libxcb-shape0",
                 "xkbcommon-x11": "libxkbcommon-x11-0"}


def check_window_libraries(env=os.environ, find_library=None) -> None:
    """On Linux under X11, name the missing system packages in one line instead of Qt's abort
    (whose message blames libxcb-cursor0 whatever is missing)."""
    if not sys.platform.startswith("linux") or env.get("QT_QPA_PLATFORM", "xcb") != "xcb" \
            or not env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return
    if find_library is None:
        from ctypes.util import find_library
    missing = [pkg for lib, pkg in XCB_LIBRARIES.items() if find_library(lib) is None]
    if missing:
        raise UserError(f"the app's window needs system libraries that are missing: {', '.join(missing)} "
                        f"(Debian/Ubuntu: sudo apt install {' '.join(missing)})")


def run_app(args: argparse.Namespace) -> int:
    from alis_studio.engine.bundle import read_meta
    from alis_studio.engine.scene import check_session_model, load_session
    from alis_studio.gui.main_window import MainWindow

    headless = sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if args.smoke_test and headless:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    check_window_libraries()
    session = None
    if args.session:
        session = (load_session(args.session), args.session)  # a bad file: one line on stderr, exit 2
    app = make_app()
    settings = QSettings()
    model = choose_model(args.model, session[0].model.get("path") if session else None, settings)
    if args.smoke_test and model is None:
        raise UserError("no model to open: pass MODEL.alis")
    if session is not None and model is not None:  # one line and exit 2, as render and export refuse it
        check_session_model(session[0].scene, args.session, read_meta(model)["w_dim"])
    window = MainWindow(settings, device=args.device)
    window.show()
    if args.smoke_test:
        return smoke_test(app, window, model, session)
    if model is not None:
        window.open_model(model, then_session=session)
    else:
        if session is not None:
            window.apply_session(*session)
        QTimer.singleShot(0, window.files.open_model_dialog)
    return app.exec()


def smoke_test(app: QApplication, window, model: str, session) -> int:
    """Open `model`, wait until the first full view is rendered and painted, print one line, exit 0."""
    window.interactive = False
    result, t0 = {"rc": 1}, time.perf_counter()

    def check():
        view = window.viewport
        if result["rc"] != 1 or view is None or not view.is_complete():
            return
        image = window.grab()
        if image.isNull():
            return
        p0, p1 = view.patch_range()
        print(f"smoke test ok: {window.bundle.path.name} on {window.bundle.device_name}, "
              f"{p1 - p0} patches in {time.perf_counter() - t0:.2f} s, window {image.width()}x{image.height()}")
        result["rc"] = 0
        app.quit()

    def installed(_bundle):
        window.viewport.view_complete.connect(check, type=Qt.ConnectionType.QueuedConnection)
        QTimer.singleShot(0, check)

    def failed(_message):
        result["rc"] = 2
        app.quit()

    def timeout():
        print(f"alis-studio: error: smoke test timed out after {SMOKE_TIMEOUT_S} s", file=sys.stderr)
        app.quit()

    window.model_installed.connect(installed)
    window.model_failed.connect(failed)
    QTimer.singleShot(SMOKE_TIMEOUT_S * 1000, timeout)
    window.open_model(model, then_session=session)
    app.exec()
    window.close()
    return result["rc"]
