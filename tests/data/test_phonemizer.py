from voxgraft.data.phonemizer import clause_terminators, phonemize
from voxgraft.data.symbols import SymbolTable


def test_known_sentence():
    tokens = phonemize("The quick fox, jumps!")
    assert tokens == ["_", "ð", "ə", " ", "k", "w", "ˈ", "ɪ", "k", " ", "f", "ˈ", "ɑː", "k", "s", ",",
                      "dʒ", "ˈ", "ʌ", "m", "p", "s", "!"]


def test_text_without_final_punctuation_ends_in_a_pause():
    assert phonemize("Don't stop")[-1] == "_"


def test_nothing_to_say():
    assert phonemize("   ") == []
    assert phonemize("...") == []


def test_foreign_script_gives_unknown_symbols():
    unknown = SymbolTable.default().unknown(phonemize("Привет мир"))
    assert unknown


def test_clause_terminators_fall_back_to_pauses_when_unmatched():
    assert clause_terminators("one, two.", 2) == [",", "."]
    assert clause_terminators("one, two", 2) == [",", "_"]
    assert clause_terminators("a.b.c", 2) == ["_", "_"]
