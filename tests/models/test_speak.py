"""`voxgraft synth`: speaking with predicted durations and with a reference's durations."""

import shutil

import pytest
import soundfile as sf

from tests.conftest import snapshot
from voxgraft.cli import main
from voxgraft.data.corpus import read_corpus
from voxgraft.models.speak import Reference, SpeakError, speak


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


@pytest.fixture(scope="module")
def two_speaker_model(tmp_path_factory):
    """An untrained tiny two-speaker VitsModel directory with voxgraft's symbols."""
    import torch
    from transformers import VitsModel

    from voxgraft.data.symbols import SymbolTable
    from voxgraft.models.configs import named_config

    symbols = SymbolTable.default()
    config = named_config("tiny", len(symbols))
    config.num_speakers, config.speaker_embedding_size = 2, 16
    torch.manual_seed(0)
    model_dir = tmp_path_factory.mktemp("two_speakers")
    VitsModel(config).save_pretrained(str(model_dir))
    symbols.save(model_dir)
    return model_dir


def test_synth_speaks_as_the_chosen_speaker_of_a_multi_speaker_model(two_speaker_model, tmp_path):
    for speaker in (0, 1):
        assert main(["synth", str(two_speaker_model), "Hello there.", str(tmp_path / f"{speaker}.wav"), "--speaker", str(speaker)]) == 0
    first, _ = sf.read(str(tmp_path / "0.wav"))
    second, _ = sf.read(str(tmp_path / "1.wav"))
    assert first.shape != second.shape or abs(first - second).max() > 1e-4  # another speaker embedding, another sound


@pytest.mark.parametrize("extra, message", [([], "has 2 speakers: choose one of 0..1"), (["--speaker", "2"], "choose one of 0..1")])
def test_synth_without_a_valid_speaker_of_a_multi_speaker_model_is_one_line(two_speaker_model, tmp_path, capsys, extra, message):
    before = snapshot(tmp_path)
    assert main(["synth", str(two_speaker_model), "Hello there.", str(tmp_path / "out.wav"), *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert snapshot(tmp_path) == before


def test_synth_with_a_speaker_on_a_one_speaker_model_is_refused(tiny_recipient, tmp_path, capsys):
    model_dir, _, _ = tiny_recipient
    assert main(["synth", str(model_dir), "Hello there.", str(tmp_path / "out.wav"), "--speaker", "0"]) == 2
    assert "one speaker" in capsys.readouterr().err
    assert not (tmp_path / "out.wav").exists()
