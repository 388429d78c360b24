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
