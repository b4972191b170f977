"""Step plans: which modules run how, and which losses are active, for a freeze plan."""

import pytest

from voxgraft.models.mas import AlignmentError
from voxgraft.training.plan import CACHED, DATA, GRAD, LOSSES, NO_GRAD, SKIPPED, naive_plan, plan_step

TIMBRE = ("posterior_encoder", "flow", "decoder")


def test_cadence_with_forced_durations_runs_only_the_duration_predictor():
    plan = plan_step(("duration_predictor",), "forced")
    assert plan.losses == ("duration",)
    assert plan.modes == {
        "text_encoder": CACHED,
        "posterior_encoder": SKIPPED,
        "flow": SKIPPED,
        "alignment": DATA,
        "prior_path": SKIPPED,
        "duration_predictor": GRAD,
        "decoder": SKIPPED,
        "discriminator": SKIPPED,
    }
    assert not plan.trains_discriminator


def test_cadence_with_learned_durations_caches_the_search_on_frozen_modules():
    plan = plan_step(("duration_predictor",), "learned")
    assert plan.modes["alignment"] == CACHED
    assert plan.modes["decoder"] == SKIPPED and plan.losses == ("duration",)


def test_timbre_needs_everything_but_the_duration_predictor():
    plan = plan_step(TIMBRE, "learned")
    assert plan.losses == ("kl", "mel", "adversarial", "feature_matching")
    assert plan.modes["duration_predictor"] == SKIPPED
    assert plan.modes["text_encoder"] == CACHED
    assert plan.modes["alignment"] == NO_GRAD  # the flow trains: the search input moves
    assert plan.trains_discriminator


def test_a_frozen_decoder_still_carries_the_posterior_encoders_gradient():
    plan = plan_step(("posterior_encoder",), "forced")
    assert plan.modes["decoder"] == GRAD and plan.weights("decoder") == "frozen"
    assert plan.modes["flow"] == GRAD and plan.weights("flow") == "frozen"
    assert "mel" in plan.losses and "kl" in plan.losses


def test_decoder_alone_skips_text_flow_and_alignment():
    plan = plan_step(("decoder",), "forced")
    assert [m for m, mode in plan.modes.items() if mode == SKIPPED] == ["text_encoder", "flow", "alignment", "prior_path", "duration_predictor"]
    assert plan.modes["posterior_encoder"] == NO_GRAD


def test_a_decoder_on_the_prior_path_needs_text_and_alignment_but_no_posterior():
    plan = plan_step(("decoder",), "forced", "prior")
    assert plan.losses == ("mel", "adversarial", "feature_matching")
    assert plan.modes["text_encoder"] == CACHED and plan.modes["alignment"] == DATA and plan.modes["prior_path"] == NO_GRAD
    assert plan.modes["posterior_encoder"] == SKIPPED and plan.modes["flow"] == SKIPPED
    learned = plan_step(("decoder",), "learned", "prior")
    assert learned.modes["alignment"] == CACHED and learned.modes["posterior_encoder"] == SKIPPED  # searched once per utterance


def test_on_the_prior_path_the_flow_trains_through_the_waveform_and_the_posterior_encoder_only_by_kl():
    with_flow = plan_step(("decoder", "flow"), "forced", "prior")
    assert with_flow.modes["prior_path"] == GRAD and "kl" in with_flow.losses
    posterior_only = plan_step(("posterior_encoder",), "forced", "prior")
    assert posterior_only.losses == ("kl",) and posterior_only.modes["decoder"] == SKIPPED


def test_an_unknown_decoder_input_is_refused():
    with pytest.raises(ValueError, match="unknown decoder input 'noise'; choose one of: posterior, prior"):
        plan_step(("decoder",), "forced", "noise")


def test_text_encoder_alone_trains_through_kl_only():
    plan = plan_step(("text_encoder",), "learned")
    assert plan.losses == ("kl",)
    assert plan.modes["flow"] == NO_GRAD and plan.modes["decoder"] == SKIPPED


def test_naive_plan_runs_everything():
    plan = naive_plan(("duration_predictor",), "forced")
    assert plan.losses == LOSSES
    assert all(mode in (GRAD, DATA) for m, mode in plan.modes.items() if m != "prior_path")
    assert plan.modes["prior_path"] == SKIPPED and naive_plan(("decoder",), "forced", "prior").modes["prior_path"] == GRAD


def test_unknown_alignment_is_refused():
    with pytest.raises(AlignmentError, match="forced, learned"):
        plan_step(("decoder",), "aligner")
