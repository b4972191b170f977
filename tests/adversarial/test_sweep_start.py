"""Starting a sweep: storage that is a file is refused with one line; a start that failed before
its trials ran (Ray unreachable) leaves nothing that blocks a rerun; a folder holding someone
else's files is never taken over."""

import pytest
import yaml

from tests.conftest import snapshot
from tests.sweep.test_sweep import _sweep_data
from voxgraft.cli import main
from voxgraft.sweep.prepare import SweepError


def _write(tmp_path, data):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_storage_that_is_a_file_is_refused(tiny_recipient, corpora, tmp_path, capsys):
    (tmp_path / "store").write_text("not a folder")
    path = _write(tmp_path, _sweep_data(tiny_recipient, corpora, tmp_path / "store"))
    before = snapshot(tmp_path)
    assert main(["sweep", path]) == 2
    assert capsys.readouterr().err.strip() == f"error: storage {tmp_path / 'store'} is a file, not a folder"
    assert snapshot(tmp_path) == before


def test_a_start_that_failed_before_its_trials_can_be_rerun_as_is(tiny_recipient, corpora, tmp_path, capsys, monkeypatch):
    attempts = []

    def unreachable(address):
        attempts.append(address)
        raise SweepError(f"cannot start or reach Ray at {address}: connection refused")

    monkeypatch.setattr("voxgraft.sweep.run._init_ray", unreachable)
    path = _write(tmp_path, _sweep_data(tiny_recipient, corpora, tmp_path / "sweeps"))
    for _ in range(2):
        assert main(["sweep", path, "--address", "127.0.0.1:1"]) == 2
        assert capsys.readouterr().err.strip() == "error: cannot start or reach Ray at 127.0.0.1:1: connection refused"
    assert attempts == ["127.0.0.1:1", "127.0.0.1:1"]  # the second start was not refused as "already holds a sweep"
    (tmp_path / "sweeps" / "tiny" / "notes.txt").write_text("someone else's")
    before = snapshot(tmp_path)
    assert main(["sweep", path]) == 2
    assert "holds files that are not a voxgraft sweep" in capsys.readouterr().err
    assert snapshot(tmp_path) == before and len(attempts) == 2


def test_resources_no_node_can_offer_are_refused_before_anything(tiny_recipient, corpora, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("voxgraft.sweep.run._init_ray", lambda address: pytest.fail("Ray must not start"))
    data = _sweep_data(tiny_recipient, corpora, tmp_path / "sweeps", resources={"cpu": 1000})
    path = _write(tmp_path, data)
    before = snapshot(tmp_path)
    assert main(["sweep", path]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: resources: a trial asks for 1000 CPU and 0 GPU, but no node of this machine has that")
    assert len(err.splitlines()) == 1 and snapshot(tmp_path) == before
