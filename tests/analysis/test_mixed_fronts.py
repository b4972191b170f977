"""A sweep that mixes cadence and timbre presets has one Pareto front per aim: a cadence trial,
however high its transfer_timbre reads, is never on the timbre front (nor `pick --pareto knee`'s)."""

import re

from voxgraft.analysis import synthetic_store
from voxgraft.analysis.pareto import pareto_front
from voxgraft.analysis.report import analyse, best_trials, write_report
from voxgraft.analysis.trials import trial_table
from voxgraft.analysis.verdict import verdict


def _mixed_store(root):
    store = synthetic_store.build(root / "results", trials=28, reports=2, sounds=True)  # kept checkpoints: eligible for best
    template = [r for r in store.table().to_pylist() if r["trial_id"] == "t000000"]
    for i in range(6):  # cadence trials that would beat every timbre trial on timbre's axes
        store.write_sealed([{**r, "trial_id": f"c{i}", "config.organs": "duration_predictor", "transfer_timbre": 5.0 + i,
                             "duration_drift": 0.0, "transfer_cadence": 0.5 + 0.1 * i, "speaker_drift": 0.02 * i} for r in template])


def test_a_mixed_sweep_has_one_front_per_aim(tmp_path):
    _mixed_store(tmp_path)
    analysis = analyse(tmp_path)
    assert set(analysis.fronts) == {"cadence", "timbre"}
    timbre, cadence = analysis.fronts["timbre"], analysis.fronts["cadence"]
    assert not timbre["trial_id"].str.startswith("c").any() and timbre["on_front"].any()
    assert cadence["trial_id"].str.startswith("c").all() and cadence["on_front"].any()
    knee_pool = pareto_front(trial_table(analysis.rows))  # what pick --pareto knee ranks: the sweep's aim, timbre
    assert not knee_pool["trial_id"].str.startswith("c").any()
    page = write_report(analysis, best_trials(analysis, 3)).html.read_text()
    headings = re.findall(r"<h2 id='s\d+'>Donor-likeness against recipient preservation: (\w+) trials</h2>", page)
    assert headings == ["cadence", "timbre"]


def test_a_mixed_sweep_names_each_aims_best_and_its_own_main_effects(tmp_path):
    _mixed_store(tmp_path)
    analysis = analyse(tmp_path)
    findings = verdict(analysis, best_trials(analysis, 3)).findings
    cadence = [f for f in findings if f.startswith("Best cadence transplant by transfer_cadence")]
    timbre = [f for f in findings if f.startswith("Best timbre transplant by transfer_timbre")]
    assert len(cadence) == 1 and "trial c5," in cadence[0] and "speaker_drift 0.1" in cadence[0]  # the most donor-like cadence trial
    timbre_trials = analysis.trials[~analysis.trials["trial_id"].str.startswith("c")]
    most = timbre_trials.loc[timbre_trials["transfer_timbre"].astype(float).idxmax(), "trial_id"]
    assert len(timbre) == 1 and f"trial {most}," in timbre[0]
    within = analysis.effects_by_aim["transfer_timbre"]
    assert set(within) == {"timbre"}  # the cadence trials' transfer_timbre is planted junk, never pooled in
    assert within["timbre"]["n"].sum() > 0 and "organ:duration_predictor" not in set(within["timbre"]["factor"])
    page = write_report(analysis, best_trials(analysis, 3)).html.read_text()
    assert "Main effects within the timbre trials" in page
    verdict_part = page.split("<h2 id='s1'>", 1)[0]
    assert "best cadence <audio" in verdict_part and "data-key='c5/utt01'" in verdict_part  # played beside the best


def test_a_single_aim_sweep_has_no_per_aim_findings(tmp_path):
    synthetic_store.build(tmp_path / "results", trials=28, reports=2)
    analysis = analyse(tmp_path)
    assert not any(f.startswith("Best timbre transplant") for f in verdict(analysis, best_trials(analysis, 3)).findings)
    assert all(not by_aim for by_aim in analysis.effects_by_aim.values())
