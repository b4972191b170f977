"""Intervals for an organ ablation's Shapley values, by resampling its held-out utterances
(bench/organ_ablation.py runs the ablation).

A sweep stores each measurement pooled over the held-out utterances (speaking rate: all
phonemes over all speaking time; speaker similarity: the mean cosine). Here each trial's final
checkpoint speaks them again (render is deterministic: durations without noise, prior noise on
a fixed seed), its speech is kept per utterance, and the utterances are resampled with
replacement. Each resample pools the measurements again with evaluate/'s own functions, for
the trial and for both anchors (the untouched recipient, the donor's recordings) on the same
utterances, normalizes the transfers, and takes the Shapley values: what the interval covers
is which sentences were held out, not training noise (one seed per organ subset).
"""

from __future__ import annotations

import itertools
import pickle
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from voxgraft.analysis.importance import organ_shapley
from voxgraft.evaluate.anchors import Anchors, transfers
from voxgraft.evaluate.measures import duration_drift
from voxgraft.evaluate.prosody import cadence
from voxgraft.evaluate.render import Utterances, render
from voxgraft.evaluate.speaker import SpeakerEncoder, similarity

METRICS = ("transfer_speaking_rate", "transfer_speaker_sim_donor", "duration_drift", "speaker_drift")
ORGANS = ("text_encoder", "duration_predictor", "posterior_encoder", "flow", "decoder")  # the five the joe voice has


@dataclass(frozen=True)
class Speech:
    """One voice's speech of the held-out sentences, kept per utterance."""

    timing: list  # (tokens, seconds) per utterance, blanks folded in
    embeddings: np.ndarray  # GE2E, a row per utterance
    frames: list[list[int]] | None  # predicted frames per token (None: a recording)


def model_speech(model, utterances: Utterances, encoder: SpeakerEncoder) -> Speech:
    rendering = render(model, utterances)
    return Speech(rendering.cadence_input(utterances.tokens), encoder.embed(rendering.wavs, rendering.sample_rate), rendering.frames)


def recorded_speech(utterances: Utterances, encoder: SpeakerEncoder) -> Speech:
    return Speech(utterances.recorded_cadence_input(), encoder.embed(utterances.recordings, utterances.sample_rate), None)


def cached_speech(path: Path, make) -> Speech:
    if path.exists():
        return pickle.loads(path.read_bytes())
    speech = make()
    path.write_bytes(pickle.dumps(speech))
    return speech


def _pooled(speech: Speech, idx: np.ndarray, anchors: Anchors) -> dict[str, float]:
    rate, pauses = cadence([speech.timing[i] for i in idx])
    return {
        "speaking_rate": rate,
        "pause_share": pauses,
        "speaker_sim_donor": similarity(speech.embeddings[idx], np.asarray(anchors.donor_centroid)),
        "speaker_sim_recipient": similarity(speech.embeddings[idx], np.asarray(anchors.recipient_centroid)),
    }


def resampled_anchors(anchors: Anchors, recipient: Speech, donor: Speech, idx: np.ndarray) -> Anchors:
    """Both ends measured on the utterances `idx` (repeats allowed), as the sweep measured them on all."""
    return replace(anchors, recipient=_pooled(recipient, idx, anchors), donor=_pooled(donor, idx, anchors))


def measure(speech: Speech, idx: np.ndarray, ends: Anchors, recipient: Speech, tokens: list) -> dict[str, float]:
    """METRICS of `speech` over the utterances `idx`, against `ends` resampled on the same ones."""
    mine = _pooled(speech, idx, ends)
    out = transfers(ends, mine)
    out["duration_drift"] = duration_drift([speech.frames[i] for i in idx], [recipient.frames[i] for i in idx], [tokens[i] for i in idx])
    out["speaker_drift"] = ends.recipient["speaker_sim_recipient"] - mine["speaker_sim_recipient"]
    return {m: out[m] for m in METRICS}


def shapley_weights(organs: tuple[str, ...]) -> tuple[list[str], np.ndarray]:
    """Every organ subset (as the sweep names it) and the matrix W with Shapley values = W @ v:
    the values are linear in v with v(no organ) = 0, so W's columns are analysis/importance.py's
    values for one subset at 1 and the rest at 0."""
    subsets = [",".join(c) for r in range(1, len(organs) + 1) for c in itertools.combinations(organs, r)]
    weights = np.zeros((len(organs), len(subsets)))
    for j in range(len(subsets)):
        unit = pd.DataFrame({"organs": subsets, "transfer_speaking_rate": np.eye(len(subsets))[j]})
        values = organ_shapley(unit, "transfer_speaking_rate").values
        weights[:, j] = [values[o] for o in organs]
    return subsets, weights


def resample_indices(n: int, repeats: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n, size=(repeats, n))
