"""Organ registry and freeze plans on a real (tiny) VitsModel."""

import pytest
import torch
from transformers import VitsModel

from voxgraft.models.configs import named_config
from voxgraft.models.organs import (
    ORGAN_PRESETS,
    FreezePlan,
    UnknownOrganError,
    apply_freeze_plan,
    build_optimizer,
    model_organs,
    resolve_organs,
)


@pytest.fixture
def model():
    torch.manual_seed(0)
    return VitsModel(named_config("tiny", vocab_size=100))


def test_organs_are_the_models_modules(model):
    organs = model_organs(model)
    assert set(organs) == {"text_encoder", "duration_predictor", "posterior_encoder", "flow", "decoder"}
    assert organs["decoder"] is model.decoder
    n_organ = sum(p.numel() for o in organs.values() for p in o.parameters())
    assert n_organ == sum(p.numel() for p in model.parameters())  # no parameter outside an organ


def test_presets_resolve(model):
    assert resolve_organs("cadence", model) == ("duration_predictor",)
    assert resolve_organs(["timbre"], model) == ("posterior_encoder", "flow", "decoder")
    assert set(resolve_organs("full", model)) == set(model_organs(model))
    assert resolve_organs("decoder, text_encoder", model) == ("text_encoder", "decoder")
    assert "cadence" in ORGAN_PRESETS and "timbre" in ORGAN_PRESETS


def test_unknown_organ_lists_the_valid_ones(model):
    with pytest.raises(UnknownOrganError, match="unknown organ 'vocal_cords'.*decoder.*presets: cadence"):
        resolve_organs("vocal_cords", model)
    with pytest.raises(UnknownOrganError, match="at least one organ"):
        resolve_organs("", model)
    with pytest.raises(UnknownOrganError, match="speaker_embedding"):
        resolve_organs("speaker_embedding", model)  # a single-speaker model has none


def test_apply_plan_sets_grad_flags_and_modes(model):
    plan = FreezePlan.for_model("timbre", model)
    params = apply_freeze_plan(model, plan)
    trainable = {id(p) for name in plan.trainable for p in model_organs(model)[name].parameters()}
    assert {id(p) for p in params} == trainable
    for p in model.parameters():
        assert p.requires_grad == (id(p) in trainable)
    assert model.decoder.training and model.flow.training
    assert not model.text_encoder.training and not model.duration_predictor.training
    assert plan.frozen(model) == ("text_encoder", "duration_predictor")


@pytest.mark.parametrize("organs", ["flow", "cadence", "decoder,text_encoder"])
def test_training_steps_leave_frozen_tensors_bitwise_unchanged(model, organs):
    plan = FreezePlan.for_model(organs, model)
    params = apply_freeze_plan(model, plan)
    optimizer = build_optimizer(params, lr=1e-3)
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    trainable_names = {k for k in before if k.split(".")[0] in {o for o in plan.trainable}}
    ids = torch.randint(2, 100, (1, 12))
    for _ in range(3):
        optimizer.zero_grad()
        waveform = model(input_ids=ids).waveform  # gradients pass through frozen organs to trainable ones
        reg = sum(p.pow(2).sum() for p in model.parameters())  # touches every organ, frozen or not
        (waveform.pow(2).mean() + 1e-3 * reg).backward()
        assert all(p.grad is None for p in model.parameters() if not p.requires_grad)
        optimizer.step()
    after = model.state_dict()
    for k, v in before.items():
        if k in trainable_names:
            continue
        assert torch.equal(v, after[k]), k
    assert any(not torch.equal(before[k], after[k]) for k in trainable_names)
    # The optimizer keeps state for trainable parameters only.
    assert {id(p) for p in optimizer.state} == {id(p) for p in params}


def test_optimizer_refuses_bad_settings(model):
    with pytest.raises(ValueError, match="positive"):
        build_optimizer(list(model.decoder.parameters()), lr=-1e-5)
    with pytest.raises(ValueError, match="nothing to optimize"):
        build_optimizer([], lr=1e-5)
    opt = build_optimizer(list(model.decoder.parameters()), lr=1e-5)
    assert opt.defaults["betas"] == (0.8, 0.99) and opt.defaults["eps"] == 1e-9


def test_named_configs():
    assert sum(p.numel() for p in VitsModel(named_config("base", 100)).parameters()) > 30_000_000
    with pytest.raises(ValueError, match="tiny, base"):
        named_config("huge", 100)
