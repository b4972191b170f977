"""Progress in a log (stdout not a terminal) is plain lines: one when a task finishes, and at
most one per interval before."""

from voxgraft.console import LineProgress, progress_bar


def test_a_log_gets_progress_lines_not_a_live_bar(capsys, monkeypatch):
    bar = progress_bar()
    assert isinstance(bar, LineProgress)  # pytest's stderr is not a terminal
    clock = iter([0.0, 1.0, 20.0, 21.0, 22.0, 23.0])
    monkeypatch.setattr("voxgraft.console.time.monotonic", lambda: next(clock))
    with bar:
        task = bar.add_task("pretraining", total=10)
        bar.update(task, completed=1)  # 1 s in: too soon for a line
        bar.update(task, completed=5)  # 20 s: a line
        bar.update(task, completed=6)  # 21 s: too soon again
        bar.update(task, completed=10)  # done: a line
        bar.update(task, completed=10)  # and only one
    assert capsys.readouterr().err.splitlines() == ["pretraining: 5/10 (20 s)", "pretraining: 10/10 (22 s)"]
