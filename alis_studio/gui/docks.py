"""The window's docks for exploring: seed browser, latent directions and performance. Each dock
keeps its place (saved with the window state); its content is rebuilt for each model, because it
renders through that model's renderer."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QLabel

from alis_studio.gui.directions_panel import DirectionsPanel
from alis_studio.gui.perf_panel import PerformancePanel
from alis_studio.gui.seed_browser import SeedBrowser

# name -> title; the order of the View menu
DOCKS = {"seeds": "Seed Browser", "directions": "Latent Directions", "performance": "Performance"}


class Docks:
    """Creates the docks on `window` (hidden until asked for) and fills them for each model."""

    def __init__(self, window):
        self.w = window
        self.docks: dict[str, QDockWidget] = {}
        for name, title in DOCKS.items():
            dock = QDockWidget(title, window, objectName=f"{name}-dock")
            dock.setWidget(QLabel("Open a model first.", alignment=Qt.AlignmentFlag.AlignCenter))
            window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
            dock.hide()
            self.docks[name] = dock
        window.tabifyDockWidget(self.docks["seeds"], self.docks["directions"])
        self.performance = PerformancePanel()
        self.performance.reload_requested.connect(window.reload_model)
        self.docks["performance"].setWidget(self.performance)
        self.seeds: SeedBrowser | None = None
        self.directions: DirectionsPanel | None = None

    def toggle_action(self, name: str):
        return self.docks[name].toggleViewAction()

    def rebuild(self) -> None:
        """New content for the current renderer, scene and timeline."""
        w = self.w
        self.close()
        self.seeds = SeedBrowser(w.scene, w.renderer, w.editor, w.timeline)
        self.directions = DirectionsPanel(w.scene, w.renderer, w.editor, w.timeline)
        for name, widget in (("seeds", self.seeds), ("directions", self.directions)):
            old = self.docks[name].widget()
            self.docks[name].setWidget(widget)
            if old is not None:
                old.deleteLater()
        self.performance.set_sources(w.renderer, w.viewport, w.bundle, w.threads)

    def close(self) -> None:
        for panel in (self.seeds, self.directions):
            if panel is not None:
                panel.close_view()
