"""The report's answer-first section, generated from the statistics: on the planted-effects store
it names the planted dominant organ; on a 4-trial sweep it warns that intervals and importances
cannot be had, and the page draws none."""

import pandas as pd
import pytest

from voxgraft.analysis import synthetic_store
from voxgraft.analysis.importance import organ_shapley
from voxgraft.analysis.report import analyse, best_trials, write_report
from voxgraft.analysis.verdict import verdict


def _store(tmp_path, trials: int):
    root = tmp_path / f"sweep{trials}"
    synthetic_store.build(root / "results", trials=trials, reports=3)
    analysis = analyse(root)
    return analysis, best_trials(analysis, 3)


def test_the_verdict_names_the_planted_dominant_organ(tmp_path):
    analysis, top = _store(tmp_path, 56)
    found = verdict(analysis, top)
    assert top.empty  # the planted store keeps no checkpoints: nothing may be called best, and the verdict says so
    assert found.findings[0] == ("No transplant may be called best by heldout_loss: every trial failed, was rejected "
                                 "or kept no measured checkpoint.")
    assert any(line.startswith("What mattered most for heldout_loss: organ:decoder = ") for line in found.findings)
    assert any(line.startswith("decoder carries ") for line in found.findings)
    assert any(line.startswith("Forced against learned alignment") for line in found.findings)
    assert found.warnings == []
    page = write_report(analysis, top).html.read_text()
    assert page.index("What the sweep found") < page.index("<nav>") < page.index("Top transplants")
    assert "Importance (fANOVA, Optuna)" in page


def test_four_trials_get_a_warning_and_no_intervals_or_importances(tmp_path):
    analysis, top = _store(tmp_path, 4)
    found = verdict(analysis, top)
    assert any(w.startswith("Too few trials per level for intervals and importances") for w in found.warnings)
    effects = analysis.effects["heldout_loss"]
    assert not effects.empty and effects["low"].isna().all() and effects["high"].isna().all()
    assert analysis.importance["heldout_loss"] == {}
    page = write_report(analysis, top).html.read_text()
    assert "Too few trials per level" in page and "No intervals" in page and "No importances" in page
    assert "Importance (fANOVA" not in page
    summary = (analysis.sweep_dir / "report" / "summary.md").read_text()
    assert "## What the sweep found" in summary and "- **Warning:** Too few trials per level" in summary


def test_rejected_trials_are_counted_with_the_sign_that_rejected_them_most_often(tmp_path):
    root = tmp_path / "sweep"
    store = synthetic_store.build(root / "results", trials=8, reports=3)
    template = [r for r in store.table().to_pylist() if r["trial_id"] == "t000000"]
    for i, share in enumerate((0.61, 0.7)):  # MAS collapse on the held-out path, flagged from the second report on
        store.write_sealed([{**r, "trial_id": f"bad{i}", "config.alignment": "learned", "one_frame_token_share": share,
                             "rejected": r["report"] >= 2, "rejection_score": share / 0.5} for r in template])
    analysis = analyse(root)
    found = verdict(analysis, best_trials(analysis, 3))
    assert "2 of 10 trials rejected (most often: one_frame_token_share 0.61 over its threshold 0.5)." in found.warnings
    [alignment] = [line for line in found.findings if line.startswith("Forced against learned")]
    assert alignment.endswith(" trials, 2 rejected).")  # the learned side carries the two rejected trials


def test_a_trial_that_lost_words_midway_but_not_at_its_end_is_not_counted_rejected(tmp_path):
    """The judges can reject one checkpoint of a trial (a word lost at step 200) and pass the next:
    the trial's other checkpoints stay eligible, so it is neither 'rejected' nor drawn as one."""
    from voxgraft.analysis.explorer import _outcome

    root = tmp_path / "sweep"
    store = synthetic_store.build(root / "results", trials=8, reports=3)
    template = [r for r in store.table().to_pylist() if r["trial_id"] == "t000000"]
    store.write_sealed([{**r, "trial_id": "wobbly", "wer": 0.35 if r["report"] == 2 else 0.1, "words_lost": 0.15 if r["report"] == 2 else -0.1,
                         "rejected": r["report"] == 2, "rejection_score": 1.5 if r["report"] == 2 else 0.2} for r in template])
    analysis = analyse(root)
    found = verdict(analysis, best_trials(analysis, 3))
    assert not any(w.endswith("trials rejected.") or " trials rejected (" in w for w in found.warnings), found.warnings
    assert ("1 of 9 trials had a checkpoint rejected along the way (their later ones were not) "
            "(most often: words_lost 0.15 over its threshold 0.1).") in found.warnings
    trials = analysis.trials.set_index("trial_id")
    assert trials.loc["wobbly", "ever_rejected"] and not trials.loc["wobbly", "ends_rejected"]
    assert dict(zip(analysis.trials["trial_id"], _outcome(analysis.trials)))["wobbly"] == "done"


def test_organ_sets_that_cannot_tell_the_organs_apart_give_no_shapley_values():
    trials = pd.DataFrame({"organs": ["timbre", "timbre", "timbre"], "transfer_timbre": [0.4, 0.5, 0.45]})
    assert organ_shapley(trials, "transfer_timbre") is None  # one preset of three organs: any split would be invented


def test_an_organ_without_effect_contributes_exactly_zero_not_rounding_noise():
    sets = ["decoder", "flow", "posterior_encoder", "decoder,flow", "decoder,posterior_encoder", "flow,posterior_encoder",
            "decoder,flow,posterior_encoder"]
    effect = {"decoder": 0.3, "flow": 0.0, "posterior_encoder": 0.1}
    value = [sum(effect[o] for o in s.split(",")) for s in sets]  # sums of 0.3 and 0.1 leave 1e-17 residues
    shapley = organ_shapley(pd.DataFrame({"organs": sets, "transfer_timbre": value}), "transfer_timbre")
    assert shapley.exact and shapley.values["flow"] == 0.0
    assert shapley.values["decoder"] == pytest.approx(0.3) and shapley.values["posterior_encoder"] == pytest.approx(0.1)
