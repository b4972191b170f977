"""Speaker similarity with a pretrained speaker encoder that works offline.

The network and its weights are Resemblyzer's GE2E encoder (a 3-layer LSTM over 40-band mel
frames; the weights ship inside the `resemblyzer` wheel). We run the weights in our own small
module instead of importing `resemblyzer`: its package import pulls in `webrtcvad`, whose
sdist imports `pkg_resources`, which current setuptools no longer has. We only need the network.

Preprocessing follows how the encoder was trained: 16 kHz, long silences removed (here by an
energy threshold instead of webrtcvad), loudness normalized to -30 dBFS, power mel with a 25 ms
window and 10 ms hop, 1.6 s partial windows at 1.3 per second. An utterance's embedding is the
L2-normed mean of its partials' embeddings; all partials of a batch of utterances go through
the LSTM together.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import librosa
import numpy as np
import torch
from torch import nn

from voxgraft.evaluate.numpy_threads import single_threaded_numpy

SAMPLE_RATE = 16_000
N_MELS = 40
WINDOW = 400  # 25 ms
HOP = 160  # 10 ms
PARTIAL_FRAMES = 160  # 1.6 s
PARTIAL_STEP = 77  # frames between partial starts: 1.3 partials per second
MIN_COVERAGE = 0.75  # a last partial shorter than this share of PARTIAL_FRAMES is dropped
TARGET_DBFS = -30.0
SILENCE_TOP_DB = 40.0
HIDDEN = 256


class SpeakerEncoderError(RuntimeError):
    pass


def weights_path() -> Path:
    """Where the resemblyzer wheel put its weights (found without importing the package)."""
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        raise SpeakerEncoderError("the speaker encoder needs the resemblyzer wheel: pip install resemblyzer")
    path = Path(next(iter(spec.submodule_search_locations))) / "pretrained.pt"
    if not path.exists():
        raise SpeakerEncoderError(f"{path}: resemblyzer's pretrained speaker encoder weights are missing")
    return path


def preprocess(wav: np.ndarray, sample_rate: int) -> np.ndarray:
    """16 kHz, silences longer than a breath removed, loudness normalized."""
    wav = np.asarray(wav, dtype=np.float32)
    if sample_rate != SAMPLE_RATE:
        wav = librosa.resample(wav, orig_sr=sample_rate, target_sr=SAMPLE_RATE)
    intervals = librosa.effects.split(wav, top_db=SILENCE_TOP_DB, frame_length=WINDOW, hop_length=HOP)
    if len(intervals):
        wav = np.concatenate([wav[a:b] for a, b in intervals])
    rms = float(np.sqrt(np.mean(wav.astype(np.float64) ** 2))) if len(wav) else 0.0
    if rms > 0:
        wav = wav * (10 ** (TARGET_DBFS / 20) / rms)
    return wav


def partial_mels(wav: np.ndarray) -> np.ndarray:
    """(partials, PARTIAL_FRAMES, N_MELS) windows covering the whole (preprocessed) utterance."""
    n_frames = len(wav) // HOP + 1
    starts = list(range(0, max(1, n_frames - PARTIAL_FRAMES + PARTIAL_STEP + 1), PARTIAL_STEP))
    if len(starts) > 1 and (n_frames - starts[-1]) / PARTIAL_FRAMES < MIN_COVERAGE:
        starts.pop()
    needed = (starts[-1] + PARTIAL_FRAMES) * HOP
    wav = np.pad(wav, (0, max(0, needed - len(wav))))
    mel = librosa.feature.melspectrogram(
        y=wav, sr=SAMPLE_RATE, n_fft=WINDOW, hop_length=HOP, n_mels=N_MELS
    ).T.astype(np.float32)
    return np.stack([mel[s : s + PARTIAL_FRAMES] for s in starts])


class SpeakerEncoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(N_MELS, HIDDEN, num_layers=3, batch_first=True)
        self.linear = nn.Linear(HIDDEN, HIDDEN)

    @classmethod
    def pretrained(cls, device: torch.device | str = "cpu") -> SpeakerEncoder:
        checkpoint = torch.load(weights_path(), map_location="cpu", weights_only=True)
        encoder = cls()
        state = {k: v for k, v in checkpoint["model_state"].items() if not k.startswith("similarity_")}
        encoder.load_state_dict(state)
        return encoder.to(device).eval()

    def forward(self, mels: torch.Tensor) -> torch.Tensor:
        """(N, frames, N_MELS) -> (N, HIDDEN) L2-normed embeddings."""
        _, (hidden, _) = self.lstm(mels)
        return nn.functional.normalize(torch.relu(self.linear(hidden[-1])), dim=1)

    @torch.no_grad()
    @single_threaded_numpy
    def embed(self, wavs: list[np.ndarray], sample_rate: int) -> np.ndarray:
        """(len(wavs), HIDDEN) L2-normed utterance embeddings."""
        if not wavs:
            return np.zeros((0, HIDDEN), dtype=np.float32)
        partials = [partial_mels(preprocess(w, sample_rate)) for w in wavs]
        device = next(self.parameters()).device
        flat = self(torch.from_numpy(np.concatenate(partials)).to(device)).cpu().numpy()
        bounds = np.cumsum([0] + [len(p) for p in partials])
        means = np.stack([flat[a:b].mean(axis=0) for a, b in zip(bounds[:-1], bounds[1:])])
        return means / np.linalg.norm(means, axis=1, keepdims=True)


def centroid(embeddings: np.ndarray) -> np.ndarray:
    """A voice's centroid: the L2-normed mean of its utterance embeddings."""
    mean = np.asarray(embeddings, dtype=np.float64).mean(axis=0)
    return mean / np.linalg.norm(mean)


def similarity(embeddings: np.ndarray, reference: np.ndarray) -> float:
    """Mean cosine similarity of utterance embeddings to a centroid."""
    return float(np.mean(np.asarray(embeddings) @ np.asarray(reference)))
