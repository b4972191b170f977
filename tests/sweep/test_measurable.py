"""A sweep whose objective its donor cannot produce is one line, exit 2, before Ray starts and
with nothing written to its storage."""

import shutil

import yaml

from tests.sweep.test_sweep import _sweep_data
from voxgraft.cli import main


def _refused(path, data, tmp_path, capsys, monkeypatch) -> str:
    """Runs the sweep file; returns its one error line (Ray never started, storage untouched)."""
    started = []
    monkeypatch.setattr("voxgraft.sweep.run._init_ray", lambda address: started.append(address))
    path.write_text(yaml.safe_dump(data))
    assert main(["sweep", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert started == [] and not (tmp_path / "sweeps").exists()
    assert len(err.splitlines()) == 1
    return err


def _learned_on_unaligned_donor(tiny_recipient, corpora, tmp_path, objective: dict) -> dict:
    donor = tmp_path / "unaligned"
    shutil.copytree(corpora["cadence_donor"], donor, ignore=shutil.ignore_patterns(".voxgraft_cache", "alignments.parquet"))
    data = _sweep_data(tiny_recipient, corpora, tmp_path / "sweeps", donor=str(donor), objectives=[objective])
    data["search"]["alignment"] = ["learned"]
    return data


def test_a_duration_objective_without_donor_alignments_is_refused(tiny_recipient, corpora, tmp_path, capsys, monkeypatch):
    data = _learned_on_unaligned_donor(tiny_recipient, corpora, tmp_path, {"metric": "heldout_duration_mae", "mode": "min"})
    err = _refused(tmp_path / "s.yaml", data, tmp_path, capsys, monkeypatch)
    assert "objective heldout_duration_mae needs the donor's alignments" in err and "voxgraft corpus align" in err


def test_cadence_transfer_of_an_unaligned_donor_on_a_collapsed_mas_path_is_refused(tiny_recipient, corpora, tmp_path, capsys, monkeypatch):
    """The backwards transplant's sweep: no donor alignments, and MAS on the tiny recipient
    collapses, so the donor's cadence cannot be measured and transfer_cadence would be NaN."""
    data = _learned_on_unaligned_donor(tiny_recipient, corpora, tmp_path, {"metric": "transfer_cadence", "mode": "max"})
    err = _refused(tmp_path / "s.yaml", data, tmp_path, capsys, monkeypatch)
    assert err.startswith("error: objective transfer_cadence cannot be measured for this donor")
    assert "voxgraft corpus align" in err
