"""Snap an aligner's pause edges to where the audio's energy actually falls and rises.

pocketsphinx places boundaries on a 10 ms grid with 30 ms minimum phones, so the edges of a
short pause between words are its weakest boundaries (measured on the eSpeak presets: errors
next to a pause were 1.3-1.5x those between two phonemes). Energy says where a pause begins
and ends far more precisely; each pause edge moves, within a small window, to the nearest
crossing of a level well under the utterance's speech.
"""

from __future__ import annotations

import numpy as np

from voxgraft.data.token_timing import SILENCE, TimedPhone

HOP_S = 0.005
WINDOW_S = 0.04  # an edge moves at most this far
BELOW_SPEECH_DB = 35.0  # quieter than the utterance's loud frames by this much is pause


def frame_db(audio: np.ndarray, rate: int) -> np.ndarray:
    hop = max(int(HOP_S * rate), 1)
    n = len(audio) // hop
    frames = audio[: n * hop].reshape(n, hop).astype(np.float64)
    return 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)


def _snap(t: float, quiet: np.ndarray, rising: bool) -> float:
    """The crossing nearest to t: quiet before and loud after (rising) or the reverse."""
    lo, hi = int((t - WINDOW_S) / HOP_S), int((t + WINDOW_S) / HOP_S)
    best = None
    for k in range(max(lo, 1), min(hi, len(quiet))):
        crossing = quiet[k - 1] and not quiet[k] if rising else not quiet[k - 1] and quiet[k]
        if crossing and (best is None or abs(k * HOP_S - t) < abs(best - t)):
            best = k * HOP_S
    return t if best is None else best


def snap_pause_edges(phones: list[TimedPhone], audio: np.ndarray, rate: int) -> list[TimedPhone]:
    """`phones` with each pause's start and end moved to the energy crossing nearest them."""
    db = frame_db(audio, rate)
    if not len(db):
        return phones
    quiet = db < np.percentile(db, 95) - BELOW_SPEECH_DB
    bounds = [p.start for p in phones] + [phones[-1].end]
    for i, p in enumerate(phones):
        if p.phone != SILENCE or p.end <= p.start:
            continue
        if i > 0 and phones[i - 1].phone != SILENCE:
            bounds[i] = _snap(p.start, quiet, rising=False)
        if i + 1 < len(phones) and phones[i + 1].phone != SILENCE:
            bounds[i + 1] = _snap(p.end, quiet, rising=True)
    bounds = np.maximum.accumulate(np.asarray(bounds))
    return [TimedPhone(p.phone, float(bounds[i]), float(bounds[i + 1])) for i, p in enumerate(phones)]
