"""The selection model (issue 30 item 1): plain, evented on real change only, no Qt."""
from alis_studio.engine.selection import Selection


def test_selection_fires_once_per_real_change():
    s, heard = Selection(), []
    s.subscribe(lambda sel: heard.append(sel.anchor))
    assert s.anchor is None
    assert s.select(3) and s.anchor == 3
    assert not s.select(3)  # a no-op is silent
    assert s.select(-2) and s.select(None)
    assert heard == [3, -2, None]


def test_unsubscribe_stops_the_calls_and_twice_is_harmless():
    s, heard = Selection(1), []
    fn = heard.append
    s.subscribe(fn)
    s.unsubscribe(fn)
    s.unsubscribe(fn)
    s.select(2)
    assert heard == [] and s.anchor == 2


def test_a_callback_may_unsubscribe_itself_while_others_still_hear():
    s, heard = Selection(), []

    def once(sel):
        heard.append("once")
        sel.unsubscribe(once)
    s.subscribe(once)
    s.subscribe(lambda sel: heard.append(sel.anchor))
    s.select(5)
    s.select(6)
    assert heard == ["once", 5, 6]

