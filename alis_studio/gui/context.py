"""What the window's handlers, docks and actions are given instead of the window: the models it
keeps for its whole life, getters for the current model's parts (rebuilt with each model), and the
window's services (status messages, error reports). The window builds one at start-up."""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QUndoStack
    from PySide6.QtWidgets import QWidget

    from alis_studio.engine.bundle import ModelBundle
    from alis_studio.engine.camera import Camera
    from alis_studio.engine.renderer import Renderer
    from alis_studio.engine.scene import Scene
    from alis_studio.engine.selection import Selection
    from alis_studio.gui.commands import SceneEditor
    from alis_studio.gui.controls import SceneControls
    from alis_studio.gui.viewport import PanoramaView


@dataclasses.dataclass(frozen=True)
class WindowContext:
    scene: Scene
    camera: Camera
    selection: Selection
    editor: SceneEditor  # every scene edit goes through it (undoable)
    stack: QUndoStack
    settings: QSettings
    parent: QWidget  # the parent of dialogs, nothing else
    bundle: Callable[[], ModelBundle | None]  # the current model's parts; None before the first model
    renderer: Callable[[], Renderer | None]
    viewport: Callable[[], PanoramaView | None]
    controls: Callable[[], SceneControls | None]
    status: Callable[[str, int], None]  # a status-bar message for `ms` milliseconds (0: until the next)
    report_error: Callable[[str, str], None]  # (title, one-line reason): a dialog, or stderr

    def ready(self) -> bool:
        """Whether a model is shown (its viewport and timeline exist)."""
        return self.viewport() is not None
