"""Marked checkpoints: stored relative to the sweep folder, read back resolved, dropped from the
rows every rule reads; an edited list that points outside the folder marks nothing there."""

import json

import pandas as pd

from voxgraft.sweep.unusable import mark_unusable, unusable, without_unusable


def test_marks_travel_with_the_folder_and_drop_checkpoints(tmp_path):
    sweep = tmp_path / "sweep"
    (sweep / "t1" / "checkpoint_000001").mkdir(parents=True)
    mark_unusable(sweep, sweep / "t1" / "checkpoint_000001", "truncated")
    assert json.loads((sweep / "unusable_checkpoints.json").read_text()) == {"t1/checkpoint_000001": "truncated"}
    moved = sweep.rename(tmp_path / "moved")
    rows = pd.DataFrame({"checkpoint": [str(moved / "t1" / "checkpoint_000001"), str(moved / "t1" / "checkpoint_000002"), None]})
    kept = without_unusable(rows, moved)
    assert kept["checkpoint"].isna().tolist() == [True, False, True]
    assert kept["checkpoint"][1] == str(moved / "t1" / "checkpoint_000002")
    assert kept["checkpoint_problem"].tolist()[0] == "truncated" and kept["checkpoint_problem"].isna().tolist()[1:] == [True, True]


def test_an_entry_outside_the_folder_is_dropped_when_marking_again(tmp_path):
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "unusable_checkpoints.json").write_text(json.dumps({"../elsewhere": "edited by hand"}))
    mark_unusable(sweep, sweep / "t2", "unreadable")
    assert list(unusable(sweep).values()) == ["unreadable"]
    assert without_unusable(pd.DataFrame({"checkpoint": ["x"]}), tmp_path / "nowhere")["checkpoint"].tolist() == ["x"]
