"""The two ends every transfer number is measured between, computed once per sweep.

`0` is the untouched recipient speaking the donor's held-out sentences; `1` is the donor's own
recordings of them. For a measurement x, transfer = (x - recipient) / (donor - recipient), so
0.5 on speaking rate means the transplant speaks halfway from the recipient's rate to the
donor's, whatever the voices. Where the two ends are closer than MIN_GAP the donor does not
differ from the recipient in that respect and the transfer is NaN (a timbre donor that speaks
at the recipient's rate has no rate to transfer).

Speaker centroids come from other sentences than the held-out ones (the donor's first
training recordings, and the untouched recipient speaking the same texts), so that no
held-out utterance is compared with a centroid built from itself.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from transformers import VitsModel

from voxgraft.atomic import atomic_file
from voxgraft.data.training_set import TrainingSet
from voxgraft.evaluate.heldout_losses import duration_mae
from voxgraft.evaluate.measures import recording_measures, rendering_measures
from voxgraft.evaluate.registry import MIN_GAP  # smallest recipient-donor difference worth normalizing by
from voxgraft.evaluate.render import Utterances, render, write_wavs
from voxgraft.evaluate.speaker import SpeakerEncoder, centroid

ANCHORS_FILE = "anchors.json"
CENTROID_UTTERANCES = 16
CADENCE_TRANSFERS = ("speaking_rate", "pause_share", "heldout_duration_mae")
TIMBRE_TRANSFERS = ("speaker_sim_donor", "f0_median", "mcd")


@dataclass(frozen=True)
class Anchors:
    recipient: dict[str, float]  # measurements of the untouched recipient's renderings
    donor: dict[str, float]  # of the donor's recordings
    donor_centroid: list[float]
    recipient_centroid: list[float]
    recipient_frames: list[list[int]]  # the untouched recipient's durations of the held-out sentences
    utterance_ids: list[str]

    def transfer(self, name: str, value: float) -> float:
        low, high = self.recipient.get(name, math.nan), self.donor.get(name, math.nan)
        if not all(math.isfinite(v) for v in (low, high, value)) or abs(high - low) < MIN_GAP[name]:
            return math.nan
        return (value - low) / (high - low)

    def to_json(self) -> str:
        clean = lambda d: {k: (v if math.isfinite(v) else None) for k, v in d.items()}  # noqa: E731
        payload = asdict(self) | {"recipient": clean(self.recipient), "donor": clean(self.donor)}
        return json.dumps(payload, indent=1) + "\n"

    @classmethod
    def from_dict(cls, payload: dict) -> Anchors:
        restore = lambda d: {k: (math.nan if v is None else float(v)) for k, v in d.items()}  # noqa: E731
        return cls(**(payload | {"recipient": restore(payload["recipient"]), "donor": restore(payload["donor"])}))

    @classmethod
    def load(cls, path: Path) -> Anchors:
        return cls.from_dict(json.loads(Path(path).read_text()))


def transfers(anchors: Anchors, measures: dict[str, float]) -> dict[str, float]:
    """transfer_<measurement> for each, and the cadence and timbre means of the defined ones."""
    out = {f"transfer_{name}": anchors.transfer(name, measures.get(name, math.nan)) for name in MIN_GAP}
    for aspect, names in (("cadence", CADENCE_TRANSFERS), ("timbre", TIMBRE_TRANSFERS)):
        defined = [out[f"transfer_{n}"] for n in names if math.isfinite(out[f"transfer_{n}"])]
        out[f"transfer_{aspect}"] = float(np.mean(defined)) if defined else math.nan
    return out


@torch.no_grad()
def compute_anchors(recipient: VitsModel, data: TrainingSet, encoder: SpeakerEncoder, samples_dir: Path | None = None) -> Anchors:
    """Measure both ends on the held-out sentences; with `samples_dir`, also write both
    renderings there (recipient/ and donor/, one wav per sentence) for A/B listening."""
    heldout = Utterances.from_training_set(data, data.heldout_indices)
    others = Utterances.from_training_set(data, data.train_indices[:CENTROID_UTTERANCES])
    donor_centroid = centroid(encoder.embed(others.recordings, others.sample_rate))
    recipient_others = render(recipient, others)
    recipient_centroid = centroid(encoder.embed(recipient_others.wavs, recipient_others.sample_rate))

    rendering = render(recipient, heldout)
    recipient_measures = rendering_measures(rendering, heldout, encoder, donor_centroid, recipient_centroid)
    batch = data.heldout_batch()
    if batch.durations is not None:
        recipient_measures["heldout_duration_mae"] = duration_mae(recipient, batch, data.symbols.blank_id)
    donor_measures = recording_measures(heldout, encoder, donor_centroid, recipient_centroid)
    if samples_dir is not None:
        rendering.write(Path(samples_dir) / "recipient", heldout.utterance_ids)
        write_wavs(Path(samples_dir) / "donor", heldout.utterance_ids, heldout.recordings, heldout.sample_rate)
    return Anchors(
        recipient=recipient_measures,
        donor=donor_measures,
        donor_centroid=donor_centroid.tolist(),
        recipient_centroid=recipient_centroid.tolist(),
        recipient_frames=rendering.frames,
        utterance_ids=heldout.utterance_ids,
    )


def write_anchors(anchors: Anchors, directory: Path) -> Path:
    path = Path(directory) / ANCHORS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as tmp:
        Path(tmp).write_text(anchors.to_json())
    return path
