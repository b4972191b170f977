import numpy as np
import pytest

from tests.evaluate.conftest import recordings
from voxgraft.evaluate.artifacts import THRESHOLDS, audio_signs, loss_spike, rejection


def _score(wavs, sr):
    return rejection(audio_signs(wavs, sr))


@pytest.mark.parametrize("voice", ["recipient", "cadence_donor", "timbre_donor", "man", "woman", "man_whisper", "woman_whisper"])
def test_clean_speech_passes(preset_voices, voice):
    score, rejected = _score(*recordings(preset_voices[voice]))
    assert not rejected and score < 0.5


@pytest.mark.parametrize(
    "corrupt, sign",
    [
        (lambda w, rng: np.clip(w * 8, -1, 1), "clipping_share"),
        (lambda w, rng: rng.normal(0, 0.1, len(w)).astype(np.float32), "spectral_flatness"),
        (lambda w, rng: w + rng.normal(0, np.std(w), len(w)).astype(np.float32), "spectral_flatness"),
        (lambda w, rng: np.zeros_like(w), "silence_share"),
        (lambda w, rng: w * 1e-4, "silence_share"),
        (lambda w, rng: w + np.sin(2 * np.pi * 9000 * np.arange(len(w)) / 22050).astype(np.float32) * 0.2, "highband_ratio"),
    ],
    ids=["clipped", "white-noise", "noise-0dB-snr", "silence", "near-silence", "high-whine"],
)
def test_corrupted_speech_is_rejected_for_the_right_reason(preset_voices, corrupt, sign):
    wavs, sr = recordings(preset_voices["recipient"])
    rng = np.random.default_rng(0)
    signs = audio_signs([corrupt(w, rng) for w in wavs], sr)
    score, rejected = rejection(signs)
    assert rejected and score >= 1.0
    assert signs[sign] >= THRESHOLDS[sign]
    assert max(signs, key=lambda k: signs[k] / THRESHOLDS[k]) == sign


def test_loss_spikes_and_non_finite_losses_reject():
    assert loss_spike([1.0, 1.1, 0.9, 1.0]) == pytest.approx(1.1)
    assert loss_spike([1.0, 1.0, 9.0, 1.0]) == pytest.approx(9.0)
    assert np.isnan(loss_spike([1.0]))
    assert rejection({"loss_spike": 9.0})[1]
    assert not rejection({"loss_spike": 1.1})[1]
    assert rejection({"loss_spike": 1.0}, non_finite_loss=True)[1]
    assert rejection({"loss_spike": float("nan")}) == (pytest.approx(float("nan"), nan_ok=True), False)
