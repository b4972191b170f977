"""A sweep that mixes cadence and timbre presets has one Pareto front per aim: a cadence trial,
however high its transfer_timbre reads, is never on the timbre front (nor `pick --pareto knee`'s)."""

import re

from voxgraft.analysis import synthetic_store
from voxgraft.analysis.pareto import pareto_front
from voxgraft.analysis.report import analyse, best_trials, write_report
from voxgraft.analysis.trials import trial_table


def _mixed_store(root):
    store = synthetic_store.build(root / "results", trials=28, reports=2)
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
