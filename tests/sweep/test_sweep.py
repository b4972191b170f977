"""Real (tiny) sweeps on Ray Tune: the store holds exactly what the trials reported; a sweep
whose driver is SIGKILLed resumes with nothing lost or duplicated."""

import importlib.util
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from voxgraft.cli import main
from voxgraft.search_spaces.schema import parse_sweep
from voxgraft.sweep.run import SweepError, resume_sweep, run_sweep
from voxgraft.sweep.store import ResultsStore


def _sweep_data(tiny_recipient, corpora, storage, **changes):
    model_dir, _, _ = tiny_recipient
    data = {
        "name": "tiny",
        "recipient": str(model_dir),
        "donor": str(corpora["cadence_donor"]),
        "eval": {"heldout": 4, "judges": False},  # the sweep mechanics; the judges are tested in test_pick and test_judged_sweep
        "search": {"organs": ["cadence", "decoder"], "lr": [1e-4, 1e-3], "alignment": ["forced"],
                   "batch_size": 4, "steps": 4, "eval_every": 2, "fixed": {"segment_frames": 8}},
        "searcher": "grid",
        "scheduler": {"type": "asha", "grace_period": 1, "reduction_factor": 2},
        "objectives": [{"metric": "heldout_loss", "mode": "min"}],
        "resources": {"cpu": 1},
        "storage": str(storage),
    }
    data.update(changes)
    return data


def test_a_real_sweep_stores_every_report_row_for_row(local_ray, tiny_recipient, corpora, tmp_path):
    outcome = run_sweep(parse_sweep(_sweep_data(tiny_recipient, corpora, tmp_path / "sweeps")))
    reported = set()
    for result in outcome.results:
        assert result.error is None
        for _, r in result.metrics_dataframe.iterrows():
            reported.add((result.metrics["trial_id"], int(r["step"]), round(float(r["heldout_loss"]), 6)))
    stored = {(r["trial_id"], r["step"], round(r["heldout_loss"], 6)) for r in ResultsStore(outcome.results_dir).trials().to_pylist()}
    assert stored == reported and len(reported) >= 4  # 4 trials, at least one report each
    rows = ResultsStore(outcome.results_dir).trials().to_pylist()
    assert {r["config.organs"] for r in rows} == {"cadence", "decoder"}
    assert all(r["checkpoint"] and os.path.isdir(r["checkpoint"]) for r in rows if r["status"] in ("done", "stopped"))
    assert all(r["peak_memory_mb"] > 0 for r in rows)
    # optimizer and discriminator state (hundreds of MB on a real voice) only where a trial could go on training
    assert {os.path.exists(os.path.join(r["checkpoint"], "trainer.pt")) for r in rows if r["step"] == 4} == {False}
    assert {os.path.exists(os.path.join(r["checkpoint"], "trainer.pt")) for r in rows if r["step"] == 2} == {True}
    assert {r["status"] for r in rows} <= {"running", "done", "stopped"}
    assert outcome.best is not None and outcome.best["status"] in ("done", "stopped", "running")
    # a transplant checkpoint holds only the trained organs
    cadence = [r for r in rows if r["config.organs"] == "cadence" and r["checkpoint"]][0]
    assert sorted(os.listdir(os.path.join(cadence["checkpoint"], "transplant"))) == ["organs.safetensors", "symbols.json", "transplant.json"]
    # every evaluation measured, normalized and judged the transplant, and left its speech
    heldout_ids = [p.stem for p in sorted((corpora["cadence_donor"] / "wavs").glob("*.wav"))][-4:]
    for row in rows:
        for metric in ("speaking_rate", "pause_share", "speaker_sim_donor", "speaker_sim_recipient", "f0_median",
                       "mcd", "duration_drift", "speaker_drift", "rejection_score", "transfer_speaking_rate"):
            assert row[metric] is not None and math.isfinite(row[metric]), (metric, row)
        assert row["rejected"] is False
    assert sorted(p.stem for p in (Path(cadence["checkpoint"]) / "samples").glob("*.wav")) == heldout_ids
    references = Path(outcome.results_dir).parent / "references"
    for who in ("recipient", "donor"):
        assert sorted(p.stem for p in (references / who).glob("*.wav")) == heldout_ids
    anchors = json.loads((references / "anchors.json").read_text())
    assert anchors["donor"]["speaking_rate"] < anchors["recipient"]["speaking_rate"]  # the slow donor
    with pytest.raises(SweepError, match="already holds a sweep"):
        run_sweep(parse_sweep(_sweep_data(tiny_recipient, corpora, tmp_path / "sweeps")))


def test_optuna_searcher_runs_and_cli_reports_the_best(local_ray, tiny_recipient, corpora, tmp_path, capsys):
    data = _sweep_data(tiny_recipient, corpora, tmp_path / "sweeps", searcher="optuna", num_samples=2, scheduler={"type": "none"})
    data["search"] |= {"organs": ["cadence"], "lr": {"loguniform": [1e-5, 1e-3]}, "steps": 2}
    path = tmp_path / "optuna.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["sweep", str(path)]) == 0
    out = capsys.readouterr().out
    assert "best trial:" in out and "results (2 rows, Parquet)" in out


def test_sweep_refuses_bad_input_before_starting_ray(tiny_recipient, corpora, tmp_path, capsys, monkeypatch):
    started = []
    monkeypatch.setattr("voxgraft.sweep.run._init_ray", lambda address: started.append(address))
    data = _sweep_data(tiny_recipient, corpora, tmp_path / "sweeps", recipient=str(tmp_path / "nowhere"))
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["sweep", str(path)]) == 2
    assert "no config.json" in capsys.readouterr().err
    assert started == [] and not (tmp_path / "sweeps").exists()
    assert main(["sweep", "--resume", str(tmp_path)]) == 2
    assert "not a voxgraft sweep directory" in capsys.readouterr().err
    bare = tmp_path / "bare_recipient"
    shutil.copytree(tiny_recipient[0], bare, ignore=shutil.ignore_patterns("symbols.json"))
    path.write_text(yaml.safe_dump(_sweep_data(tiny_recipient, corpora, tmp_path / "sweeps", recipient=str(bare))))
    assert main(["sweep", str(path)]) == 2
    assert "needs voxgraft's symbols.json" in capsys.readouterr().err
    if importlib.util.find_spec("wandb") is None:  # the default install has no wandb
        path.write_text(yaml.safe_dump(_sweep_data(tiny_recipient, corpora, tmp_path / "sweeps")))
        assert main(["sweep", str(path), "--wandb"]) == 2
        assert "pip install 'voxgraft[wandb]'" in capsys.readouterr().err
    assert started == [] and not (tmp_path / "sweeps").exists()


def test_a_killed_driver_resumes_with_nothing_lost_or_duplicated(local_ray, tiny_recipient, corpora, tmp_path):
    data = _sweep_data(tiny_recipient, corpora, tmp_path / "sweeps", scheduler={"type": "none"})
    data["search"] |= {"organs": ["decoder"], "lr": [1e-4, 3e-4, 1e-3], "steps": 8, "eval_every": 2}
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(data))
    store = ResultsStore(tmp_path / "sweeps" / "tiny" / "results")
    driver = subprocess.Popen([sys.executable, "-m", "voxgraft", "sweep", str(path)], start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while time.time() < deadline and (not Path(store.root).exists() or store.trials().num_rows < 2):
        time.sleep(0.5)
    os.killpg(driver.pid, signal.SIGKILL)  # the driver and the local Ray it started
    driver.wait()
    before = {(r["trial_id"], r["step"]) for r in store.trials().to_pylist()}
    assert 2 <= len(before) < 12, "kill the driver mid-sweep"

    outcome = resume_sweep(tmp_path / "sweeps" / "tiny")
    rows = store.trials().to_pylist()
    keys = [(r["trial_id"], r["step"]) for r in rows]
    assert len(keys) == len(set(keys))  # nothing duplicated
    assert before <= set(keys)  # nothing lost
    assert sorted(keys) == sorted((t, s) for t in {k[0] for k in keys} for s in (2, 4, 6, 8))  # every report of 3 trials
    assert len({k[0] for k in keys}) == 3
    assert all(r["status"] == "done" for r in rows if r["step"] == 8)
    assert outcome.rows == 12


def test_a_trial_over_its_memory_budget_halves_its_micro_batch_then_fails_clearly(local_ray, tiny_recipient, corpora, tmp_path):
    """On CPU the measure is peak RSS, which only grows, so halving cannot help: the trial tries
    4, 2, 1 and ends with an error that says so (on a GPU, halving resets the peak and continues)."""
    data = _sweep_data(tiny_recipient, corpora, tmp_path / "sweeps", memory_budget_gb=0.01, scheduler={"type": "none"})
    data["search"] |= {"organs": ["cadence"], "lr": [1e-4]}
    outcome = run_sweep(parse_sweep(data))
    rows = ResultsStore(outcome.results_dir).trials().to_pylist()
    row = rows[-1]  # the first steps decide; an evaluation may report in between
    assert row["status"] == "error" and row["micro_batch"] == 1 and row["step"] == 3
    assert "even at micro-batch 1" in row["message"] and "tried micro-batches 4, 2, 1" in row["message"]
    assert outcome.best is None
