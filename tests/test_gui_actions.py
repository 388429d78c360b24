"""The actions' slots are resolved when the window builds them (issue 30 item 1): a renamed slot
fails at start-up or here, not when a user clicks the action."""
from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtGui import QUndoStack  # noqa: E402
from PySide6.QtWidgets import QDockWidget, QMainWindow  # noqa: E402

from alis_studio.gui import actions  # noqa: E402
from alis_studio.gui.context import WindowContext  # noqa: E402
from alis_studio.gui.files import FileHandlers  # noqa: E402
from alis_studio.gui.viewport import PanoramaView  # noqa: E402

SPECS = [s for items in actions.MENUS.values() for s in items if isinstance(s, actions.Spec)]


def test_every_action_slot_resolves_to_a_callable(qtbot, window):
    targets = window.action_targets()
    for spec in SPECS:
        assert callable(actions.resolve(targets, spec.slot)), spec.slot
        assert window.acts[spec.name].objectName() == spec.name
    assert set(window.acts) >= {s.name for s in SPECS} | {"undo", "redo", "history", "seeds"}


@pytest.mark.parametrize("slot, words", [
    ("anchors.no_such_slot", "AnchorHandlers has no method 'no_such_slot'"),
    ("nowhere.close", "no target 'nowhere'"),
    ("viewport.no_such_slot", "PanoramaView has no method 'no_such_slot'"),  # checked before any model
    ("camera.width", "Camera has no method 'width'"),  # an attribute, not a method
])
def test_a_wrong_slot_fails_when_the_actions_are_built(qtbot, window, slot, words):
    main = QMainWindow()
    qtbot.addWidget(main)
    menus = {"&Test": [actions.Spec("bad", "Bad", (), slot)]}
    with pytest.raises(LookupError, match=words):
        actions.build(main, window.action_targets(), QUndoStack(main), window.docks, QDockWidget(main), menus)
    assert main.menuBar().actions() == []  # nothing half-built


def test_a_per_model_slot_does_nothing_before_a_model_then_acts_on_the_current_one(qtbot, window):
    current = []
    fire = actions.resolve({"viewport": actions.PerModel(PanoramaView, lambda: current[0] if current else None)},
                           "viewport.go_to_origin")
    fire()  # no model yet: nothing to do, no error
    window.camera.pan_pixels(-500)
    assert window.camera.center_x() != pytest.approx(0, abs=1)
    current.append(window.viewport)
    fire()
    assert window.camera.center_x() == pytest.approx(0, abs=1)


def test_the_file_handlers_refuse_a_window_without_a_session_method(qtbot, window):
    class Host:
        session_path, interactive, view_saved = None, True, None

        def open_model(self, path, then_session=None): ...
        def apply_session(self, session, path): ...
        def update_title(self, *_args): ...

    with pytest.raises(TypeError, match="the window lacks remember_session"):
        FileHandlers(window.context, Host())


def test_the_handlers_and_docks_are_given_the_context(qtbot, window):
    ctx = window.context
    assert isinstance(ctx, WindowContext)
    assert window.anchors.c is ctx and window.files.c is ctx and window.docks.c is ctx
    assert ctx.renderer() is window.renderer and ctx.viewport() is window.viewport and ctx.ready()
    with pytest.raises(AttributeError):
        ctx.scene = None  # frozen: built once
