"""`voxgraft synth`: speaking with predicted durations and with a reference's durations."""

import shutil

import pytest
import soundfile as sf

from tests.conftest import snapshot
from voxgraft.cli import main
from voxgraft.data.corpus import read_corpus
from voxgraft.speak import Reference, SpeakError, speak


@pytest.fixture(scope="module")
def reference(tiny_recipient):
    _, corpus_dir, _ = tiny_recipient
    utt = read_corpus(corpus_dir).utterances[-1]  # held out in pretraining
    return corpus_dir, utt


def test_speaks_with_predicted_durations_at_about_the_recorded_pace(tiny_recipient, reference, tmp_path):
    model_dir, _, _ = tiny_recipient
    _, utt = reference
    seconds = speak(model_dir, utt.text, tmp_path / "out.wav")
    info = sf.info(str(tmp_path / "out.wav"))
    assert info.samplerate == 22050 and info.channels == 1
    recorded = sf.info(str(utt.audio_path)).duration
    assert 0.6 * recorded < seconds < 1.5 * recorded
    wav, _ = sf.read(str(tmp_path / "out.wav"))
    assert abs(wav).max() > 0.01  # not silence


def test_reference_durations_give_the_reference_length(tiny_recipient, reference, tmp_path):
    model_dir, corpus_dir, _ = tiny_recipient
    _, utt = reference
    seconds = speak(model_dir, utt.text, tmp_path / "out.wav", Reference(corpus_dir, utt.utterance_id))
    frames = int(sf.info(str(utt.audio_path)).frames) // 256
    assert seconds == pytest.approx(frames * 256 / 22050)


def test_reference_with_other_words_is_refused_and_nothing_written(tiny_recipient, reference, tmp_path):
    model_dir, corpus_dir, _ = tiny_recipient
    _, utt = reference
    with pytest.raises(SpeakError, match="reference durations need the same words"):
        speak(model_dir, "Something else entirely.", tmp_path / "out.wav", Reference(corpus_dir, utt.utterance_id))
    with pytest.raises(SpeakError, match="no utterance 'nope'"):
        speak(model_dir, utt.text, tmp_path / "out.wav", Reference(corpus_dir, "nope"))
    with pytest.raises(SpeakError, match="CORPUS:UTTERANCE_ID"):
        Reference.parse("just-a-corpus")
    assert list(tmp_path.iterdir()) == []


def test_a_model_without_symbols_is_refused(tiny_recipient, tmp_path):
    model_dir, _, _ = tiny_recipient
    copy = tmp_path / "model"
    shutil.copytree(model_dir, copy)
    (copy / "symbols.json").unlink()
    before = snapshot(copy)
    with pytest.raises(SpeakError, match="no symbols.json"):
        speak(copy, "Hello there.", tmp_path / "out.wav")
    assert snapshot(copy) == before and not (tmp_path / "out.wav").exists()


def test_cli_synth_and_its_bad_input(tiny_recipient, reference, tmp_path, capsys):
    model_dir, corpus_dir, _ = tiny_recipient
    _, utt = reference
    assert main(["synth", str(model_dir), utt.text, str(tmp_path / "a.wav"), "--ref-durations", f"{corpus_dir}:{utt.utterance_id}"]) == 0
    assert "wrote" in capsys.readouterr().out
    assert main(["synth", str(model_dir), "Other words.", str(tmp_path / "b.wav"), "--ref-durations", f"{corpus_dir}:{utt.utterance_id}"]) == 2
    assert "same words" in capsys.readouterr().err
    assert not (tmp_path / "b.wav").exists()
