"""A results store with an empty or truncated Parquet file: `report` and `pick` name the files
and exit 2 (one line, nothing written); with --skip-corrupt they read the rest."""

from pathlib import Path

import pytest

from tests.conftest import snapshot
from voxgraft.analysis import synthetic_store
from voxgraft.cli import main


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
    assert "2 file(s) are not readable Parquet (zz-000000001.parquet, zz-000000002.parquet)" in err and "--skip-corrupt" in err
    assert snapshot(tmp_path) == before


def test_skip_corrupt_reads_the_rest(damaged_sweep, capsys):
    assert main(["report", str(damaged_sweep), "--skip-corrupt"]) == 0
    assert (damaged_sweep / "report" / "index.html").exists()
