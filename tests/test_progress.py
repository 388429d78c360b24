"""The CLI's progress bar: its ETA comes from the steady rate, not from start-up."""
import io

from alis_studio import progress


def test_eta_ignores_start_up_and_follows_the_steady_rate(monkeypatch):
    """A 200,000 px export once showed an ETA of 34:18 for a 1:51 job: the first batch (model load,
    ORT warm-up) was taken as the rate of the whole export."""
    clock = [100.0]
    monkeypatch.setattr(progress.time, "perf_counter", lambda: clock[0])
    out = io.StringIO()
    bar = progress.ProgressBar("export", "Mpx", 1.0, stream=out)
    clock[0] += 30.0  # 30 s of start-up before the first batch is reported
    bar(1, 100)
    assert out.getvalue().endswith("ETA -:--")  # no guess from one report
    clock[0] += 10.0
    bar(11, 100)  # then 1 unit/s
    assert out.getvalue().endswith("1.00 Mpx/s  ETA 1:29")  # 89 left at 1 a second, start-up not counted
    clock[0] += 89.0
    bar(100, 100)
    assert out.getvalue().endswith("in 2:09\n")


def test_an_open_bar_line_is_ended_before_an_error_line():
    """The CLI prints its error after `end_lines()`: on a line of its own, not after the bar's text."""
    out = io.StringIO()
    bar = progress.ProgressBar("export", stream=out)
    bar(3, 10)
    assert not out.getvalue().endswith("\n")
    progress.end_lines()
    assert out.getvalue().endswith("\n") and out.getvalue().count("\n") == 1
    progress.end_lines()  # nothing open any more: nothing written
    assert out.getvalue().count("\n") == 1
    bar(10, 10)  # a finished bar ends its own line
    progress.end_lines()
    assert out.getvalue().endswith("in 0:00\n") and out.getvalue().count("\n") == 2


def test_a_status_line_message_and_end():
    out = io.StringIO()
    line = progress.StatusLine(out)
    line.draw("train [##..] 1/2")
    line.message("snapshot at 1 kimg")  # a log line between two redraws: the bar's line is ended first
    assert out.getvalue() == "\rtrain [##..] 1/2\nsnapshot at 1 kimg\n"
    line.draw("train [####] 2/2")
    with line:  # a command's `with` ends it however the command stops
        pass
    assert out.getvalue().endswith("\rtrain [####] 2/2\n")
