"""WhisperX's alignment JSON -> timed phones.

WhisperX writes one JSON per audio file: `segments`, each with `words` holding `word`, `start`,
`end` and `score` (a word it could not align, often a number, has no times). It times words,
not phones, and its words gap and overlap. A word's span is split over its phonemes in
proportion to eSpeak NG's own durations for that word; untimed words share the time between
their timed neighbours. Gaps and overlaps are left for `token_timing.place` to count and repair.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

from voxgraft.data import espeak
from voxgraft.data.arpabet import token_arpabet
from voxgraft.data.espeak import EspeakError, VoiceSettings
from voxgraft.data.phonemizer import DEFAULT_LANGUAGE
from voxgraft.data.synth import events_to_intervals
from voxgraft.data.token_timing import TimedPhone


class WhisperXError(ValueError):
    pass


def read_words(path: str | Path) -> list[tuple[str, float | None, float | None]]:
    """(word, start, end) in speaking order; times None where WhisperX gave none."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        segments = data["segments"]
        words = [w for seg in segments for w in seg.get("words", [])]
        out = []
        for w in words:
            start, end = w.get("start"), w.get("end")
            timed = isinstance(start, (int, float)) and isinstance(end, (int, float)) and math.isfinite(start) and math.isfinite(end)
            out.append((str(w["word"]), float(start) if timed else None, float(end) if timed else None))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise WhisperXError(f"{path}: not WhisperX alignment JSON (segments -> words -> word/start/end): {exc!r}") from None
    if not out:
        raise WhisperXError(f"{path}: has no words")
    return out


def _fill_untimed(words: list[tuple[str, float | None, float | None]], total_s: float) -> list[tuple[str, float, float]]:
    """Untimed words share evenly the time between the timed words around them."""
    out: list[tuple[str, float, float]] = []
    i = 0
    while i < len(words):
        if words[i][1] is not None:
            out.append((words[i][0], words[i][1], words[i][2]))
            i += 1
            continue
        j = i
        while j < len(words) and words[j][1] is None:
            j += 1
        lo = out[-1][2] if out else 0.0
        hi = words[j][1] if j < len(words) else total_s
        step = max(hi - lo, 0.0) / (j - i)
        out.extend((words[k][0], lo + (k - i) * step, lo + (k - i + 1) * step) for k in range(i, j))
        i = j
    return out


@lru_cache(maxsize=4096)
def _espeak_shares(word: str) -> tuple[tuple[str, float], ...]:
    """(ARPAbet phone, share of the word's time) as eSpeak NG speaks the word alone."""
    try:
        audio, events = espeak.synthesize(word, VoiceSettings(DEFAULT_LANGUAGE))
    except EspeakError as exc:
        raise WhisperXError(f"eSpeak NG cannot speak the word {word!r}: {exc}") from None
    intervals = events_to_intervals(events, len(audio), [])
    phones = [(p, iv.duration / len(token_arpabet(iv.phoneme))) for iv in intervals for p in token_arpabet(iv.phoneme)]
    total = sum(d for _, d in phones)
    if not phones:
        return ()
    return tuple((p, d / total if total > 0 else 1 / len(phones)) for p, d in phones)


def word_phones(word: str, start: float, end: float) -> list[TimedPhone]:
    shares = _espeak_shares(word)
    out, cursor = [], start
    for phone, share in shares:
        nxt = cursor + share * (end - start)
        out.append(TimedPhone(phone, cursor, nxt))
        cursor = nxt
    return out


def whisperx_phones(path: str | Path, total_s: float) -> list[TimedPhone]:
    """Timed phones of one utterance from its WhisperX JSON."""
    return [p for word, start, end in _fill_untimed(read_words(path), total_s) for p in word_phones(word, start, end)]
