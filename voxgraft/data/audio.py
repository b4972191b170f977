"""Reading audio files as float32 mono at the model's sample rate, and writing 16-bit wavs."""

from __future__ import annotations

import io
from pathlib import Path

import librosa
import numpy as np
import soundfile as sf

from voxgraft.atomic import atomic_file

MODEL_SAMPLE_RATE = 22050
SILENCE_PEAK = 1e-3  # about -60 dBFS: a file whose loudest sample stays below this is silence


class AudioError(ValueError):
    pass


def load_audio(path: str | Path, sample_rate: int = MODEL_SAMPLE_RATE) -> np.ndarray:
    """Samples of a mono file as float32 in [-1, 1], resampled to `sample_rate` when needed."""
    try:
        audio, file_rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise AudioError(f"{path}: unreadable audio ({exc})") from None
    if audio.shape[1] != 1:
        raise AudioError(f"{path}: {audio.shape[1]} channels; voxgraft needs mono audio")
    audio = audio[:, 0]
    if file_rate != sample_rate and len(audio):
        audio = librosa.resample(audio, orig_sr=file_rate, target_sr=sample_rate).astype(np.float32)
    return audio


def write_wav(path: str | Path, wav: np.ndarray, sample_rate: int) -> Path:
    """A 16-bit mono wav of float samples in [-1, 1] (clipped) or int16 samples, written atomically.
    Encoded in memory first: libsndfile reports a full disk as "System error.", while a plain file
    write raises OSError(ENOSPC) naming the file."""
    wav = np.asarray(wav)
    if np.issubdtype(wav.dtype, np.floating):  # int16 samples (eSpeak's) are written as they are
        wav = np.clip(wav, -1.0, 1.0)
    encoded = io.BytesIO()
    sf.write(encoded, wav, sample_rate, subtype="PCM_16", format="WAV")
    path = Path(path)
    with atomic_file(path) as tmp:
        tmp.write_bytes(encoded.getvalue())
    return path
