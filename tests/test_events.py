"""One observer for every engine model (issue 30 item 6): Scene, Camera and Selection share
engine/events.py's Observable, so they follow the same rules."""
import pytest

from alis_studio.engine.camera import Camera
from alis_studio.engine.events import Observable
from alis_studio.engine.scene import Scene
from alis_studio.engine.selection import Selection

def _camera():
    c = Camera(height=32, width=320, screen_height=120)
    c.set(x0=5.0, scale=1.0, fit=False)  # settled: a zero pan is then a no-op
    return c


# (make the model, a real change (a fresh one each call), a no-op)
MODELS = {
    "scene": (lambda: Scene(seed=1, psi=0.7), lambda m, i: m.set_psi(0.1 + i / 10), lambda m: m.set_psi(m.psi)),
    "camera": (_camera, lambda m, i: m.pan_pixels(10 + i), lambda m: m.pan_pixels(0)),
    "selection": (Selection, lambda m, i: m.select(i), lambda m: m.select(m.anchor)),
}


@pytest.fixture(params=sorted(MODELS))
def model(request):
    make, change, noop = MODELS[request.param]
    return make(), change, noop


def test_every_model_is_the_one_observable(model):
    assert isinstance(model[0], Observable)


def test_callbacks_get_the_model_once_per_real_change_and_never_for_a_no_op(model):
    m, change, noop = model
    heard = []
    m.subscribe(heard.append)
    assert not noop(m)
    assert heard == []
    assert change(m, 1) and change(m, 2)
    assert heard == [m, m]
    assert not noop(m)
    assert len(heard) == 2


def test_unsubscribe_twice_or_unknown_is_harmless(model):
    m, change, _ = model
    heard = []
    m.unsubscribe(heard.append)  # never subscribed
    fn = heard.append
    m.subscribe(fn)
    m.unsubscribe(fn)
    m.unsubscribe(fn)
    change(m, 1)
    assert heard == []


def test_a_callback_may_unsubscribe_itself_and_the_round_still_reaches_everyone(model):
    m, change, _ = model
    heard = []

    def once(obj):
        heard.append("once")
        obj.unsubscribe(once)
        obj.unsubscribe(later)  # removed mid-round: still called this round, not the next

    def later(obj):
        heard.append("later")
    m.subscribe(once)
    m.subscribe(later)
    change(m, 1)
    change(m, 2)
    assert heard == ["once", "later"]


class _Pair(Observable):
    def __init__(self):
        super().__init__()
        self.a = self.b = 0

    def _state(self):
        return self.a, self.b

    def set_a(self, v):
        return self._apply(lambda: setattr(self, "a", v))

    def set_both(self, a, b):
        def apply():
            self.set_a(a)
            self.b = b
        return self._apply(apply)

    def fail_after(self, a):
        def apply():
            self.a = a
            raise ValueError("bad")
        return self._apply(apply)


def test_a_compound_change_notifies_once_with_the_final_state_and_reports_its_outcome():
    p, heard = _Pair(), []
    p.subscribe(lambda obj: heard.append(obj._state()))
    assert p.set_both(1, 2)
    assert heard == [(1, 2)]
    assert not p.set_both(1, 2)  # inner and outer both no-ops
    assert p.set_both(5, 2) and heard == [(1, 2), (5, 2)]
    assert not p.set_both(5, 2)


def test_a_change_that_raises_notifies_nothing_and_later_ones_still_do():
    p, heard = _Pair(), []
    p.subscribe(heard.append)
    with pytest.raises(ValueError, match="bad"):
        p.fail_after(3)
    assert heard == []
    assert p.set_a(4) and heard == [p]  # the batch depth was restored


def test_scene_move_and_restore_are_one_notification_each():
    s, heard = Scene(seed=3), []
    before = s.to_dict()
    s.subscribe(lambda sc: heard.append(sc.to_dict()))
    assert s.move(2, 6)
    assert heard == [s.to_dict()]
    assert s.restore(before) and heard[-1] == before and len(heard) == 2
    assert not s.restore(before)
    with pytest.raises(ValueError, match="unknown edit kind"):
        s.restore({**before, "edits": [("twist", 1)]})
    assert len(heard) == 2
