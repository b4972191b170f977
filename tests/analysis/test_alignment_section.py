"""The report's alignment section: forced against learned on measured ground truth."""

import math
from types import SimpleNamespace

import pandas as pd

from voxgraft.analysis.alignment import alignment_errors


def _trials(**columns):
    base = {"trial_id": ["a", "b", "c"], "organs": ["cadence"] * 3, "alignment": ["forced", "learned", "learned"],
            "lr": [1e-4] * 3, "step": [40] * 3}
    return SimpleNamespace(trials=pd.DataFrame(base | columns))


def test_trials_show_the_error_of_the_path_they_trained_on():
    table = alignment_errors(_trials(mas_boundary_error_ms=[30.0, 25.0, math.nan], forced_boundary_error_ms=[4.0, 4.5, 4.0]))
    assert list(table["trial_id"]) == ["a", "b"]  # c measured nothing
    assert list(table["trained_on_ms"]) == [4.0, 25.0]


def test_no_section_without_measurements():
    assert alignment_errors(_trials(mas_boundary_error_ms=[math.nan] * 3, forced_boundary_error_ms=[math.nan] * 3)) is None
    assert alignment_errors(_trials()) is None
