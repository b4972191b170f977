"""write_wav keeps int16 samples exact and clips float samples to [-1, 1]; load_audio reads them back."""

import numpy as np
import soundfile as sf

from voxgraft.data.audio import load_audio, write_wav


def test_int16_samples_are_written_exactly(tmp_path):
    samples = np.array([0, 1, -1, 300, -32768, 32767, 12345], dtype=np.int16)
    path = write_wav(tmp_path / "a.wav", samples, 22050)
    back, rate = sf.read(str(path), dtype="int16")
    assert rate == 22050 and np.array_equal(back, samples)


def test_float_samples_are_clipped_and_read_back(tmp_path):
    samples = np.array([0.0, 0.5, -0.5, 1.7, -3.0], dtype=np.float32)
    path = write_wav(tmp_path / "b.wav", samples, 22050)
    back = load_audio(path, 22050)
    assert np.allclose(back, [0.0, 0.5, -0.5, 1.0, -1.0], atol=1e-4)
    assert [p.name for p in tmp_path.iterdir()] == ["b.wav"]  # no temporary file left beside it
