import pytest

from voxgraft.data.symbols import (
    BLANK,
    PAD,
    SymbolTable,
    UnknownSymbolError,
    intersperse_blanks,
    split_stress,
)


def test_encode_decode_round_trip():
    table = SymbolTable.default()
    tokens = ["_", "ð", "ə", " ", "k", "w", "ˈ", "ɪ", "k", "."]
    assert table.decode(table.encode(tokens)) == tokens


def test_pad_and_blank_have_fixed_ids():
    table = SymbolTable.default()
    assert (table.pad_id, table.blank_id) == (0, 1)
    assert table.symbols[:2] == (PAD, BLANK)


def test_unknown_symbol_names_the_symbol():
    with pytest.raises(UnknownSymbolError, match="'ʀ'"):
        SymbolTable.default().encode(["a", "ʀ"])


def test_save_load_round_trip(tmp_path):
    table = SymbolTable.default().extended(["ʀ", "ɣ"])
    table.save(tmp_path)
    assert SymbolTable.load(tmp_path) == table
    assert not list(tmp_path.glob("*.tmp"))


def test_extending_never_moves_existing_ids():
    base = SymbolTable.default()
    bigger = base.extended(["ʀ", "a", "ʀ"])
    assert bigger.symbols[: len(base)] == base.symbols
    assert len(bigger) == len(base) + 1


@pytest.mark.parametrize("content", ["not json", '{"version": 99, "symbols": []}', '{"version": 1}'])
def test_load_rejects_bad_files_with_the_path(tmp_path, content):
    path = tmp_path / "symbols.json"
    path.write_text(content)
    with pytest.raises(ValueError, match="symbols.json"):
        SymbolTable.load(path)


def test_table_must_start_with_pad_and_blank():
    with pytest.raises(ValueError, match="must start"):
        SymbolTable(("a", PAD, BLANK))


def test_intersperse_blanks():
    assert intersperse_blanks([5, 6], 1) == [1, 5, 1, 6, 1]
    assert intersperse_blanks([], 1) == [1]


def test_split_stress():
    assert split_stress("ˈaɪ") == ["ˈ", "aɪ"]
    assert split_stress("ˌoʊ") == ["ˌ", "oʊ"]
    assert split_stress("t") == ["t"]
