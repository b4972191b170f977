import subprocess
import sys

import numpy as np
import pytest

from tests.evaluate.conftest import recordings
from voxgraft.evaluate.speaker import SpeakerEncoder, centroid, partial_mels, preprocess, similarity


@pytest.fixture(scope="module")
def encoder():
    return SpeakerEncoder.pretrained()


def test_same_voice_ranks_above_every_other_voice_for_every_preset_pair(encoder, preset_voices):
    """Half of each voice's utterances make its centroid; the other half must be nearer their
    own voice's centroid than any other preset's, for every ordered pair of presets."""
    halves = {}
    for name, corpus in preset_voices.items():
        wavs, sr = recordings(corpus)
        emb = encoder.embed(wavs, sr)
        halves[name] = (emb[: len(emb) // 2], emb[len(emb) // 2 :])
    centroids = {name: centroid(a) for name, (a, _) in halves.items()}
    for name, (_, held) in halves.items():
        own = similarity(held, centroids[name])
        for other in halves:
            if other != name:
                assert own > similarity(held, centroids[other]), (name, other)


def test_embeddings_are_unit_length_and_batching_changes_nothing(encoder, preset_voices):
    wavs, sr = recordings(preset_voices["woman"])
    together = encoder.embed(wavs[:3], sr)
    alone = np.concatenate([encoder.embed([w], sr) for w in wavs[:3]])
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_partials_cover_short_and_long_utterances():
    short = partial_mels(np.zeros(8000, dtype=np.float32))  # 0.5 s: one padded window
    long = partial_mels(np.random.default_rng(0).normal(size=16000 * 5).astype(np.float32))
    assert short.shape == (1, 160, 40)
    assert long.shape[0] == 5 and long.shape[1:] == (160, 40)


def test_preprocess_removes_long_silence_and_sets_loudness():
    rng = np.random.default_rng(0)
    speech = rng.normal(0, 0.3, 16000).astype(np.float32)
    padded = np.concatenate([np.zeros(16000, np.float32), speech, np.zeros(16000, np.float32)])
    out = preprocess(padded, 16000)
    assert len(out) < 1.2 * len(speech)
    assert 20 * np.log10(np.sqrt(np.mean(out**2))) == pytest.approx(-30.0, abs=0.01)


def test_the_encoder_works_without_webrtcvad_or_pkg_resources():
    """resemblyzer's own import needs webrtcvad, whose sdist imports pkg_resources; the
    encoder must not depend on either (a fresh machine has a setuptools without it)."""
    code = (
        "import sys; sys.modules['webrtcvad'] = None; sys.modules['pkg_resources'] = None\n"
        "import numpy as np\n"
        "from voxgraft.evaluate.speaker import SpeakerEncoder\n"
        "e = SpeakerEncoder.pretrained().embed([np.random.default_rng(0).normal(0, .1, 22050).astype('float32')], 22050)\n"
        "assert e.shape == (1, 256)\n"
        "assert 'resemblyzer.audio' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
