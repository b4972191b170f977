"""Features as VITS computes them, checked against an independent librosa computation."""

import librosa
import numpy as np
import torch

from voxgraft.data.features import FeatureParams, f0_track, linear_spectrogram, mel_spectrogram

P = FeatureParams()


def test_frame_count_is_samples_over_hop():
    for n in (1000, 1024, 22050, 22050 + 255):
        assert linear_spectrogram(torch.randn(n)).shape == (P.n_bins, n // P.hop_length)


def test_linear_spectrogram_matches_librosa_stft():
    wav = np.random.default_rng(0).standard_normal(8000).astype(np.float32) * 0.1
    pad = (P.n_fft - P.hop_length) // 2
    ref = np.abs(librosa.stft(np.pad(wav, pad, mode="reflect"), n_fft=P.n_fft, hop_length=P.hop_length,
                              win_length=P.win_length, window="hann", center=False))
    ours = linear_spectrogram(torch.from_numpy(wav)).numpy()
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours, np.sqrt(ref**2 + 1e-6), rtol=1e-4, atol=1e-4)


def test_batched_equals_single():
    wav = torch.randn(2, 5000)
    batched = linear_spectrogram(wav)
    np.testing.assert_allclose(batched[1].numpy(), linear_spectrogram(wav[1]).numpy(), rtol=1e-5, atol=1e-5)


def test_mel_puts_a_tone_in_the_right_band():
    t = np.arange(22050) / 22050
    mel = mel_spectrogram(torch.from_numpy(np.sin(2 * np.pi * 1000 * t).astype(np.float32)))
    assert mel.shape == (P.n_mels, 22050 // P.hop_length)
    peak_bin = int(mel[:, 10:-10].mean(dim=1).argmax())
    centres = librosa.mel_frequencies(n_mels=P.n_mels + 2, fmin=P.f_min, fmax=P.sample_rate / 2)[1:-1]
    assert abs(centres[peak_bin] - 1000) < 100
    assert float(mel.min()) >= np.log(1e-5) - 1e-6  # the dynamic-range floor


def test_f0_of_a_220_hz_tone():
    t = np.arange(22050) / 22050
    f0 = f0_track((0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32))
    assert len(f0) == 22050 // P.hop_length
    assert abs(np.nanmedian(f0) - 220) < 3


def test_params_key_changes_with_params():
    assert FeatureParams().key() == FeatureParams().key()
    assert FeatureParams(n_mels=64).key() != FeatureParams().key()
