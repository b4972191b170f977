from voxgraft.data.phonemizer import phonemize
from voxgraft.data.sentences import MAX_WORDS, MIN_WORDS, generate_sentences, word_count
from voxgraft.data.symbols import SPECIALS, SymbolTable


def test_same_seed_same_sentences():
    assert generate_sentences(30, seed=3) == generate_sentences(30, seed=3)


def test_different_seeds_differ():
    assert generate_sentences(30, seed=3) != generate_sentences(30, seed=4)


def test_lengths_and_distinctness():
    sentences = generate_sentences(300, seed=0)
    assert len(set(sentences)) == 300
    assert all(MIN_WORDS <= word_count(s) <= MAX_WORDS for s in sentences)
    assert {s[-1] for s in sentences} == {".", "?", "!"}


def test_phonetically_varied_and_all_symbols_known():
    table = SymbolTable.default()
    phonemes = set()
    for s in generate_sentences(150, seed=1):
        tokens = phonemize(s)
        assert table.unknown(tokens) == [], s
        phonemes |= {t for t in tokens if t not in SPECIALS}
    # English has about 40 phonemes; the grammar's word list should reach nearly all of them.
    assert len(phonemes) >= 38, sorted(phonemes)
