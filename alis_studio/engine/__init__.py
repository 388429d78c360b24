"""The torch-free, Qt-free core shared by the GUI, the CLI and the exporters."""
from alis_studio.engine.bundle import ModelBundle, load_bundle
from alis_studio.engine.renderer import PatchKey, Renderer
from alis_studio.engine.scene import AnchorSpec, Scene

__all__ = ["AnchorSpec", "ModelBundle", "PatchKey", "Renderer", "Scene", "load_bundle"]
