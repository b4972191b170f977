"""The symbol table: phoneme token <-> integer id, saved beside every model so ids never drift.

Tokens are whole IPA phonemes as eSpeak NG names them ("aɪ", "tʃ", "ɪɹ"), not characters, so a
forced duration belongs to exactly one token. Stress marks are tokens of their own placed before
the phoneme they stress; they, the word boundary and the interspersed blank take zero frames in a
forced alignment. Clause ends are punctuation tokens, pauses without punctuation are "_".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from voxgraft.atomic import atomic_file

PAD = "<pad>"
BLANK = "<blank>"  # interspersed between tokens, as VITS's add_blank does
PAUSE = "_"
WORD_BOUNDARY = " "
STRESS_MARKS = ("ˈ", "ˌ")
CLAUSE_PUNCTUATION = (",", ".", "?", "!", ";", ":")

# eSpeak NG's English phonemes (en-us and en-gb) in IPA mode, plus a few it emits for loanwords.
ENGLISH_PHONEMES = (
    "a", "aɪ", "aɪə", "aɪɚ", "aʊ", "aʊə", "aʊɚ", "æ", "ɐ", "ɑ", "ɑː", "ɑːɹ", "ɑ̃", "ɒ",
    "b", "ç", "d", "dʒ", "ð", "e", "eə", "eɪ", "ɛ", "ɛɹ", "ə", "əl", "əʊ", "ɚ", "ɜ", "ɜː",
    "f", "ɡ", "h", "i", "iə", "iː", "ɪ", "ɪɹ", "ɪə", "j", "k", "l", "m", "n", "n̩", "ŋ",
    "o", "oː", "oːɹ", "oʊ", "ɔ", "ɔː", "ɔːɹ", "ɔɪ", "ɔ̃", "p", "ɹ", "ɾ", "s", "ʃ", "t",
    "tʃ", "θ", "u", "uː", "ʊ", "ʊɹ", "ʊə", "ʌ", "v", "w", "x", "ʍ", "z", "ʒ", "ʔ", "ᵻ", "ɬ",
)

SPECIALS = (PAD, BLANK, PAUSE, WORD_BOUNDARY, *STRESS_MARKS, *CLAUSE_PUNCTUATION)
FORMAT_VERSION = 1
FILENAME = "symbols.json"


class UnknownSymbolError(ValueError):
    def __init__(self, symbols: list[str]):
        self.symbols = sorted(set(symbols))
        shown = " ".join(repr(s) for s in self.symbols)
        super().__init__(f"symbols not in the symbol table: {shown}")


@dataclass(frozen=True)
class SymbolTable:
    symbols: tuple[str, ...]
    _ids: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(set(self.symbols)) != len(self.symbols):
            raise ValueError("symbol table has duplicate symbols")
        if self.symbols[:2] != (PAD, BLANK):
            raise ValueError(f"symbol table must start with {PAD!r}, {BLANK!r}")
        object.__setattr__(self, "_ids", {s: i for i, s in enumerate(self.symbols)})

    @classmethod
    def default(cls) -> SymbolTable:
        return cls(SPECIALS + ENGLISH_PHONEMES)

    def __len__(self) -> int:
        return len(self.symbols)

    def __contains__(self, symbol: str) -> bool:
        return symbol in self._ids

    @property
    def pad_id(self) -> int:
        return self._ids[PAD]

    @property
    def blank_id(self) -> int:
        return self._ids[BLANK]

    def unknown(self, tokens: list[str]) -> list[str]:
        return [t for t in tokens if t not in self._ids]

    def encode(self, tokens: list[str]) -> list[int]:
        missing = self.unknown(tokens)
        if missing:
            raise UnknownSymbolError(missing)
        return [self._ids[t] for t in tokens]

    def decode(self, ids: list[int]) -> list[str]:
        return [self.symbols[i] for i in ids]

    def model_input(self, tokens: list[str], durations: list[int] | None = None) -> tuple[list[int], list[int] | None]:
        """What the model reads: ids with blanks interspersed (and the frames per id, blanks
        zero, when `durations` gives frames per token)."""
        if durations is not None and len(durations) != len(tokens):
            raise ValueError(f"{len(durations)} durations for {len(tokens)} tokens")
        ids = intersperse_blanks(self.encode(tokens), self.blank_id)
        return ids, (None if durations is None else intersperse_blanks(list(durations), 0))

    def token_ends(self, tokens: list[str]) -> list[int | None]:
        """For each token, the index of the last model id it owns (its trailing blank)."""
        return [2 * i + 2 for i in range(len(tokens))]

    def extended(self, new_symbols: list[str]) -> SymbolTable:
        """A table with `new_symbols` appended; existing ids stay what they were."""
        extra = [s for s in dict.fromkeys(new_symbols) if s not in self._ids]
        return SymbolTable(self.symbols + tuple(extra))

    def save(self, directory: str | Path) -> Path:
        path = Path(directory) / FILENAME
        with atomic_file(path) as tmp:
            tmp.write_text(json.dumps({"version": FORMAT_VERSION, "symbols": list(self.symbols)}, ensure_ascii=False, indent=0))
        return path

    @classmethod
    def load(cls, path: str | Path) -> SymbolTable:
        data = read_symbols_file(path)
        if not isinstance(data.get("symbols"), list) or data.get("kind", "phonemes") != "phonemes":
            raise ValueError(f"{path}: not a phoneme symbol table (kind {data.get('kind')!r})")
        return cls(tuple(data["symbols"]))


def read_symbols_file(path: str | Path) -> dict:
    path = Path(path)
    if path.is_dir():
        path = path / FILENAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a readable symbol table ({exc})") from None
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
        raise ValueError(f"{path}: unsupported symbol table format")
    return data


def intersperse_blanks(ids: list[int], blank_id: int) -> list[int]:
    """[a, b] -> [blank, a, blank, b, blank], as VITS's add_blank."""
    out = [blank_id] * (2 * len(ids) + 1)
    out[1::2] = ids
    return out


def split_stress(phoneme: str) -> list[str]:
    """'ˈaɪ' -> ['ˈ', 'aɪ']: stress marks become tokens of their own."""
    tokens = []
    rest = phoneme
    while rest and rest[0] in STRESS_MARKS:
        tokens.append(rest[0])
        rest = rest[1:]
    if rest:
        tokens.append(rest)
    return tokens
