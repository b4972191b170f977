"""After a real (tiny) sweep: `voxgraft report` and `voxgraft pick` as a user runs them."""

import io
import json
from pathlib import Path

import pytest
import torch
from rich.console import Console
from transformers import VitsModel

from voxgraft.analysis.pick import choose
from voxgraft.analysis.report import analyse, best_trials
from voxgraft.cli import main
from voxgraft.demo import report_and_export
from voxgraft.models.checkpoints import load_recipient
from voxgraft.models.organs import ORGAN_MODULES
from voxgraft.models.speak import speak


@pytest.fixture(scope="module")
def sweep_outcome(small_sweep):
    return small_sweep


@pytest.fixture(scope="module")
def finished_sweep(small_sweep):
    return small_sweep.experiment_dir


def test_sweep_report_pick_and_demo_name_the_same_best_transplant(sweep_outcome, tmp_path):
    """One best rule (sweep/best.py): the sweep's final line, the report's #1, pick's choice and
    the demo's printed and exported transplant are one report of one trial."""
    exp_dir = Path(sweep_outcome.experiment_dir)
    best = sweep_outcome.best
    assert best is not None and Path(best["checkpoint"], "transplant").is_dir()
    top = best_trials(analyse(exp_dir), 1).iloc[0]
    chosen = choose(exp_dir)[0]
    console = Console(file=io.StringIO(), width=400)
    printed = report_and_export(exp_dir, tmp_path / "best", console)
    card = json.loads((tmp_path / "best" / "card.json").read_text())
    expected = (best["trial_id"], best["step"])
    assert (top["trial_id"], top["step"]) == expected
    assert (chosen.row["trial_id"], chosen.row["step"]) == expected
    assert (printed.row["trial_id"], printed.row["step"]) == expected
    assert (card["trial_id"], card["step"]) == expected and card["source_checkpoint"] == best["checkpoint"]
    assert f"trial {best['trial_id']}" in console.file.getvalue()


def test_report_after_a_real_sweep_plays_recipient_donor_knobs_and_transplants(finished_sweep, capsys):
    assert main(["report", finished_sweep, "--top", "2"]) == 0
    out = capsys.readouterr().out
    assert "report/index.html" in out and "summary.md" in out
    page = open(f"{finished_sweep}/report/index.html").read()
    # the listening grid, 4 sentences x (recipient, donor, tempo knob, voice knob, #1, #2), and the
    # verdict's first sentence as the recipient, the donor, both knobs (the sweep mixes a cadence and
    # a timbre preset: each faces its own) and each aim's best transplant speak it
    assert set(analyse(finished_sweep).fronts) == {"cadence", "timbre"}
    verdict = page.split("<h2 id='s2'>", 1)[0]
    grid = page.split("Listen: recipient, donor, the knobs and the top transplants</h2>", 1)[1].split("<h2 id=", 1)[0]
    assert verdict.count("<audio") == 6 and grid.count("<audio") == 4 * 6
    assert page.count("data:audio/wav;base64,") == 24 + 6  # the explorer adds none: both trials are in the top 2
    assert grid.count("title='Whisper heard: ") == 4 * 6  # what Whisper heard, on every player


def test_the_judges_hear_every_report_and_the_knobs_and_nothing_unheard_is_best(sweep_outcome):
    from voxgraft.analysis.trials import read_store

    rows, knobs = read_store(sweep_outcome.experiment_dir)
    assert sorted(knobs["trial_id"]) == ["knob-tempo", "knob-voice"] and set(knobs["status"]) == {"knob"}
    for frame in (rows, knobs):
        for metric in ("wer", "cer", "dnsmos_ovrl", "dnsmos_sig", "dnsmos_bak", "dnsmos_p808", "intelligibility_drift"):
            assert frame[metric].notna().all(), metric
    assert knobs["message"].str.contains("no training").all()
    assert sweep_outcome.best["trial_id"] not in set(knobs["trial_id"])
    assert sweep_outcome.statuses and "knob" not in sweep_outcome.statuses  # the knobs are not counted as trials


def test_the_verdict_sets_each_aims_best_against_its_knob(finished_sweep):
    from voxgraft.analysis.verdict import verdict

    analysis = analyse(finished_sweep)
    lines = [line for line in verdict(analysis, best_trials(analysis, 3)).findings if "knob" in line]
    assert len(lines) == 2  # a mixed sweep: cadence against the tempo knob, timbre against the voice knob
    cadence, timbre = sorted(lines, key=lambda line: "timbre" in line.split(" (")[0])
    assert "against the tempo knob: length_scale" in cadence and "against the voice knob: F0 x" in timbre
    for line in lines:
        assert "WER " in line and "DNSMOS OVRL " in line and "not measured" not in line
        assert any(outcome in line for outcome in ("surgery beats the knob", "the knob is enough", "surgery wins on"))
    summary = (analysis.sweep_dir / "report" / "summary.md").read_text() if (analysis.sweep_dir / "report").exists() else ""
    assert not summary or "## What the judges heard" in summary


def test_pick_exports_a_ready_model_whose_frozen_organs_are_the_recipients(finished_sweep, tiny_recipient, tmp_path, capsys):
    out = tmp_path / "best"
    assert main(["pick", finished_sweep, "--objective", "heldout_duration_mae", "--export", str(out)]) == 0
    card = json.loads((out / "card.json").read_text())
    assert (card["organ_set"], card["organs_trained"]) in (("cadence", ["duration_predictor"]), ("decoder", ["decoder"]))
    assert card["recipient_sha256"] == load_recipient(tiny_recipient[0]).sha256 and card["sweep"] == "pickme"
    assert "heldout_duration_mae" in card["metrics"] and (out / "README.md").exists()
    assert set(card["judged"]) == {"recipient, untouched", "donor's recordings", "this transplant", *[k for k in card["judged"] if "knob" in k]}
    assert len([k for k in card["judged"] if "knob" in k]) == 2 and card["judged"]["this transplant"]["wer"] == card["metrics"]["wer"]
    assert "What the judges heard" in (out / "README.md").read_text()
    assert len(list((out / "samples").glob("*.wav"))) == 4
    exported = VitsModel.from_pretrained(str(out), local_files_only=True).state_dict()
    recipient = load_recipient(tiny_recipient[0]).model.state_dict()
    trained = ORGAN_MODULES[card["organs_trained"][0]] + "."
    for key, value in recipient.items():
        if not key.startswith(trained):
            assert torch.equal(exported[key], value), key
    assert any(not torch.equal(exported[k], recipient[k]) for k in recipient if k.startswith(trained))
    assert speak(out, "The cat sat on the mat.", tmp_path / "hello.wav") > 0


def test_pick_by_pareto_knee_and_top_k_layout(finished_sweep, tmp_path):
    assert main(["pick", finished_sweep, "--pareto", "knee", "--export", str(tmp_path / "knee")]) == 0
    assert (tmp_path / "knee" / "config.json").exists()
    assert main(["pick", finished_sweep, "--top", "2", "--export", str(tmp_path / "two")]) == 0
    exported = sorted(p.name for p in (tmp_path / "two").iterdir())
    assert len(exported) == 2 and exported[0].startswith("1-") and exported[1].startswith("2-")


def test_pick_refuses_bad_input_and_writes_nothing(finished_sweep, tmp_path, capsys):
    out = tmp_path / "never"
    assert main(["pick", finished_sweep, "--objective", "loudness", "--export", str(out)]) == 2
    assert "unknown objective 'loudness'" in capsys.readouterr().err
    assert main(["pick", str(tmp_path), "--export", str(out)]) == 2
    assert "no results store" in capsys.readouterr().err
    other = tmp_path / "other_recipient"
    model = load_recipient(json.loads(open(f"{finished_sweep}/voxgraft_sweep.json").read())["context"]["recipient"]).model
    with torch.no_grad():
        next(model.parameters()).add_(1.0)
    model.save_pretrained(str(other))
    assert main(["pick", finished_sweep, "--recipient", str(other), "--export", str(out)]) == 2
    assert "merge it with the recipient it was trained on" in capsys.readouterr().err
    assert not out.exists()


def test_report_logs_to_wandb_offline(finished_sweep, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    assert main(["report", finished_sweep, "--out", str(tmp_path / "r"), "--wandb"]) == 0
    runs = list((tmp_path / "wandb").glob("offline-run-*"))
    assert len(runs) == 1 and any(runs[0].rglob("*.wandb"))
    assert "W&B run:" in capsys.readouterr().out
