import numpy as np
import pytest

from tests.evaluate.conftest import recordings
from voxgraft.evaluate.mcd import mcd_dtw


def test_mcd_is_zero_for_the_same_audio_and_grows_with_the_voice_difference(preset_voices):
    recipient, sr = recordings(preset_voices["recipient"])
    slow, _ = recordings(preset_voices["cadence_donor"])
    other, _ = recordings(preset_voices["timbre_donor"])
    assert mcd_dtw(recipient[0], recipient[0], sr) == pytest.approx(0.0, abs=1e-6)
    same_voice_slower = np.mean([mcd_dtw(a, b, sr) for a, b in zip(recipient, slow)])
    other_voice = np.mean([mcd_dtw(a, b, sr) for a, b in zip(recipient, other)])
    assert 0 < same_voice_slower < other_voice  # DTW absorbs the tempo, not the timbre


def test_mcd_ignores_leading_and_trailing_silence(preset_voices):
    wavs, sr = recordings(preset_voices["recipient"])
    padded = np.concatenate([np.zeros(sr, np.float32), wavs[1], np.zeros(sr, np.float32)])
    assert mcd_dtw(wavs[1], padded, sr) < 0.5
