"""A results store with an empty or truncated Parquet file, or a column of the wrong type:
`report` and `pick` name the files and exit 2 (one line, nothing written); with --skip-corrupt
they read the rest. Files the store did not write are left out and named (issue 34, case 8),
and a report while trials seal reads a whole listing, never a half-sealed one."""

import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import snapshot
from voxgraft.analysis import synthetic_store
from voxgraft.cli import main
from voxgraft.sweep.store import ResultsStore


@pytest.fixture
def damaged_sweep(tmp_path):
    sweep = tmp_path / "sweep"
    store = synthetic_store.build(sweep / "results", trials=6, reports=2)
    good = sorted(Path(store.root).glob("*.parquet"))[0]
    (Path(store.root) / "zz-000000001.parquet").write_bytes(b"")
    (Path(store.root) / "zz-000000002.parquet").write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    return sweep


@pytest.mark.parametrize("command", [["report"], ["pick"]])
def test_corrupt_store_files_are_named_and_refused(damaged_sweep, tmp_path, capsys, command):
    argv = command + [str(damaged_sweep)] + (["--export", str(tmp_path / "best")] if command == ["pick"] else [])
    before = snapshot(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert ("2 file(s) cannot be read (zz-000000001.parquet: not readable Parquet, zz-000000002.parquet: not readable Parquet)"
            in err and "--skip-corrupt" in err)
    assert snapshot(tmp_path) == before


def test_skip_corrupt_reads_the_rest(damaged_sweep, capsys):
    assert main(["report", str(damaged_sweep), "--skip-corrupt"]) == 0
    assert (damaged_sweep / "report" / "index.html").exists()


def test_a_metric_column_of_the_wrong_type_is_named_and_skippable(tmp_path, capsys):
    sweep = tmp_path / "sweep"
    store = synthetic_store.build(sweep / "results", trials=4, reports=2)
    wrong = pa.table({"sweep": ["synthetic"], "trial_id": ["t000001"], "step": [999], "heldout_loss": ["low"]})
    pq.write_table(wrong, Path(store.root) / "t000001-000000999.parquet")
    before = snapshot(tmp_path)
    assert main(["report", str(sweep)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "t000001-000000999.parquet: column heldout_loss is string, not double" in err
    assert snapshot(tmp_path) == before
    assert main(["report", str(sweep), "--skip-corrupt"]) == 0


def test_foreign_files_in_results_are_left_out_and_named(tmp_path, capsys):
    sweep = tmp_path / "sweep"
    store = synthetic_store.build(sweep / "results", trials=4, reports=2)
    rows = store.table().num_rows
    pq.write_table(pa.table({"speaker": ["me"], "minutes": [3.0]}), Path(store.root) / "notes-000000001.parquet")  # the store's naming
    pq.write_table(pa.table({"x": [1]}), Path(store.root) / "segment-mine.parquet")  # a name the store never writes
    assert ResultsStore(store.root).table().num_rows == rows  # no phantom all-null rows
    assert main(["report", str(sweep)]) == 0
    err = capsys.readouterr().err
    assert "holds 2 file(s) the results store did not write, left out: notes-000000001.parquet, segment-mine.parquet" in err


def test_a_read_while_trials_seal_sees_every_row_once(tmp_path):
    """Rows written and sealed (their files merged away) in one thread, the store read in another:
    every read is whole (no FileNotFoundError, no false 'not readable'), and rows only grow."""
    store = ResultsStore(str(tmp_path / "results"))
    trials, steps = 40, 3
    failures, counts = [], []

    def write_and_seal():
        for t in range(trials):
            for s in range(1, steps + 1):
                store.write({"sweep": "race", "trial_id": f"t{t:03d}", "step": s, "status": "running"})
            store.seal(f"t{t:03d}")

    store.write({"sweep": "race", "trial_id": "first", "step": 1, "status": "done"})  # the folder exists before the race
    writer = threading.Thread(target=write_and_seal)
    writer.start()
    while writer.is_alive():
        try:
            counts.append(ResultsStore(store.root).table().num_rows)
        except Exception as exc:  # noqa: BLE001 (what the test is for)
            failures.append(repr(exc))
    writer.join()
    assert failures == [] and counts == sorted(counts) and store.table().num_rows == trials * steps + 1
