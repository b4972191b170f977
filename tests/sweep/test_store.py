"""The Parquet results store: one row per (trial, step), replaced not duplicated, readable by others."""

from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds

from voxgraft.sweep.store import SCHEMA, ResultsStore, report_row


def _result(step, loss, **extra):
    config = {"organs": "cadence", "lr": 1e-4, "alignment": "forced", "batch_size": 4, "steps": 20, "eval_every": 10}
    return {"step": step, "training_iteration": step // 10, "heldout_loss": loss, "config": config, **extra}


def test_rows_are_keyed_by_trial_and_step(tmp_path):
    store = ResultsStore(tmp_path / "results")
    store.write(report_row("s", "t1", _result(10, 0.5)))
    store.write(report_row("s", "t1", _result(20, 0.4)))
    store.write(report_row("s", "t2", _result(10, 0.7)))
    store.write(report_row("s", "t1", _result(10, 0.45, status="done")))  # replayed after a resume
    table = store.table()
    assert table.num_rows == 3
    rows = {(r["trial_id"], r["step"]): r for r in table.to_pylist()}
    assert rows[("t1", 10)]["heldout_loss"] == 0.45 and rows[("t1", 10)]["status"] == "done"
    assert rows[("t1", 20)]["config.organs"] == "cadence" and rows[("t1", 20)]["config.lr"] == 1e-4


def test_other_tools_read_the_directory(tmp_path):
    store = ResultsStore(tmp_path / "results")
    for step in (10, 20, 30):
        store.write(report_row("s", "t1", _result(step, 1.0 / step)))
    (tmp_path / "results" / ".t1-000000040.parquet.123.tmp").write_bytes(b"half-written")  # ignored
    frame = pd.read_parquet(tmp_path / "results")
    assert sorted(frame["step"]) == [10, 20, 30]
    dataset = ds.dataset(str(tmp_path / "results"), format="parquet")
    assert dataset.schema.equals(SCHEMA) and dataset.count_rows() == 3


def test_unknown_metrics_are_not_columns_and_infinities_become_null(tmp_path):
    store = ResultsStore(tmp_path / "results")
    store.write(report_row("s", "t1", _result(10, float("inf"), surprise=3)))
    row = store.table().to_pylist()[0]
    assert row["heldout_loss"] is None and "surprise" not in row
    assert ResultsStore(tmp_path / "nothing").table().num_rows == 0


def test_a_finished_trial_is_sealed_into_one_file_and_reads_the_same(tmp_path):
    store = ResultsStore(tmp_path / "results")
    for step in (10, 20, 30):
        store.write(report_row("s", "t1", _result(step, 1.0 / step)))
    store.write(report_row("s", "t2", _result(10, 0.7)))
    before = store.table().to_pylist()
    store.seal("t1")
    assert sorted(p.name for p in Path(store.root).iterdir()) == ["t1.trial.parquet", "t2-000000010.parquet"]
    assert store.table().to_pylist() == before
    assert store.read_row("t1", 20)["heldout_loss"] == 0.05 and store.read_row("t1", 40) is None
    assert store.seal("t1") is None  # nothing loose left to seal


def test_a_row_rewritten_after_sealing_wins_and_a_crash_mid_seal_loses_nothing(tmp_path):
    store = ResultsStore(tmp_path / "results")
    for step in (10, 20):
        store.write(report_row("s", "t1", _result(step, 1.0)))
    store.seal("t1")
    store.write(report_row("s", "t1", _result(20, 0.25, status="done")))  # the trial resumed and re-reported
    store.write(report_row("s", "t1", _result(30, 0.2)))
    rows = {r["step"]: r for r in store.table().to_pylist()}
    assert len(rows) == 3 and rows[20]["heldout_loss"] == 0.25 and rows[20]["status"] == "done"
    store.seal("t1")  # and sealing again keeps the newer copy
    rows = {r["step"]: r for r in store.table().to_pylist()}
    assert [rows[s]["heldout_loss"] for s in (10, 20, 30)] == [1.0, 0.25, 0.2]
    assert [p.name for p in Path(store.root).iterdir()] == ["t1.trial.parquet"]


def test_sealed_trials_are_merged_into_segments_and_read_the_same(tmp_path):
    store = ResultsStore(tmp_path / "results")
    for t in range(5):
        for step in (10, 20):
            store.write(report_row("s", f"t{t}", _result(step, t + step / 100)))
    before = store.table().to_pylist()
    for t in range(5):
        store.seal(f"t{t}")
    assert store.compact(min_trials=3) is not None
    names = sorted(p.name for p in Path(store.root).iterdir())
    assert len(names) == 1 and names[0].startswith("segment-")
    assert store.table().to_pylist() == before
    assert store.read_row("t3", 20)["heldout_loss"] == 3.2
    store.write(report_row("s", "t3", _result(20, 9.0)))  # t3 resumed after compaction: the newer row wins
    store.seal("t3")
    assert {(r["trial_id"], r["step"]): r["heldout_loss"] for r in store.table().to_pylist()}[("t3", 20)] == 9.0
    assert store.table().num_rows == 10
