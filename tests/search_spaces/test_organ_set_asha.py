"""ASHA per organ set: a timbre trial is never stopped against cadence trials' scores."""

from types import SimpleNamespace

from ray.tune.schedulers import ASHAScheduler, TrialScheduler

from voxgraft.search_spaces.organ_set_asha import OrganSetASHA

OPTIONS = {"time_attr": "training_iteration", "max_t": 4, "grace_period": 1, "reduction_factor": 2}


def _run(scheduler, reports):
    """Feed (trial, score) reports at iteration 1; the decision for each."""
    scheduler.set_search_properties("heldout_loss", "min")
    trials = {}
    for name, organs, _ in reports:
        trials[name] = SimpleNamespace(trial_id=name, config={"organs": organs})
        scheduler.on_trial_add(None, trials[name])
    return {name: scheduler.on_trial_result(None, trials[name], {"training_iteration": 1, "heldout_loss": score})
            for name, _, score in reports}


REPORTS = [("c1", "cadence", 0.10), ("c2", "cadence", 0.20), ("c3", "cadence", 0.30), ("t1", "timbre", 5.0), ("t2", "timbre", 4.0)]


def test_trials_compete_only_within_their_organ_set():
    decisions = _run(OrganSetASHA(**OPTIONS), REPORTS)
    assert decisions["t1"] == TrialScheduler.CONTINUE  # the first timbre trial has no peer yet
    assert decisions["t2"] == TrialScheduler.CONTINUE  # better than its one timbre peer
    assert decisions["c3"] == TrialScheduler.STOP  # worse than the cadence trials before it


def test_one_asha_for_all_would_stop_the_timbre_trials():
    decisions = _run(ASHAScheduler(**OPTIONS), REPORTS)
    assert decisions["t1"] == decisions["t2"] == TrialScheduler.STOP


def test_state_survives_save_and_restore(tmp_path):
    scheduler = OrganSetASHA(**OPTIONS)
    _run(scheduler, REPORTS[:2])
    scheduler.save(str(tmp_path / "s.pkl"))
    restored = OrganSetASHA(**OPTIONS)
    restored.restore(str(tmp_path / "s.pkl"))
    late = SimpleNamespace(trial_id="c9", config={"organs": "cadence"})
    restored.on_trial_add(None, late)
    assert restored.on_trial_result(None, late, {"training_iteration": 1, "heldout_loss": 0.9}) == TrialScheduler.STOP
