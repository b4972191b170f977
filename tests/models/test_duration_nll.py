"""The stochastic duration predictor's training direction is the inverse of its inference path.

transformers' own training direction flips after the affine flow too, so it is not; this is
what made a cadence transplant into a Piper voice speed it up instead of slowing it down."""

import torch
from transformers import VitsConfig
from transformers.models.vits.modeling_vits import VitsStochasticDurationPredictor

from voxgraft.models.duration_nll import _through, stochastic_duration_nll
from voxgraft.models.losses import duration_loss


def _predictor(seed=0):
    torch.manual_seed(seed)
    config = VitsConfig(hidden_size=16, duration_predictor_filter_channels=16, duration_predictor_num_flows=3, duration_predictor_dropout=0.0)
    predictor = VitsStochasticDurationPredictor(config).eval()
    with torch.no_grad():
        for p in predictor.parameters():
            p.add_(0.3 * torch.randn_like(p))  # a predictor whose flows are far from identity
    return predictor


def _inverse(predictor, latents, mask, conditioning, skip_first_spline):
    """VITS's inference path: reversed flows, a flip before each spline, optionally without the first spline."""
    flows = list(predictor.flows)
    for i in range(len(flows) - 1, -1, -1):
        if i == 1 and skip_first_spline:
            latents = torch.flip(latents, [1])
            continue
        if i > 0:
            latents = torch.flip(latents, [1])
        latents, _ = flows[i](latents, mask, global_conditioning=conditioning, reverse=True)
    return latents


def test_training_flows_invert_the_inference_path():
    predictor = _predictor()
    mask = torch.ones(2, 1, 7)
    conditioning = torch.randn(2, 16, 7)
    z = torch.randn(2, 2, 7)
    x = _inverse(predictor, z, mask, conditioning, skip_first_spline=False)
    back, _ = _through(predictor.flows, x, mask, conditioning)
    assert torch.allclose(back, z, atol=1e-4)


def test_inference_path_is_transformers_reverse_without_the_first_spline():
    predictor = _predictor(1)
    inputs, mask = torch.randn(1, 16, 9), torch.ones(1, 1, 9)
    torch.manual_seed(5)
    theirs = predictor(inputs, mask, reverse=True, noise_scale=1.0)
    torch.manual_seed(5)
    noise = torch.randn(1, 2, 9)
    from voxgraft.models.duration_nll import _text_conditioning

    ours = _inverse(predictor, noise, mask, _text_conditioning(predictor, inputs, mask, None), skip_first_spline=True)[:, :1]
    assert torch.allclose(theirs, ours, atol=1e-5)


def test_training_lowers_the_nll_of_the_durations_it_sees_and_moves_inference_toward_them():
    predictor = _predictor(2)
    predictor.flows[0].translate.data.zero_()
    inputs, mask = torch.randn(4, 16, 12), torch.ones(4, 1, 12)
    target = torch.full((4, 12), 6.0)
    optimizer = torch.optim.Adam(predictor.parameters(), lr=3e-3)
    first = float(duration_loss(predictor, inputs, mask[:, 0].bool(), target).detach())
    for _ in range(150):
        loss = duration_loss(predictor, inputs, mask[:, 0].bool(), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert float(loss.detach()) < first
    with torch.no_grad():
        frames = torch.exp(predictor(inputs, mask, reverse=True, noise_scale=0.0))
    assert 4.0 < float(frames.mean()) < 8.0
    assert stochastic_duration_nll(predictor, inputs, mask, target[:, None]).shape == (4,)
