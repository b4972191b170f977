"""The judges nobody here trained: Whisper for the words (intelligibility.py) and DNSMOS for the
quality of the speech (quality.py), loaded once per process and asked together.

A sweep may turn them off (`eval.judges: false`) for speed; then their metrics are NaN, every
page says they were not measured, and no rejection sign stands in for them. A judge that is
asked for but missing is bad input: `Judges` raises JudgeUnavailable with one line naming the
package or path, and a sweep asks for them before any work starts.
"""

from __future__ import annotations

from dataclasses import dataclass

import librosa
import numpy as np

from voxgraft.evaluate.intelligibility import SAMPLE_RATE, JudgeUnavailable, Whisper
from voxgraft.evaluate.quality import Dnsmos
from voxgraft.evaluate.registry import JUDGED

__all__ = ["JudgeSettings", "JudgeUnavailable", "Judges", "unmeasured"]


@dataclass(frozen=True)
class JudgeSettings:
    enabled: bool = True
    asr_model: str | None = None  # a CTranslate2 Whisper directory; None: the bundled tiny.en


class Judges:
    """Both judges, loaded; JudgeUnavailable (one line) when a package or model is missing."""

    def __init__(self, settings: JudgeSettings = JudgeSettings()):
        if not settings.enabled:
            raise ValueError("the judges are turned off; measure without them")
        self.settings = settings
        self.whisper = Whisper(settings.asr_model)
        self.dnsmos = Dnsmos()

    def measure(self, wavs: list[np.ndarray], sample_rate: int, texts: list[str]) -> tuple[dict[str, float], list[str]]:
        """The judges' metrics of some speech of `texts`, and what Whisper heard."""
        if sample_rate != SAMPLE_RATE:  # both judges hear 16 kHz: resample once
            wavs = [librosa.resample(np.asarray(w, dtype=np.float32), orig_sr=sample_rate, target_sr=SAMPLE_RATE) for w in wavs]
        words, heard = self.whisper.score(wavs, SAMPLE_RATE, texts)
        return words | self.dnsmos.score(wavs, SAMPLE_RATE), heard


def unmeasured() -> dict[str, float]:
    """The judges' metrics when they are turned off: NaN, never a number that looks fine."""
    return {name: float("nan") for name in JUDGED}
