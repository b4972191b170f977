"""The planned step gives every trainable parameter the gradient the naive full step gives,
while running less; the trainer changes nothing frozen."""

import random

import pytest
import torch

from voxgraft.models.discriminator import DiscriminatorConfig, VitsDiscriminator
from voxgraft.models.organs import ORGAN_MODULES, FreezePlan, apply_freeze_plan
from voxgraft.training.plan import SKIPPED, naive_plan, plan_step
from voxgraft.training.step import StepCache, generator_losses, weighted_total
from voxgraft.training.trainer import TrainConfig, Trainer

SEGMENT = 16
SINGLE_SPEAKER_ORGANS = [o for o in ORGAN_MODULES if o not in ("speaker_embedding", "style")]
RANDOM_SUBSETS = [tuple(random.Random(seed).sample(SINGLE_SPEAKER_ORGANS, k)) for seed, k in ((1, 1), (2, 2), (3, 2), (4, 3))]


def _gradients(model, discriminator, batch, plan, params, cache=None):
    model.zero_grad(set_to_none=True)
    losses = generator_losses(model, discriminator, batch, plan, seed=11, segment_frames=SEGMENT, cache=cache or StepCache())
    weighted_total(losses).backward()
    return losses, [None if p.grad is None else p.grad.clone() for p in params]


@pytest.mark.parametrize("alignment", ["forced", "learned"])
@pytest.mark.parametrize("organs", [("cadence",), ("timbre",), ("full",), *RANDOM_SUBSETS], ids=str)
def test_planned_gradients_equal_the_naive_full_step(tiny_model, batch, organs, alignment):
    discriminator = VitsDiscriminator(DiscriminatorConfig(channel_divisor=8))
    freeze = FreezePlan.for_model(organs, tiny_model)
    params = apply_freeze_plan(tiny_model, freeze)
    naive_losses, naive = _gradients(tiny_model, discriminator, batch, naive_plan(freeze.trainable, alignment), params)
    planned = plan_step(freeze.trainable, alignment)
    planned_losses, fast = _gradients(tiny_model, discriminator, batch, planned, params)

    assert set(planned_losses) == set(planned.losses)
    for name in planned_losses:  # the losses the plan keeps are the very same numbers
        assert torch.allclose(planned_losses[name], naive_losses[name], rtol=1e-5, atol=1e-6), name
    for _param, a, b in zip(params, naive, fast):
        assert a is not None and b is not None, "a trainable parameter got no gradient"
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-7)
    assert any(a.abs().sum() > 0 for a in naive)


@pytest.mark.parametrize("alignment", ["forced", "learned"])
@pytest.mark.parametrize("organs", [("decoder",), ("timbre",), ("decoder", "flow"), ("text_encoder", "decoder")], ids=str)
def test_on_the_prior_path_planned_gradients_equal_the_naive_full_step(tiny_model, batch, organs, alignment):
    discriminator = VitsDiscriminator(DiscriminatorConfig(channel_divisor=8))
    freeze = FreezePlan.for_model(organs, tiny_model)
    params = apply_freeze_plan(tiny_model, freeze)
    naive_losses, naive = _gradients(tiny_model, discriminator, batch, naive_plan(freeze.trainable, alignment, "prior"), params)
    planned = plan_step(freeze.trainable, alignment, "prior")
    planned_losses, fast = _gradients(tiny_model, discriminator, batch, planned, params)
    for name in planned_losses:
        assert torch.allclose(planned_losses[name], naive_losses[name], rtol=1e-5, atol=1e-6), name
    for a, b in zip(naive, fast):
        assert a is not None and b is not None and torch.allclose(a, b, rtol=1e-4, atol=1e-7)
    if "kl" not in planned.losses and alignment == "forced":  # only the waveform trains: no posterior at all
        assert planned.modes["posterior_encoder"] == SKIPPED


def test_the_prior_path_changes_what_the_decoder_learns_from(tiny_model, batch):
    """Same organs, same seed: the decoder's gradient differs between its two inputs."""
    discriminator = VitsDiscriminator(DiscriminatorConfig(channel_divisor=8))
    freeze = FreezePlan.for_model(("decoder",), tiny_model)
    params = apply_freeze_plan(tiny_model, freeze)
    _, posterior = _gradients(tiny_model, discriminator, batch, plan_step(freeze.trainable, "forced"), params)
    _, prior = _gradients(tiny_model, discriminator, batch, plan_step(freeze.trainable, "forced", "prior"), params)
    assert any(not torch.allclose(a, b) for a, b in zip(posterior, prior))


def test_cache_is_filled_once_and_changes_nothing(tiny_model, batch):
    freeze = FreezePlan.for_model("cadence", tiny_model)
    params = apply_freeze_plan(tiny_model, freeze)
    plan = plan_step(freeze.trainable, "learned")
    calls = []
    hooks = [
        tiny_model.text_encoder.register_forward_hook(lambda *a: calls.append("text")),
        tiny_model.posterior_encoder.register_forward_hook(lambda *a: calls.append("posterior")),
    ]
    cache = StepCache()
    _, first = _gradients(tiny_model, None, batch, plan, params, cache)
    assert sorted(set(calls)) == ["posterior", "text"] and len(cache.durations) == len(batch.utterance_ids)
    calls.clear()
    _, second = _gradients(tiny_model, None, batch, plan, params, cache)
    for h in hooks:
        h.remove()
    assert calls == []  # second sight: neither encoder runs
    assert all(torch.equal(a, b) for a, b in zip(first, second))


@pytest.mark.parametrize("micro_batches", [1, 2], ids=["whole-batch", "accumulated"])
@pytest.mark.parametrize("organs", ["cadence", "timbre"])
def test_training_changes_trained_organs_and_no_frozen_tensor(tiny_model, training_set, organs, micro_batches):
    freeze = FreezePlan.for_model(organs, tiny_model)
    params = apply_freeze_plan(tiny_model, freeze)
    before = {k: v.clone() for k, v in tiny_model.state_dict().items()}
    trainer = Trainer(
        tiny_model, plan_step(freeze.trainable, "forced"), params, TrainConfig(batch_size=4, segment_frames=SEGMENT),
        DiscriminatorConfig(channel_divisor=8),
    )
    trainer.micro_batches = micro_batches
    for batch in list(training_set.loader(4, seed=0))[:2]:
        report = trainer.step(batch)
    prefixes = tuple(ORGAN_MODULES[o] + "." for o in freeze.trainable)
    for key, value in tiny_model.state_dict().items():
        if key.startswith(prefixes):
            continue
        assert torch.equal(value, before[key]), f"frozen {key} changed"
    assert any(not torch.equal(v, before[k]) for k, v in tiny_model.state_dict().items() if k.startswith(prefixes))
    # optimizer state exists for trainable parameters only
    state_params = {id(p) for p in trainer.optimizer.state}
    assert state_params == {id(p) for p in params}
    if organs == "cadence":
        assert trainer.discriminator is None and set(report) == {"duration", "total", "grad_norm"}
    else:
        assert trainer.discriminator is not None and "discriminator" in report and "duration" not in report


def test_a_halved_micro_batch_survives_the_trainer_state(tiny_model, training_set, tmp_path):
    """A trial that halved its micro-batch to fit its memory budget and is resumed continues at
    the halved size (the fit check runs only in the first steps: at the whole batch it could run
    out of memory again)."""
    freeze = FreezePlan.for_model("timbre", tiny_model)

    def trainer():
        return Trainer(tiny_model, plan_step(freeze.trainable, "forced"), apply_freeze_plan(tiny_model, freeze),
                       TrainConfig(batch_size=4, segment_frames=SEGMENT), DiscriminatorConfig(channel_divisor=8))

    first = trainer()
    first.micro_batches = 2
    first.step(next(iter(training_set.loader(4, seed=0))))
    torch.save(first.state_dict(), tmp_path / "trainer.pt")
    resumed = trainer()
    resumed.load_state_dict(torch.load(tmp_path / "trainer.pt", weights_only=False))
    assert (resumed.micro_batches, resumed.step_count) == (2, 1)
    old_state = {k: v for k, v in first.state_dict().items() if k != "micro_batches"}  # written before it was kept
    resumed.load_state_dict(old_state)
    assert resumed.micro_batches == 1
