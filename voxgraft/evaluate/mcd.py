"""Mel-cepstral distortion between two renderings of the same text, aligned by DTW.

Cepstra are taken as MCD defines them: the real cepstrum of the natural-log amplitude spectrum,
here on a 40-band mel scale (c_k = 1/M * sum_m ln|X_m| cos(pi k (2m + 1) / 2M), the DCT-II
form of the inverse transform), c1..c24; c0 (loudness) is left out. MCD per frame pair is
(10 / ln 10) * sqrt(2 * sum_k (c_k - c'_k)^2) dB, averaged along the DTW path. Only speech
frames (within 40 dB of the utterance's loudest) are compared: silence has no spectral envelope
to match, and near-empty bands get a floor 60 dB under the loudest band instead of log(0).
"""

from __future__ import annotations

import librosa
import numpy as np
import scipy.fft

N_CEPSTRA = 24
N_MELS = 40
SAMPLE_RATE = 22_050
SPEECH_WITHIN_DB = 40.0
FLOOR_DB = 60.0
MCD_SCALE = 10.0 / np.log(10.0)


def mel_cepstra(wav: np.ndarray, sample_rate: int) -> np.ndarray:
    """(speech frames, N_CEPSTRA) mel cepstra c1..c24."""
    wav = np.asarray(wav, dtype=np.float32)
    if sample_rate != SAMPLE_RATE:
        wav = librosa.resample(wav, orig_sr=sample_rate, target_sr=SAMPLE_RATE)
    power = librosa.feature.melspectrogram(y=wav, sr=SAMPLE_RATE, n_fft=1024, hop_length=256, n_mels=N_MELS)
    energy_db = 10 * np.log10(np.maximum(power.sum(axis=0), 1e-20))
    speech = power[:, energy_db >= energy_db.max() - SPEECH_WITHIN_DB]
    floor = max(float(speech.max()), 1e-20) * 10 ** (-FLOOR_DB / 10)
    log_amplitude = 0.5 * np.log(np.maximum(speech, floor))
    cepstra = scipy.fft.dct(log_amplitude, type=2, axis=0, norm=None) / (2 * N_MELS)
    return cepstra[1 : N_CEPSTRA + 1].T


def mcd_dtw(reference: np.ndarray, synthesized: np.ndarray, sample_rate: int) -> float:
    """Mean MCD (dB) along the DTW path between two waveforms."""
    a, b = mel_cepstra(reference, sample_rate), mel_cepstra(synthesized, sample_rate)
    _, path = librosa.sequence.dtw(X=a.T, Y=b.T, metric="euclidean")
    diff = a[path[:, 0]] - b[path[:, 1]]
    return float(np.mean(MCD_SCALE * np.sqrt(2.0 * np.sum(diff**2, axis=1))))
