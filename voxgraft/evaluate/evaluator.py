"""One evaluation of a transplant: speak the held-out sentences, measure donor-likeness,
recipient preservation, what the judges hear and signs of rejection, normalize against the
sweep's anchors. A knob's speech (evaluate/knobs.py) is measured by the same code."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from transformers import VitsModel

from voxgraft.data.training_set import TrainingSet
from voxgraft.evaluate.anchors import Anchors, judge_speech, transfers
from voxgraft.evaluate.artifacts import judge_signs, loss_spike, rejection
from voxgraft.evaluate.judges import Judges
from voxgraft.evaluate.measures import duration_drift, rendering_measures
from voxgraft.evaluate.render import Rendering, Utterances, render
from voxgraft.evaluate.speaker import SpeakerEncoder


class Evaluator:
    def __init__(self, data: TrainingSet, anchors: Anchors, device: torch.device | str = "cpu", judges: Judges | None = None):
        self.utterances = Utterances.from_training_set(data, data.heldout_indices)
        if self.utterances.utterance_ids != anchors.utterance_ids:
            raise ValueError("the sweep's anchors were measured on other held-out utterances than this trial's")
        if anchors.judged and judges is None:
            raise ValueError("the sweep's anchors were heard by the judges: a trial must be too (give it Judges)")
        self.anchors = anchors
        self.judges = judges
        self.encoder = SpeakerEncoder.pretrained(device)
        self.donor_centroid = np.asarray(anchors.donor_centroid)
        self.recipient_centroid = np.asarray(anchors.recipient_centroid)

    def evaluate(
        self, model: VitsModel, step_losses: Sequence[float] = (), known: dict[str, float] | None = None
    ) -> tuple[dict[str, float], Rendering]:
        """Metrics (raw, transfer_*, preservation, judges, signs, rejection_score, rejected) and
        the speech. `known`: measurements taken elsewhere (heldout_duration_mae) to normalize too."""
        rendering = render(model, self.utterances)
        return self.measure(rendering, step_losses, known), rendering

    def measure(self, rendering: Rendering, step_losses: Sequence[float] = (), known: dict[str, float] | None = None) -> dict[str, float]:
        """Every metric of a rendering of the held-out sentences (whatever made it); sets
        `rendering.heard` to what Whisper heard."""
        recipient, donor = self.anchors.recipient, self.anchors.donor
        metrics = dict(known or {})
        metrics |= rendering_measures(rendering, self.utterances, self.encoder, self.donor_centroid, self.recipient_centroid)
        judged_here, rendering.heard = judge_speech(self.judges, rendering.wavs, rendering.sample_rate, self.utterances.texts)
        metrics |= judged_here
        metrics["duration_drift"] = duration_drift(rendering.frames, self.anchors.recipient_frames, self.utterances.tokens)
        metrics["speaker_drift"] = recipient["speaker_sim_recipient"] - metrics["speaker_sim_recipient"]
        metrics["intelligibility_drift"] = metrics["wer"] - recipient.get("wer", np.nan)
        metrics["quality_drift"] = recipient.get("dnsmos_ovrl", np.nan) - metrics["dnsmos_ovrl"]
        metrics |= judge_signs(metrics, recipient, donor)
        metrics["loss_spike"] = loss_spike(step_losses)
        score, rejected = rejection(metrics)
        metrics["rejection_score"] = score
        metrics["rejected"] = rejected
        return metrics | transfers(self.anchors, metrics)
