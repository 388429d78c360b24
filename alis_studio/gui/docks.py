"""The window's docks for exploring: seed browser, latent directions and performance. Each dock
keeps its place (saved with the window state); its content is rebuilt for each model, because it
renders through that model's renderer. The content scrolls inside its dock, so opening docks never
makes the window grow past the screen; showing a dock that shares a tab with another brings it to
the front."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QFrame, QLabel, QMainWindow, QScrollArea, QWidget

from alis_studio.gui.context import WindowContext
from alis_studio.gui.directions_panel import DirectionsPanel
from alis_studio.gui.perf_panel import PerformancePanel
from alis_studio.gui.seed_browser import SeedBrowser

# name -> title; the order of the View menu
DOCKS = {"seeds": "Seed Browser", "directions": "Latent Directions", "performance": "Performance"}


class Docks:
    """Creates the docks on `window` (hidden until asked for; the window only places them) and fills
    them for each model from `ctx`; the performance panel's reload asks `reload_model(device, threads)`."""

    def __init__(self, window: QMainWindow, ctx: WindowContext, reload_model: Callable[[str, int], None]):
        self.c, self._window = ctx, window
        self.docks: dict[str, QDockWidget] = {}
        self._scrolls: dict[str, QScrollArea] = {}
        self._actions: dict[str, QAction] = {}
        for name, title in DOCKS.items():
            dock = QDockWidget(title, window, objectName=f"{name}-dock")
            scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
            scroll.setWidget(QLabel("Open a model first.", alignment=Qt.AlignmentFlag.AlignCenter))
            dock.setWidget(scroll)
            window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
            dock.hide()
            self.docks[name], self._scrolls[name] = dock, scroll
        window.tabifyDockWidget(self.docks["seeds"], self.docks["directions"])
        self.performance = PerformancePanel()
        self.performance.reload_requested.connect(reload_model)
        self._set_content("performance", self.performance)
        self.seeds: SeedBrowser | None = None
        self.directions: DirectionsPanel | None = None

    def panel(self, name: str) -> QWidget:
        """The content of dock `name` (inside its scroll area)."""
        return self._scrolls[name].widget()

    def _set_content(self, name: str, widget: QWidget) -> None:
        old = self._scrolls[name].takeWidget()
        self._scrolls[name].setWidget(widget)
        if old is not None:
            old.deleteLater()

    # ------------------------------------------------------------------ showing and hiding
    def toggle_action(self, name: str) -> QAction:
        """A checkable action (the View menu's): shows the dock in front, hides it when it is in
        front, brings it forward when it is open behind another dock's tab."""
        if name not in self._actions:
            dock = self.docks[name]
            action = QAction(dock.windowTitle(), self._window, checkable=True)
            action.triggered.connect(lambda _checked=False, n=name: self.toggle(n))
            dock.visibilityChanged.connect(lambda _visible, d=dock, a=action: a.setChecked(not d.isHidden()))
            self._actions[name] = action
        return self._actions[name]

    def in_front(self, name: str) -> bool:
        dock = self.docks[name]
        return dock.isVisible() and not dock.visibleRegion().isEmpty()

    def toggle(self, name: str) -> None:
        dock = self.docks[name]
        if dock.isHidden():
            dock.show()
            dock.raise_()  # a tab behind another comes to the front
        elif not self.in_front(name):
            dock.raise_()
        else:
            dock.hide()
        self._actions[name].setChecked(not dock.isHidden())

    # ------------------------------------------------------------------ per model
    def rebuild(self, threads: int) -> None:
        """New content for the current renderer (ONNX Runtime's `threads`: the performance panel's)."""
        c = self.c
        self.close()
        self.seeds = SeedBrowser(c.scene, c.renderer(), c.editor, c.selection)
        self.seeds.editing_done.connect(lambda: c.viewport() is not None and c.viewport().setFocus())
        self.directions = DirectionsPanel(c.scene, c.renderer(), c.editor, c.selection)
        self._set_content("seeds", self.seeds)
        self._set_content("directions", self.directions)
        self.performance.set_sources(c.renderer(), c.viewport(), c.bundle(), threads)

    def close(self) -> None:
        for panel in (self.seeds, self.directions):
            if panel is not None:
                panel.close_view()
