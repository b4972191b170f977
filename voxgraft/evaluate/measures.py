"""The raw measurements of one rendering of the held-out sentences (or of the donor's own
recordings of them): cadence, speaker similarity, pitch, spectral distance, artifact signs."""

from __future__ import annotations

import numpy as np

from voxgraft.data.symbols import SPECIALS
from voxgraft.evaluate.artifacts import audio_signs
from voxgraft.evaluate.mcd import mcd_dtw
from voxgraft.evaluate.numpy_threads import single_threaded_numpy
from voxgraft.evaluate.prosody import cadence, f0_stats
from voxgraft.evaluate.render import Rendering, Utterances
from voxgraft.evaluate.speaker import SpeakerEncoder, similarity


def _nan() -> float:
    return float("nan")


def voice_measures(
    wavs: list[np.ndarray],
    sample_rate: int,
    encoder: SpeakerEncoder,
    donor_centroid: np.ndarray,
    recipient_centroid: np.ndarray,
) -> dict[str, float]:
    embeddings = encoder.embed(wavs, sample_rate)
    f0_median, f0_range = f0_stats(wavs, sample_rate)
    return {
        "speaker_sim_donor": similarity(embeddings, donor_centroid),
        "speaker_sim_recipient": similarity(embeddings, recipient_centroid),
        "f0_median": f0_median,
        "f0_range": f0_range,
    }


def duration_drift(frames: list[list[int]], reference: list[list[int]], tokens: list[list[str]]) -> float:
    """Mean |log frames - log reference frames| over spoken phonemes: how far the rendering's
    timing moved from the untouched recipient's."""
    diffs = [
        abs(np.log(f) - np.log(r))
        for fr, rf, tk in zip(frames, reference, tokens)
        for f, r, t in zip(fr, rf, tk)
        if t not in SPECIALS
    ]
    return float(np.mean(diffs)) if diffs else _nan()


@single_threaded_numpy
def rendering_measures(
    rendering: Rendering,
    utterances: Utterances,
    encoder: SpeakerEncoder,
    donor_centroid: np.ndarray,
    recipient_centroid: np.ndarray,
) -> dict[str, float]:
    """Everything measured on a model's speech of the held-out sentences."""
    rate, pauses = cadence(rendering.cadence_input(utterances.tokens))
    measures = {
        "speaking_rate": rate,
        "pause_share": pauses,
        **voice_measures(rendering.wavs, rendering.sample_rate, encoder, donor_centroid, recipient_centroid),
        "mcd": float(np.mean([mcd_dtw(rec, wav, rendering.sample_rate) for rec, wav in zip(utterances.recordings, rendering.wavs)])),
        **audio_signs(rendering.wavs, rendering.sample_rate),
    }
    return measures


@single_threaded_numpy
def recording_measures(
    utterances: Utterances,
    encoder: SpeakerEncoder,
    donor_centroid: np.ndarray,
    recipient_centroid: np.ndarray,
) -> dict[str, float]:
    """The same measurements on the donor's own recordings: the `transfer = 1` end."""
    recorded = utterances.recorded_cadence_input()
    rate, pauses = cadence(recorded) if recorded is not None else (_nan(), _nan())
    return {
        "speaking_rate": rate,
        "pause_share": pauses,
        **voice_measures(utterances.recordings, utterances.sample_rate, encoder, donor_centroid, recipient_centroid),
        "mcd": 0.0,  # the donor's recording against itself
        "heldout_duration_mae": 0.0 if recorded is not None else _nan(),
        **audio_signs(utterances.recordings, utterances.sample_rate),
    }
