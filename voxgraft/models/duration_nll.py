"""The stochastic duration predictor's training loss, in original VITS's flow order.

transformers' VitsStochasticDurationPredictor runs inference like VITS (and Piper) do, but its
training direction flips the two channels after *every* flow, the first affine one included,
where VITS flips only after each spline flow. Every spline flow then transforms the other
channel than the one its weights were trained on, and the flow VITS's inference skips (the
first spline) ends up acting on the durations themselves. Training a pretrained predictor with
that loss wrecks its inference (a Piper voice sped up ~2x in 60 steps instead of slowing down);
this is VITS's order, the inverse of the inference path, so training and speaking agree.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def _through(flows: nn.ModuleList, latents: torch.Tensor, mask: torch.Tensor, conditioning: torch.Tensor):
    """VITS's flow list is [affine, spline, flip, spline, flip, ...]: a flip after each spline."""
    log_det_sum = 0
    for i, flow in enumerate(flows):
        latents, log_det = flow(latents, mask, global_conditioning=conditioning)
        log_det_sum = log_det_sum + log_det
        if i > 0:
            latents = torch.flip(latents, [1])
    return latents, log_det_sum


def _text_conditioning(predictor, inputs, mask, speaker):
    hidden = predictor.conv_pre(torch.detach(inputs))
    if speaker is not None:
        hidden = hidden + predictor.cond(torch.detach(speaker))
    hidden = predictor.conv_dds(hidden, mask)
    return predictor.conv_proj(hidden) * mask


def stochastic_duration_nll(predictor, inputs: torch.Tensor, mask: torch.Tensor, durations: torch.Tensor,
                            speaker: torch.Tensor | None = None) -> torch.Tensor:
    """(B,) negative log-likelihood (variational bound) of `durations` (B, 1, L) in frames."""
    text = _text_conditioning(predictor, inputs, mask, speaker)
    posterior = predictor.post_conv_proj(predictor.post_conv_dds(predictor.post_conv_pre(durations), mask)) * mask
    noise = torch.randn(durations.size(0), 2, durations.size(2), device=inputs.device, dtype=inputs.dtype) * mask
    latents_q, log_det_q = _through(predictor.post_flows, noise, mask, text + posterior)
    u_logit, second = torch.split(latents_q, [1, 1], dim=1)
    log_det_q = log_det_q + torch.sum((nn.functional.logsigmoid(u_logit) + nn.functional.logsigmoid(-u_logit)) * mask, [1, 2])
    log_q = torch.sum(-0.5 * (math.log(2 * math.pi) + noise**2) * mask, [1, 2]) - log_det_q
    dequantised = torch.log(torch.clamp_min((durations - torch.sigmoid(u_logit)) * mask, 1e-5)) * mask
    latents, log_det = _through(predictor.flows, torch.cat([dequantised, second], dim=1), mask, text)
    nll = torch.sum(0.5 * (math.log(2 * math.pi) + latents**2) * mask, [1, 2]) - (log_det + torch.sum(-dequantised, [1, 2]))
    return nll + log_q
