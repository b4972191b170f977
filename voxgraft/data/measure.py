"""Measurements of a voice taken from its audio: speaking rate and median F0."""

from __future__ import annotations

import librosa
import numpy as np

from voxgraft.data.symbols import SPECIALS


def phoneme_count(tokens: list[str]) -> int:
    """Spoken phonemes only: pauses, word boundaries, stress and punctuation do not count."""
    return sum(1 for t in tokens if t not in SPECIALS)


def speech_seconds(wav: np.ndarray, sample_rate: int, top_db: float = 40.0) -> float:
    """Length of `wav` without its leading and trailing silence."""
    trimmed, _ = librosa.effects.trim(np.asarray(wav, dtype=np.float32), top_db=top_db)
    return len(trimmed) / sample_rate


def speaking_rate(wav: np.ndarray, sample_rate: int, n_phonemes: int) -> float:
    """Phonemes per second of speech (pauses inside the utterance count as speaking time)."""
    seconds = speech_seconds(wav, sample_rate)
    if seconds <= 0:
        raise ValueError("no speech found in the audio")
    return n_phonemes / seconds


def median_f0(f0: np.ndarray) -> float:
    """Median over voiced frames; NaN when nothing is voiced."""
    voiced = f0[np.isfinite(f0)]
    return float(np.median(voiced)) if len(voiced) else float("nan")
