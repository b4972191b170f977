"""`synth` speaks long text sentence by sentence (memory bounded by the longest sentence: 10,000
characters peaked at 1.2 GB on the joe voice, measured, where one pass took 23 GB); a single
sentence over the limit is a one-line error before any model is loaded."""

import json
import shutil

import pytest

from tests.conftest import snapshot
from voxgraft.cli import main
from voxgraft.data.symbols import SymbolTable
from voxgraft.models.speak import (
    MAX_SENTENCE_CHARS,
    MAX_SENTENCE_IDS,
    MAX_SENTENCE_SECONDS,
    NothingToSay,
    SpeakError,
    sentence_inputs,
    sentences,
)


def test_text_is_split_into_sentences_at_their_ends():
    assert sentences("One. Two! Three? Four; five, six.") == ["One.", "Two!", "Three?", "Four;", "five, six."]
    assert sentences("Mr.Smith went home.") == ["Mr.Smith went home."]  # no space: not a sentence end


def test_a_sentence_over_the_limit_is_refused_by_number():
    long = "word " * (MAX_SENTENCE_CHARS // 5 + 1)
    with pytest.raises(SpeakError, match=f"sentence 2 has {len(long.strip())} characters; the limit is {MAX_SENTENCE_CHARS}"):
        sentences("Fine. " + long)


def test_sentences_with_nothing_to_say_are_skipped_but_not_all():
    table = SymbolTable.default()
    assert len(sentence_inputs(table, "Hello there. ... Goodbye.", None)) == 2
    with pytest.raises(NothingToSay):
        sentence_inputs(table, "... ...", None)


def test_cli_refuses_an_overlong_sentence_before_loading_anything(tmp_path, capsys):
    model = tmp_path / "model"
    model.mkdir()
    SymbolTable.default().save(model)  # no weights at all: the refusal must come first
    before = snapshot(tmp_path)
    assert main(["synth", str(model), "a" * (MAX_SENTENCE_CHARS + 1), str(tmp_path / "out.wav")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"sentence 1 has {MAX_SENTENCE_CHARS + 1} characters" in err
    assert snapshot(tmp_path) == before


# Issue 34, cases 7 and 9: every number in a documented range, every length bounded, every bad
# model file one line; exit 2 and nothing written each time.

def _refused_line(argv, tmp_path, capsys, needle):
    before = snapshot(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err, err
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("knob, value, needle", [
    ("--noise-scale", "nan", "--noise-scale must be in [0, 2], got nan"),
    ("--noise-w", "inf", "--noise-w must be in [0, 2], got inf"),
    ("--noise-scale", "-0.1", "--noise-scale must be in [0, 2]"),
    ("--length-scale", "1000", "--length-scale must be in [0.1, 10], got 1000.0"),
    ("--length-scale", "0", "--length-scale must be in [0.1, 10]"),
])
def test_synth_knobs_outside_their_ranges_are_refused(tmp_path, capsys, knob, value, needle):
    model = tmp_path / "model"
    model.mkdir()
    SymbolTable.default().save(model)
    _refused_line(["synth", str(model), "Hello.", str(tmp_path / "out.wav"), knob, value], tmp_path, capsys, needle)


def test_a_sentence_of_too_many_phonemes_is_refused_though_short_in_characters():
    # 399 CJK characters: under the character limit, 5,283 ids through eSpeak (took 3.8 GB)
    with pytest.raises(SpeakError, match=f"sentence 1 has \\d+ phoneme ids; the limit is {MAX_SENTENCE_IDS}"):
        sentence_inputs(SymbolTable.default(), "中" * 399, None)


@pytest.fixture
def model_copy(tiny_recipient, tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(tiny_recipient[0], copy, ignore=shutil.ignore_patterns("training_state.pt"))
    return copy


def test_speech_longer_than_the_limit_is_refused_before_the_decoder_runs(model_copy, tmp_path, capsys):
    text = "The quick brown fox jumps over the lazy dog, and then it runs away into the forest again " * 4
    _refused_line(["synth", str(model_copy), text.strip() + ".", str(tmp_path / "out.wav"), "--length-scale", "10"], tmp_path, capsys,
                  f"the limit is {MAX_SENTENCE_SECONDS:g} s a sentence")


def test_synth_into_a_folder_is_one_line(model_copy, tmp_path, capsys):
    (tmp_path / "takes").mkdir()
    _refused_line(["synth", str(model_copy), "Hello.", str(tmp_path / "takes")], tmp_path, capsys, "is a folder; give the path of a .wav")


def test_a_truncated_symbols_file_is_one_line(model_copy, tmp_path, capsys):
    text = (model_copy / "symbols.json").read_text()
    (model_copy / "symbols.json").write_text(text[: len(text) // 2])
    _refused_line(["synth", str(model_copy), "Hello.", str(tmp_path / "out.wav")], tmp_path, capsys, "not a readable symbol table")


def test_symbols_past_the_models_vocabulary_are_one_line(model_copy, tmp_path, capsys):
    data = json.loads((model_copy / "symbols.json").read_text())
    data["symbols"] += [f"x{i}" for i in range(8)]  # ids the text encoder has no rows for
    (model_copy / "symbols.json").write_text(json.dumps(data))
    _refused_line(["synth", str(model_copy), "Hello.", str(tmp_path / "out.wav")], tmp_path, capsys, "but the model's text encoder embeds only")


def test_a_config_whose_vocabulary_disagrees_with_the_weights_is_one_line(model_copy, tmp_path, capsys):
    config = json.loads((model_copy / "config.json").read_text())
    config["vocab_size"] += 5
    (model_copy / "config.json").write_text(json.dumps(config))
    _refused_line(["synth", str(model_copy), "Hello.", str(tmp_path / "out.wav")], tmp_path, capsys, "cannot load as VitsModel")
