"""Signs of transplant rejection in synthesized audio, and the rejection score built from them.

Each sign is a number where larger is worse, with a threshold it must stay under:

| sign | what it measures | threshold |
|---|---|---|
| `clipping_share` | share of samples at or beyond full scale (|x| >= 0.99) | 0.01 |
| `silence_share` | share of 20 ms frames quieter than -60 dBFS: collapse to silence | 0.85 |
| `spectral_flatness` | median spectral flatness of the loud frames (within 30 dB of the loudest): noise, warble, buzz | 0.30 |
| `highband_ratio` | share of the loud frames' energy above 7 kHz: crackle | 0.25 |
| `loss_spike` | largest training loss since the last evaluation over their median | 5.0 |
| `one_frame_token_share` | share of the trial's alignment path ids (held-out) with exactly one frame: MAS collapse | 0.5 |
| `token_frame_share_max` | largest share of a held-out utterance's frames held by one id of that path | 0.4 |
| `words_lost` | Whisper's WER above the worse of the untouched recipient's and the donor's recordings' | 0.10 |
| `quality_lost` | DNSMOS OVRL below the worse of the untouched recipient's and the donor's recordings' | 0.30 |

`rejection_score` is the largest sign divided by its threshold, so under 1 means every sign is
within bounds; a transplant is `rejected` when the score reaches 1 or a loss turns non-finite.
The thresholds sit well above what the synthetic voices' recordings (whispers included) and a
healthy tiny model's speech measure, and below deliberately clipped, noisy or silent audio
(tests/evaluate/test_artifacts.py feeds both). The two judges' signs are measured against the
sweep's two ends: a transplant may move toward the donor's intelligibility and quality, never
past the worse of the two by more than the margin (docs/evaluation.md shows the measurements the
margins come from; tests/evaluate/test_judges.py plants damage in joe's speech).
"""

from __future__ import annotations

from collections.abc import Sequence

import librosa
import numpy as np

THRESHOLDS = {
    "clipping_share": 0.01,
    "silence_share": 0.85,
    "spectral_flatness": 0.30,
    "highband_ratio": 0.25,
    "loss_spike": 5.0,
    # The path a trial trains on (alignment_error.alignment_health): true paths measure about
    # 0.08 and 0.15; the degenerate MAS path that gave a backwards cadence transplant 0.97 and 0.60.
    "one_frame_token_share": 0.5,
    "token_frame_share_max": 0.4,
    "words_lost": 0.10,
    "quality_lost": 0.30,
}
FULL_SCALE = 0.99
SILENT_DBFS = -60.0
LOUD_WITHIN_DB = 30.0
HIGH_BAND_HZ = 7000.0
FRAME_S = 0.02


def audio_signs(wavs: Sequence[np.ndarray], sample_rate: int) -> dict[str, float]:
    """The audio signs over a set of utterances (samples and frames pooled)."""
    frame = int(FRAME_S * sample_rate)
    n_fft = 1 << (frame - 1).bit_length()
    samples = np.concatenate([np.asarray(w, dtype=np.float64) for w in wavs])
    clipping = float(np.mean(np.abs(samples) >= FULL_SCALE)) if len(samples) else 0.0
    rms_db, flatness, high = [], [], []
    freqs = librosa.fft_frequencies(sr=sample_rate, n_fft=n_fft)
    for w in wavs:
        w = np.asarray(w, dtype=np.float32)
        if len(w) < n_fft:
            w = np.pad(w, (0, n_fft - len(w)))
        power = np.abs(librosa.stft(w, n_fft=n_fft, hop_length=frame, win_length=frame)) ** 2
        rms = librosa.feature.rms(y=w, frame_length=n_fft, hop_length=frame)[0][: power.shape[1]]
        db = 20 * np.log10(np.maximum(rms, 1e-10))
        rms_db.append(db)
        loud = db >= db.max() - LOUD_WITHIN_DB
        loud &= db > SILENT_DBFS
        if loud.any():
            flatness.append(librosa.feature.spectral_flatness(S=power[:, loud], power=1.0)[0])
            high.append(power[freqs >= HIGH_BAND_HZ][:, loud].sum() / max(power[:, loud].sum(), 1e-20))
    all_db = np.concatenate(rms_db)
    return {
        "clipping_share": clipping,
        "silence_share": float(np.mean(all_db < SILENT_DBFS)),
        "spectral_flatness": float(np.median(np.concatenate(flatness))) if flatness else 0.0,
        "highband_ratio": float(np.mean(high)) if high else 0.0,
    }


def judge_signs(measures: dict[str, float], recipient: dict[str, float], donor: dict[str, float]) -> dict[str, float]:
    """words_lost and quality_lost of some speech against the two ends (NaN where the judges did
    not measure: then they are left out of the score, and the pages say so)."""
    def ends(name: str) -> np.ndarray:
        return np.array([measures.get(name, np.nan), recipient.get(name, np.nan), donor.get(name, np.nan)], dtype=np.float64)

    wer, ovrl = ends("wer"), ends("dnsmos_ovrl")  # NaN anywhere stays NaN
    return {"words_lost": float(wer[0] - wer[1:].max()), "quality_lost": float(ovrl[1:].min() - ovrl[0])}


def loss_spike(step_losses: Sequence[float]) -> float:
    """The largest step loss over the median (1 for a steady window, NaN if too few steps)."""
    values = np.asarray([v for v in step_losses if np.isfinite(v)], dtype=np.float64)
    if len(values) < 3:
        return float("nan")
    median = np.median(np.abs(values))
    return float(np.max(np.abs(values)) / median) if median > 0 else float("nan")


def rejection(signs: dict[str, float], non_finite_loss: bool = False) -> tuple[float, bool]:
    """(rejection_score, rejected) from the signs; NaN signs (not measurable) are left out."""
    ratios = [signs[k] / t for k, t in THRESHOLDS.items() if k in signs and np.isfinite(signs[k])]
    score = max(ratios) if ratios else float("nan")
    return score, bool(non_finite_loss or (np.isfinite(score) and score >= 1.0))
