"""`synth` speaks long text sentence by sentence (memory bounded by the longest sentence: 10,000
characters peaked at 1.2 GB on the joe voice, measured, where one pass took 23 GB); a single
sentence over the limit is a one-line error before any model is loaded."""

import pytest

from tests.conftest import snapshot
from voxgraft.cli import main
from voxgraft.data.symbols import SymbolTable
from voxgraft.models.speak import MAX_SENTENCE_CHARS, NothingToSay, SpeakError, sentence_inputs, sentences


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
