"""Losses and the discriminator: the duration gradient path, LSGAN targets, shapes."""

import pytest
import torch
from transformers import VitsModel

from voxgraft.models.configs import named_config
from voxgraft.models.discriminator import DiscriminatorConfig, VitsDiscriminator
from voxgraft.models.losses import (
    deterministic_duration_target,
    discriminator_loss,
    duration_loss,
    feature_matching_loss,
    generator_adversarial_loss,
)


def _randomised(model: torch.nn.Module) -> torch.nn.Module:
    """Initialisation zeroes some layers (elementwise-affine flows), which hides gradients of
    the layers before them; a perturbed model tests the path itself."""
    torch.manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return model


@pytest.mark.parametrize("stochastic", [True, False], ids=["stochastic", "deterministic"])
def test_duration_gradient_reaches_every_duration_predictor_parameter(stochastic):
    config = named_config("tiny", 40)
    config.use_stochastic_duration_prediction = stochastic
    model = _randomised(VitsModel(config)).train()
    hidden = torch.randn(2, config.hidden_size, 7)
    mask = torch.tensor([[True] * 7, [True] * 5 + [False] * 2])
    durations = torch.tensor([[1, 3, 1, 6, 1, 2, 1], [2, 1, 4, 1, 1, 0, 0]])  # integer frame counts
    loss = duration_loss(model.duration_predictor, hidden, mask, durations)
    loss.backward()
    for name, p in model.duration_predictor.named_parameters():
        if name.startswith("cond."):
            continue  # speaker conditioning: absent on a single-speaker model
        assert p.grad is not None and p.grad.abs().sum() > 0, f"no gradient reaches duration_predictor.{name}"


def test_duration_loss_never_reaches_the_text_encoder():
    """The predictor's input is detached (VITS): cadence training cannot move pronunciation."""
    model = VitsModel(named_config("tiny", 40))
    hidden = torch.randn(1, 64, 5, requires_grad=True)
    duration_loss(model.duration_predictor, hidden, torch.ones(1, 5, dtype=torch.bool), torch.tensor([[1, 2, 3, 1, 1]])).backward()
    assert hidden.grad is None


def test_deterministic_target_rounds_back_to_the_duration_under_ceil():
    d = torch.arange(1, 20).float()
    assert torch.equal(torch.ceil(torch.exp(deterministic_duration_target(d))), d)


def test_discriminator_has_five_periods_and_three_scales_and_lsgan_targets():
    disc = VitsDiscriminator(DiscriminatorConfig(channel_divisor=8))
    outputs = disc(torch.randn(2, 1, 4096))
    assert len(outputs) == 3 + 5
    assert all(logits.shape[0] == 2 and len(maps) >= 5 for logits, maps in outputs)
    ones, zeros = [torch.ones(2, 3)], [torch.zeros(2, 3)]
    assert float(discriminator_loss(ones, zeros)) == 0.0  # real judged real, fake judged fake
    assert float(discriminator_loss(zeros, ones)) == 2.0
    assert float(generator_adversarial_loss(ones)) == 0.0
    maps = [[torch.ones(2, 4)]]
    assert float(feature_matching_loss(maps, maps)) == 0.0
    assert float(feature_matching_loss(maps, [[torch.zeros(2, 4)]])) == 2.0
