"""`voxgraft report --optuna-storage`: the planted-effects store as an Optuna study that Optuna
reads back trial for trial and optuna-dashboard serves; a study voxgraft did not write is never
replaced."""

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import optuna
import pytest

from voxgraft.analysis import synthetic_store
from voxgraft.cli import main
from voxgraft.sweep.store import ResultsStore

TRIALS, REPORTS = 28, 4


@pytest.fixture
def planted(tmp_path) -> Path:
    sweep_dir = tmp_path / "planted"
    synthetic_store.build(sweep_dir / "results", TRIALS, REPORTS)
    return sweep_dir


def _add_failed_and_stopped(sweep_dir: Path) -> None:
    """Two more trials like the first: one rejected at its last report, one the scheduler stopped."""
    store = ResultsStore(sweep_dir / "results")
    rows = [r for r in store.table().to_pylist() if r["trial_id"] == "t000000"]
    for trial_id, last in (("rejected", {"status": "rejected", "rejected": True}), ("stopped", {"status": "stopped"})):
        store.write_sealed([{**r, "trial_id": trial_id, **(last if r["step"] == rows[-1]["step"] else {})} for r in rows])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def test_the_study_holds_every_trial_with_its_factors_values_and_reports(planted, tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'sweeps.db'}"
    _add_failed_and_stopped(planted)
    for _ in range(2):  # writing again replaces voxgraft's own study
        assert main(["report", str(planted), "--optuna-storage", url]) == 0
    assert f"Optuna study 'planted' in {url}" in capsys.readouterr().out
    study = optuna.load_study(study_name="planted", storage=url)
    trials = study.get_trials()
    states = {t.user_attrs["trial_id"]: t.state for t in trials}
    assert len(trials) == TRIALS + 2 and states.pop("rejected") == optuna.trial.TrialState.FAIL
    assert states.pop("stopped") == optuna.trial.TrialState.PRUNED and set(states.values()) == {optuna.trial.TrialState.COMPLETE}
    assert study.best_trial.user_attrs["trial_id"] not in ("rejected", "stopped")
    assert study.metric_names == ["heldout_loss"] and study.direction == optuna.study.StudyDirection.MINIMIZE
    first = next(t for t in trials if t.user_attrs["trial_id"] == "t000000")
    assert set(first.params) == {"organs", "alignment", "lr"} and first.params["organs"] == "decoder"
    assert sorted(first.intermediate_values) == [100 * r for r in range(1, REPORTS + 1)]
    assert first.value == pytest.approx(first.intermediate_values[100 * REPORTS])
    assert {"wer", "dnsmos_ovrl"} <= set(first.user_attrs) and 0 < first.user_attrs["wer"] < 0.3  # what the judges heard


def test_optuna_dashboard_serves_the_study(planted, tmp_path):
    url = f"sqlite:///{tmp_path / 'sweeps.db'}"
    assert main(["report", str(planted), "--optuna-storage", url]) == 0
    port = _free_port()
    dashboard = Path(sys.executable).with_name("optuna-dashboard")
    server = subprocess.Popen([str(dashboard), url, "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while True:
            try:
                studies = _get(f"http://127.0.0.1:{port}/api/studies")["study_summaries"]
                break
            except OSError:
                assert time.time() < deadline and server.poll() is None, "optuna-dashboard did not start"
                time.sleep(0.3)
        [summary] = [s for s in studies if s["study_name"] == "planted"]
        detail = _get(f"http://127.0.0.1:{port}/api/studies/{summary['study_id']}")
        assert len(detail["trials"]) == TRIALS
        assert {a["key"] for a in detail["trials"][0]["user_attrs"]} >= {"trial_id", "checkpoint", "samples"}
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_study_voxgraft_did_not_write_is_left_alone(planted, tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'theirs.db'}"
    theirs = optuna.create_study(study_name="planted", storage=url)
    theirs.add_trial(optuna.trial.create_trial(value=1.0))
    assert main(["report", str(planted), "--optuna-storage", url]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"error: {url} already holds a study named 'planted' that voxgraft did not write; "
                   "give another --optuna-storage")
    assert len(optuna.load_study(study_name="planted", storage=url).get_trials()) == 1
