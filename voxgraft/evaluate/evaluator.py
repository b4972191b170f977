"""One evaluation of a transplant: speak the held-out sentences, measure donor-likeness,
recipient preservation and signs of rejection, normalize against the sweep's anchors."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from transformers import VitsModel

from voxgraft.data.training_set import TrainingSet
from voxgraft.evaluate.anchors import Anchors, transfers
from voxgraft.evaluate.artifacts import loss_spike, rejection
from voxgraft.evaluate.measures import duration_drift, rendering_measures
from voxgraft.evaluate.render import Rendering, Utterances, render
from voxgraft.evaluate.speaker import SpeakerEncoder


class Evaluator:
    def __init__(self, data: TrainingSet, anchors: Anchors, device: torch.device | str = "cpu"):
        self.utterances = Utterances.from_training_set(data, data.heldout_indices)
        if self.utterances.utterance_ids != anchors.utterance_ids:
            raise ValueError("the sweep's anchors were measured on other held-out utterances than this trial's")
        self.anchors = anchors
        self.encoder = SpeakerEncoder.pretrained(device)
        self.donor_centroid = np.asarray(anchors.donor_centroid)
        self.recipient_centroid = np.asarray(anchors.recipient_centroid)

    def evaluate(
        self, model: VitsModel, step_losses: Sequence[float] = (), known: dict[str, float] | None = None
    ) -> tuple[dict[str, float], Rendering]:
        """Metrics (raw, transfer_*, preservation, signs, rejection_score, rejected) and the
        speech. `known`: measurements taken elsewhere (heldout_duration_mae) to normalize too."""
        rendering = render(model, self.utterances)
        metrics = dict(known or {})
        metrics |= rendering_measures(rendering, self.utterances, self.encoder, self.donor_centroid, self.recipient_centroid)
        metrics["duration_drift"] = duration_drift(rendering.frames, self.anchors.recipient_frames, self.utterances.tokens)
        metrics["speaker_drift"] = self.anchors.recipient["speaker_sim_recipient"] - metrics["speaker_sim_recipient"]
        metrics["loss_spike"] = loss_spike(step_losses)
        score, rejected = rejection(metrics)
        metrics["rejection_score"] = score
        metrics["rejected"] = rejected
        return metrics | transfers(self.anchors, metrics), rendering
