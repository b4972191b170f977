"""Speech quality as the field measures it without a reference: Microsoft's DNSMOS.

The ONNX models are the ones the `speechmos` wheel ships (MIT): P.835 (`sig_bak_ovr.onnx`: the
signal, background and overall scores on 9.01 s of 16 kHz audio, mapped through DNSMOS's
published polynomials) and P.808 (`model_v8.onnx`, on a 120-band log-mel of the same window).
They run here on onnxruntime with one thread; `speechmos`'s own module is not imported (it
pulls in `requests` and `tqdm` for nothing we use).

A P.835 window costs about 0.23 s of this project's CPU whatever it holds, and the DNS
Challenge's script repeats every clip shorter than 9 s to fill one (three windows for a 3 s
sentence). Here the held-out set is scored as one recording instead: its sentences joined with
a short pause, covered end to end by as few 9.01 s windows as fit (the last one ends where the
speech ends), the window scores averaged. That is two windows for the demo's four sentences,
and scores speech as continuous as DNSMOS's 10 s training clips rather than a sentence looped
against itself; bench/RESULTS.md sets both side by side (the joined score reads 0.0-0.4 higher).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import librosa
import numpy as np

from voxgraft.evaluate.intelligibility import JudgeUnavailable
from voxgraft.evaluate.numpy_threads import single_threaded_numpy

SAMPLE_RATE = 16_000
WINDOW = int(9.01 * SAMPLE_RATE)  # P.835's input length
PAUSE_S = 0.3
P835_MODEL, P808_MODEL = "sig_bak_ovr.onnx", "model_v8.onnx"
# DNSMOS's mapping of the P.835 network's raw outputs to MOS (the non-personalized model)
POLYNOMIALS = {
    "dnsmos_sig": np.poly1d([-0.08397278, 1.22083953, 0.0052439]),
    "dnsmos_bak": np.poly1d([-0.13166888, 1.60915514, -0.39604546]),
    "dnsmos_ovrl": np.poly1d([-0.06766283, 1.11546468, 0.04602535]),
}


def models_dir() -> Path:
    """The speechmos wheel's DNSMOS models (found without importing the package)."""
    spec = importlib.util.find_spec("speechmos")
    if spec is None or not spec.submodule_search_locations:
        raise JudgeUnavailable("the quality judge needs DNSMOS's models: pip install speechmos")
    directory = Path(next(iter(spec.submodule_search_locations))) / "dnsmos_models"
    for name in (P835_MODEL, P808_MODEL):
        if not (directory / name).is_file():
            raise JudgeUnavailable(f"{directory / name}: DNSMOS's model is missing from the speechmos wheel")
    return directory


def joined(wavs: list[np.ndarray], sample_rate: int) -> np.ndarray:
    """The sentences at 16 kHz, joined with pauses; repeated whole when shorter than a window."""
    pause = np.zeros(int(PAUSE_S * SAMPLE_RATE), dtype=np.float32)
    parts = []
    for wav in wavs:
        wav = np.asarray(wav, dtype=np.float32)
        if sample_rate != SAMPLE_RATE:
            wav = librosa.resample(wav, orig_sr=sample_rate, target_sr=SAMPLE_RATE)
        parts += [pause, wav] if parts else [wav]
    audio = np.clip(np.concatenate(parts) if parts else np.zeros(0, np.float32), -1.0, 1.0)
    if not len(audio):
        audio = np.zeros(WINDOW, np.float32)  # nothing said scores as silence, not as an error
    while len(audio) < WINDOW:
        audio = np.concatenate([audio, audio])
    return audio


def windows(audio: np.ndarray) -> np.ndarray:
    """(N, WINDOW) windows covering `audio` end to end, evenly spaced, as few as fit."""
    count = int(np.ceil(len(audio) / WINDOW))
    starts = np.linspace(0, len(audio) - WINDOW, count).astype(int) if count > 1 else [0]
    return np.stack([audio[s : s + WINDOW] for s in starts])


def p808_features(window: np.ndarray) -> np.ndarray:
    """(900, 120) the P.808 network's input: a log-mel scaled to about [-1, 1], as DNSMOS makes it."""
    mel = librosa.feature.melspectrogram(y=window[:-160], sr=SAMPLE_RATE, n_fft=321, hop_length=160, n_mels=120)
    return ((librosa.power_to_db(mel, ref=np.max) + 40) / 40).T


class Dnsmos:
    def __init__(self) -> None:
        import onnxruntime as ort

        directory = models_dir()
        options = ort.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        self.p835 = ort.InferenceSession(str(directory / P835_MODEL), options, providers=["CPUExecutionProvider"])
        self.p808 = ort.InferenceSession(str(directory / P808_MODEL), options, providers=["CPUExecutionProvider"])

    @single_threaded_numpy
    def score(self, wavs: list[np.ndarray], sample_rate: int) -> dict[str, float]:
        """dnsmos_sig, dnsmos_bak, dnsmos_ovrl (P.835) and dnsmos_p808 of the sentences as one recording."""
        batch = windows(joined(wavs, sample_rate)).astype(np.float32)
        raw = self.p835.run(None, {"input_1": batch})[0]  # (N, 3): sig, bak, ovrl before the mapping
        scores = {name: float(np.mean(poly(raw[:, i]))) for i, (name, poly) in enumerate(POLYNOMIALS.items())}
        mels = np.stack([p808_features(w) for w in batch]).astype(np.float32)
        scores["dnsmos_p808"] = float(np.mean(self.p808.run(None, {"input_1": mels})[0][:, 0]))
        return scores
