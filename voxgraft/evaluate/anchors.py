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

The donor's rate and pauses are measured on its alignment. A donor without one is timed by
monotonic alignment search on the untouched recipient, but only where that path is healthy
(evaluate/alignment_error.py): a collapsed path once made a backwards transplant look best.
Otherwise they are NaN, and a sweep refuses a cadence objective (sweep/measurable.py).

With the judges (evaluate/judges.py), both ends are also heard by Whisper and DNSMOS: the
transplants' intelligibility and quality are read against them, and what Whisper heard is
written beside each end's wavs.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from transformers import VitsModel

from voxgraft.atomic import atomic_file
from voxgraft.data.training_set import TrainingSet
from voxgraft.evaluate.alignment_error import alignment_health, mas_durations, phoneme_ids
from voxgraft.evaluate.artifacts import rejection
from voxgraft.evaluate.heldout_losses import duration_mae
from voxgraft.evaluate.judges import Judges, unmeasured
from voxgraft.evaluate.measures import recording_measures, rendering_measures
from voxgraft.evaluate.numpy_threads import single_threaded_numpy
from voxgraft.evaluate.registry import MIN_GAP  # smallest recipient-donor difference worth normalizing by
from voxgraft.evaluate.render import Utterances, render, write_heard, write_wavs
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
    # Where the donor's held-out timing came from: "alignment", "mas" (MAS on the untouched
    # recipient, for a donor without alignments, where that path is healthy) or "none".
    donor_timing: str = "alignment"
    recipient_mas_health: dict[str, float] = field(default_factory=dict)  # alignment_error.alignment_health
    asr_model: str | None = None  # the Whisper directory the judges used; None: no judges

    @property
    def judged(self) -> bool:
        """Whether the judges measured both ends (else every judge metric is NaN)."""
        return all(math.isfinite(end.get("wer", math.nan)) for end in (self.recipient, self.donor))

    def transfer(self, name: str, value: float) -> float:
        low, high = self.recipient.get(name, math.nan), self.donor.get(name, math.nan)
        if not all(math.isfinite(v) for v in (low, high, value)) or abs(high - low) < MIN_GAP[name]:
            return math.nan
        return (value - low) / (high - low)

    def to_json(self) -> str:
        clean = lambda d: {k: (v if math.isfinite(v) else None) for k, v in d.items()}  # noqa: E731
        payload = asdict(self) | {k: clean(getattr(self, k)) for k in ("recipient", "donor", "recipient_mas_health")}
        return json.dumps(payload, indent=1) + "\n"

    @classmethod
    def from_dict(cls, payload: dict) -> Anchors:
        restore = lambda d: {k: (math.nan if v is None else float(v)) for k, v in d.items()}  # noqa: E731
        return cls(**(payload | {k: restore(payload[k]) for k in ("recipient", "donor", "recipient_mas_health") if k in payload}))

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


def judge_speech(judges: Judges | None, wavs: list[np.ndarray], sample_rate: int, texts: list[str]) -> tuple[dict[str, float], list[str]]:
    """The judges' metrics of some speech and what Whisper heard; NaN and nothing without judges."""
    return judges.measure(wavs, sample_rate, texts) if judges is not None else (unmeasured(), [])


@torch.no_grad()
@single_threaded_numpy
def compute_anchors(
    recipient: VitsModel, data: TrainingSet, encoder: SpeakerEncoder, samples_dir: Path | None = None, judges: Judges | None = None
) -> Anchors:
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
    mas_path = mas_durations(recipient, batch)
    health = alignment_health(mas_path, batch.token_ids, batch.token_lengths, phoneme_ids(data.symbols))
    timed, timing = _donor_timing(heldout, mas_path, health, data)
    donor_measures = recording_measures(timed, encoder, donor_centroid, recipient_centroid)
    if timing == "mas":  # MAS gives the donor a rate and pauses, but no true durations to score against
        donor_measures["heldout_duration_mae"] = math.nan
    judged_recipient, rendering.heard = judge_speech(judges, rendering.wavs, rendering.sample_rate, heldout.texts)
    judged_donor, donor_heard = judge_speech(judges, heldout.recordings, heldout.sample_rate, heldout.texts)
    recipient_measures |= judged_recipient
    donor_measures |= judged_donor
    if samples_dir is not None:
        rendering.write(Path(samples_dir) / "recipient", heldout.utterance_ids)
        write_wavs(Path(samples_dir) / "donor", heldout.utterance_ids, heldout.recordings, heldout.sample_rate)
        if donor_heard:
            write_heard(Path(samples_dir) / "donor", heldout.utterance_ids, donor_heard)
    return Anchors(
        recipient=recipient_measures,
        donor=donor_measures,
        donor_centroid=donor_centroid.tolist(),
        recipient_centroid=recipient_centroid.tolist(),
        recipient_frames=rendering.frames,
        utterance_ids=heldout.utterance_ids,
        donor_timing=timing,
        recipient_mas_health=health,
        asr_model=str(judges.whisper.model_dir) if judges is not None else None,
    )


def _donor_timing(heldout: Utterances, mas_path: torch.Tensor, health: dict[str, float], data: TrainingSet) -> tuple[Utterances, str]:
    """The held-out utterances with the donor's timing for its cadence measures: its alignment;
    without one, MAS's path on the untouched recipient where that path is healthy; else none."""
    if heldout.durations_s is not None:
        return heldout, "alignment"
    if rejection(health)[1]:
        return heldout, "none"
    params = data.dataset.features.params
    seconds = params.hop_length / params.sample_rate
    durations = [(mas_path[i, : len(ids)].double() * seconds).tolist() for i, ids in enumerate(heldout.token_ids)]
    return replace(heldout, durations_s=durations), "mas"


def write_anchors(anchors: Anchors, directory: Path) -> Path:
    path = Path(directory) / ANCHORS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as tmp:
        Path(tmp).write_text(anchors.to_json())
    return path
