"""What a transplant trial reports at each evaluation, on the donor's held-out utterances.

These are the sweep's first objectives; the rest of evaluate/ (speaker similarity, F0, rejection)
adds to them.
"""

from __future__ import annotations

import torch
from transformers import VitsModel

from voxgraft.data.dataset import Batch
from voxgraft.models.inference import evaluation_mode, predict_durations
from voxgraft.models.mas import ensure_min_one_frame
from voxgraft.training.heldout import mel_reconstruction_l1
from voxgraft.training.plan import StepPlan
from voxgraft.training.step import generator_forward, weighted_total


@torch.no_grad()
def duration_mae(model: VitsModel, batch: Batch, blank_id: int, length_scale: float = 1.0) -> float:
    """Mean |log predicted - log donor| frame count over phoneme tokens (blanks left out);
    `length_scale` stretches the predictions first (the tempo knob)."""
    with evaluation_mode(model):
        predicted = predict_durations(model, batch.token_ids, batch.token_mask, noise_scale=0.0, length_scale=length_scale)
    target = ensure_min_one_frame(batch.durations, batch.token_lengths)
    keep = batch.token_mask & (batch.token_ids != blank_id)
    return float((predicted[keep].float().log() - target[keep].float().log()).abs().mean())


@torch.no_grad()
def heldout_loss(model: VitsModel, batch: Batch, plan: StepPlan, segment_frames: int) -> float:
    """The plan's weighted generator losses without the adversarial ones (they need a
    discriminator, whose state differs between trials), on a fixed seed."""
    with evaluation_mode(model):
        result = generator_forward(model, batch, plan, seed=0, segment_frames=segment_frames)
    return float(weighted_total(result.losses))


def heldout_losses(model: VitsModel, batch: Batch, plan: StepPlan, blank_id: int, segment_frames: int) -> dict[str, float]:
    metrics = {
        "heldout_loss": heldout_loss(model, batch, plan, segment_frames),
        "heldout_mel_l1": mel_reconstruction_l1(model, batch),
    }
    if batch.durations is not None:
        metrics["heldout_duration_mae"] = duration_mae(model, batch, blank_id)
    return metrics
