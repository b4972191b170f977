"""Cadence and pitch of a set of utterances: speaking rate, pause share, median F0, F0 range.

Rate and pauses come from token durations (the model's predicted durations for synthesized
speech, the corpus alignment for recordings), over the span from the first to the last spoken
phoneme, so leading and trailing silence never counts. Pauses are the pause, clause
punctuation and word-boundary tokens inside that span. F0 is librosa's pYIN over the voiced
frames of all utterances together.
"""

from __future__ import annotations

from collections.abc import Sequence

import librosa
import numpy as np

from voxgraft.data.features import pyin_f0
from voxgraft.data.symbols import BLANK, CLAUSE_PUNCTUATION, PAUSE, SPECIALS, WORD_BOUNDARY

PAUSE_TOKENS = frozenset((PAUSE, WORD_BOUNDARY, *CLAUSE_PUNCTUATION))
F0_MIN, F0_MAX = 50.0, 600.0
F0_SAMPLE_RATE = 16_000  # pYIN's cost grows with the sample rate; F0 needs no more
F0_FRAME = 1024


def is_phoneme(token: str) -> bool:
    return token not in SPECIALS


def cadence(utterances: Sequence[tuple[Sequence[str], Sequence[float]]]) -> tuple[float, float]:
    """(phonemes per second, share of time in pauses) over utterances of (tokens, seconds)."""
    phonemes = spoken = paused = 0.0
    for tokens, seconds in utterances:
        if len(tokens) != len(seconds):
            raise ValueError(f"{len(tokens)} tokens but {len(seconds)} durations")
        spoken_idx = [i for i, t in enumerate(tokens) if is_phoneme(t)]
        if not spoken_idx:
            continue
        first, last = spoken_idx[0], spoken_idx[-1]
        span = [(tokens[i], float(seconds[i])) for i in range(first, last + 1)]
        phonemes += len(spoken_idx)
        spoken += sum(s for _, s in span)
        paused += sum(s for t, s in span if t in PAUSE_TOKENS)
    if spoken <= 0:
        return float("nan"), float("nan")
    return phonemes / spoken, paused / spoken


def drop_blanks(tokens: Sequence[str], seconds: Sequence[float]) -> tuple[list[str], list[float]]:
    """Blank tokens' time goes to the token before them (VITS intersperses blanks; their time
    belongs to the sound they follow)."""
    out_t: list[str] = []
    out_s: list[float] = []
    for t, s in zip(tokens, seconds):
        if t == BLANK:
            if out_s:
                out_s[-1] += float(s)
            continue
        out_t.append(t)
        out_s.append(float(s))
    return out_t, out_s


def voiced_f0(wav: np.ndarray, sample_rate: int) -> np.ndarray:
    """The voiced F0 values (Hz) of one waveform, tracked at 16 kHz."""
    wav = np.asarray(wav, dtype=np.float32)
    if sample_rate != F0_SAMPLE_RATE:
        wav = librosa.resample(wav, orig_sr=sample_rate, target_sr=F0_SAMPLE_RATE)
    if len(wav) < F0_FRAME or not np.any(wav):
        return np.zeros(0)
    f0 = pyin_f0(wav, F0_SAMPLE_RATE, F0_FRAME, F0_FRAME // 4, F0_MIN, F0_MAX)
    return f0[np.isfinite(f0)]


def f0_stats(wavs: Sequence[np.ndarray], sample_rate: int) -> tuple[float, float]:
    """(median F0 in Hz, F0 range in semitones between the 5th and 95th percentile)."""
    voiced = np.concatenate([voiced_f0(w, sample_rate) for w in wavs]) if wavs else np.zeros(0)
    if len(voiced) < 10:
        return float("nan"), float("nan")
    low, high = np.percentile(voiced, [5, 95])
    return float(np.median(voiced)), float(12 * np.log2(high / low))
