"""The desktop app (PySide6): main window, panorama viewport, anchor timeline, controls, undo stack.

Widgets take the scene and the renderer in their constructor, write back only through undoable
commands on the scene's public methods (`gui.commands.SceneEditor`), and never call ONNX Runtime:
every pixel comes from the engine's renderer, rendered on its worker threads.
"""
