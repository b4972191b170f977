"""The Arrow feature cache: a second run computes nothing, a changed file recomputes only itself."""

import numpy as np
import soundfile as sf
import torch

from voxgraft.cli import main
from voxgraft.data.check import load_corpus
from voxgraft.data.feature_cache import cache_path, prepare_features
from voxgraft.data.features import FeatureParams, linear_spectrogram


def _computed(corpus, **kw):
    counts = []
    store = prepare_features(corpus, progress=lambda done, n, computed: counts.append(computed), **kw)
    return store, counts[-1]


def test_second_run_recomputes_nothing_and_a_change_recomputes_one(recipient_copy):
    corpus = load_corpus(recipient_copy)
    store, computed = _computed(corpus)
    assert computed == len(corpus.utterances) == len(store)
    path = store.path
    mtime = path.stat().st_mtime_ns

    store, computed = _computed(corpus)
    assert computed == 0
    assert path.stat().st_mtime_ns == mtime  # not even rewritten

    wav_path = recipient_copy / "wavs" / "utt00003.wav"
    audio, sr = sf.read(wav_path, dtype="int16")
    sf.write(wav_path, (audio // 2).astype(np.int16), sr, subtype="PCM_16")
    store, computed = _computed(corpus)
    assert computed == 1
    expected = linear_spectrogram(torch.from_numpy(sf.read(wav_path, dtype="float32")[0])).numpy()
    np.testing.assert_allclose(store.spec("utt00003"), expected, rtol=1e-5)
    assert len(store) == len(corpus.utterances)


def test_cached_arrays_have_the_right_shapes(corpora):
    corpus = load_corpus(corpora["recipient"])
    store = prepare_features(corpus)
    p = FeatureParams()
    for utt in corpus.utterances:
        n = len(sf.read(utt.audio_path)[0])
        frames = store.n_frames(utt.utterance_id)
        assert frames == n // p.hop_length
        assert store.spec(utt.utterance_id).shape == (p.n_bins, frames)
        assert store.mel(utt.utterance_id).shape == (p.n_mels, frames)
        assert store.f0(utt.utterance_id).shape == (frames,)
        assert len(store.wav(utt.utterance_id)) == n


def test_damaged_cache_is_rebuilt(recipient_copy):
    corpus = load_corpus(recipient_copy)
    path = cache_path(corpus.root, FeatureParams())
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not arrow at all")
    store, computed = _computed(corpus)
    assert computed == len(corpus.utterances)
    assert len(store) == len(corpus.utterances)


def test_removed_utterances_leave_the_cache(recipient_copy):
    corpus = load_corpus(recipient_copy)
    prepare_features(corpus)
    lines = (recipient_copy / "metadata.csv").read_text().splitlines()
    (recipient_copy / "metadata.csv").write_text("\n".join(lines[:4]) + "\n")
    store, computed = _computed(load_corpus(recipient_copy))
    assert computed == 0 and len(store) == 4


def test_cli_features_refuses_broken_corpus_and_writes_no_cache(recipient_copy, capsys):
    (recipient_copy / "wavs" / "utt00000.wav").unlink()
    assert main(["corpus", "features", str(recipient_copy)]) == 2
    assert "utt00000.wav: missing" in capsys.readouterr().err
    assert not (recipient_copy / ".voxgraft_cache").exists()


def test_cli_features_with_cache_dir(recipient_copy, tmp_path, capsys):
    assert main(["corpus", "features", str(recipient_copy), "--cache-dir", str(tmp_path / "cache")]) == 0
    assert list((tmp_path / "cache").glob("features-*.arrow"))
    assert "features for 12 utterances" in capsys.readouterr().out


def test_other_sample_rates_are_resampled_to_the_model_rate(recipient_copy):
    import librosa

    wav_path = recipient_copy / "wavs" / "utt00000.wav"
    audio, sr = sf.read(wav_path, dtype="float32")
    sf.write(wav_path, librosa.resample(audio, orig_sr=sr, target_sr=44100), 44100, subtype="PCM_16")
    store = prepare_features(load_corpus(recipient_copy))
    assert abs(len(store.wav("utt00000")) - len(audio)) <= 2
    assert store.n_frames("utt00000") == len(store.wav("utt00000")) // 256
