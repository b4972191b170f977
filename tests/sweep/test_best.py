"""The one best rule (sweep/best.py) on rows whose answer is known."""

import math

import pandas as pd

from voxgraft.sweep.best import best, eligible, ranked


def _rows(tmp_path, spec):
    """spec: (trial, step, status, rejected, loss, kept checkpoint?) per report."""
    rows = []
    for trial, step, status, rejected, loss, kept in spec:
        checkpoint = tmp_path / trial / f"checkpoint_{step}"
        if kept:
            (checkpoint / "transplant").mkdir(parents=True)
        rows.append({"trial_id": trial, "step": step, "status": status, "rejected": rejected,
                     "heldout_loss": loss, "checkpoint": str(checkpoint)})
    return pd.DataFrame(rows)


def test_each_trial_competes_with_its_best_eligible_report(tmp_path):
    rows = _rows(tmp_path, [
        ("a", 2, "running", False, 0.5, True),
        ("a", 4, "done", False, 0.3, True),
        ("b", 2, "running", False, 0.1, False),   # the lowest loss, but Tune pruned its checkpoint
        ("b", 4, "done", False, 0.4, True),
        ("c", 2, "running", True, 0.05, True),    # rejected report
        ("c", 4, "done", False, 0.35, True),
        ("d", 2, "running", False, 0.01, True),   # a trial that later failed
        ("d", 3, "error", None, math.nan, False),
        ("e", 2, "running", False, math.nan, True),  # not measured
    ])
    top = ranked(rows, "heldout_loss", "min")
    assert list(zip(top["trial_id"], top["step"])) == [("a", 4), ("c", 4), ("b", 4)]
    assert best(rows, "heldout_loss", "min")["trial_id"] == "a"
    by_max = ranked(rows, "heldout_loss", "max")
    assert list(zip(by_max["trial_id"], by_max["step"])) == [("a", 2), ("b", 4), ("c", 4)]
    assert "d" not in set(eligible(rows)["trial_id"])


def test_nothing_eligible_is_none_not_an_error(tmp_path):
    rows = _rows(tmp_path, [("a", 3, "error", None, math.nan, False)])
    assert best(rows, "heldout_loss", "min") is None
    assert ranked(rows, "heldout_loss", "min").empty
