"""Spectral features exactly as VITS computes them, and F0 for evaluation.

Linear spectrogram: the waveform is reflect-padded by (n_fft - hop) / 2 on both sides and
framed without centring, so a clip of N samples has N // hop frames and frame k covers samples
[k * hop, (k + 1) * hop). Mel: librosa's Slaney mel basis applied to that magnitude, then
log with a 1e-5 floor (VITS's dynamic range compression).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from functools import lru_cache

import librosa
import numpy as np
import torch

from voxgraft.data.pyin_banded import pyin_banded


@dataclass(frozen=True)
class FeatureParams:
    sample_rate: int = 22050
    n_fft: int = 1024
    hop_length: int = 256
    win_length: int = 1024
    n_mels: int = 80
    f_min: float = 0.0
    f_max: float | None = None
    f0_min: float = 50.0
    f0_max: float = 600.0

    @property
    def n_bins(self) -> int:
        return self.n_fft // 2 + 1

    def key(self) -> str:
        """A short hash naming these parameters in cache file names."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]

    def n_frames(self, n_samples: int) -> int:
        return n_samples // self.hop_length


@lru_cache(maxsize=8)
def _window(win_length: int) -> torch.Tensor:
    return torch.hann_window(win_length)


@lru_cache(maxsize=8)
def _mel_basis(params: FeatureParams) -> torch.Tensor:
    basis = librosa.filters.mel(
        sr=params.sample_rate, n_fft=params.n_fft, n_mels=params.n_mels, fmin=params.f_min, fmax=params.f_max
    )
    return torch.from_numpy(basis).float()


def linear_spectrogram(wav: torch.Tensor, params: FeatureParams = FeatureParams()) -> torch.Tensor:
    """Magnitude spectrogram: (..., samples) -> (..., n_fft // 2 + 1, samples // hop)."""
    shape = wav.shape
    flat = wav.reshape(-1, shape[-1]).float()
    pad = (params.n_fft - params.hop_length) // 2
    flat = torch.nn.functional.pad(flat.unsqueeze(1), (pad, pad), mode="reflect").squeeze(1)
    stft = torch.stft(
        flat,
        params.n_fft,
        hop_length=params.hop_length,
        win_length=params.win_length,
        window=_window(params.win_length).to(flat.device),
        center=False,
        return_complex=True,
    )
    mag = torch.sqrt(stft.real.pow(2) + stft.imag.pow(2) + 1e-6)
    return mag.reshape(*shape[:-1], *mag.shape[-2:])


def mel_from_linear(spec: torch.Tensor, params: FeatureParams = FeatureParams()) -> torch.Tensor:
    """(..., bins, frames) magnitude -> (..., n_mels, frames) log-mel."""
    mel = torch.matmul(_mel_basis(params).to(spec.device), spec)
    return torch.log(torch.clamp(mel, min=1e-5))


def mel_spectrogram(wav: torch.Tensor, params: FeatureParams = FeatureParams()) -> torch.Tensor:
    return mel_from_linear(linear_spectrogram(wav, params), params)


def pyin_f0(wav: np.ndarray, sample_rate: int, frame_length: int, hop_length: int, fmin: float, fmax: float) -> np.ndarray:
    """F0 in Hz per pYIN frame (centred on k * hop), NaN where unvoiced: voxgraft's one F0 tracker,
    pYIN decoded over its transition band (data/pyin_banded.py), 5-10x faster than librosa's."""
    return pyin_banded(np.asarray(wav, dtype=np.float32), sample_rate, frame_length, hop_length, fmin, fmax)


def reference_pyin_f0(wav: np.ndarray, sample_rate: int, frame_length: int, hop_length: int, fmin: float, fmax: float) -> np.ndarray:
    """The same frames by librosa.pyin: the reference `pyin_f0` is tested and benchmarked against."""
    f0, _, _ = librosa.pyin(
        np.asarray(wav, dtype=np.float32), fmin=fmin, fmax=fmax, sr=sample_rate,
        frame_length=frame_length, hop_length=hop_length, center=True,
    )
    return f0


def f0_track(wav: np.ndarray, params: FeatureParams = FeatureParams()) -> np.ndarray:
    """F0 in Hz per spectrogram frame (NaN where unvoiced)."""
    n_frames = params.n_frames(len(wav))
    f0 = pyin_f0(wav, params.sample_rate, params.win_length, params.hop_length, params.f0_min, params.f0_max)
    # pYIN centres frames on k * hop; VITS frames are centred on k * hop + hop / 2. Half a hop
    # is below pYIN's resolution, so take pYIN's frame k for VITS frame k.
    out = np.full(n_frames, np.nan, dtype=np.float32)
    out[: min(n_frames, len(f0))] = f0[:n_frames]
    return out
