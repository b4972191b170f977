"""Piper's tokenizer as a second kind of symbol table: one id per IPA codepoint.

Piper feeds its voices `^ _ c1 _ c2 _ ... cn _ $`: each codepoint of eSpeak NG's IPA (NFD) with
the pad `_` after it, between a begin `^` and an end `$`. voxgraft's tokens are whole phonemes
("aɪ", "ˈ", " ", ","), so `model_input` splits each into its codepoints and spreads a forced
duration over them deterministically (earlier codepoints take the remainder), totals exact. The
pads and the end take zero frames; a leading pause belongs to `^`, any other pause to the
codepoint before it. Piper puts a space after a clause's punctuation when another clause
follows, so this does too (zero frames).
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from voxgraft.atomic import atomic_file
from voxgraft.data.symbols import (
    BLANK,
    CLAUSE_PUNCTUATION,
    FILENAME,
    FORMAT_VERSION,
    PAUSE,
    WORD_BOUNDARY,
    SymbolTable,
    UnknownSymbolError,
    read_symbols_file,
)
from voxgraft.data.symbols import (
    PAD as PAD_NAME,
)

KIND = "piper"
BOS, EOS, PAD = "^", "$", "_"


def codepoints(token: str) -> list[str]:
    return list(unicodedata.normalize("NFD", token))


@dataclass(frozen=True)
class PiperSymbols:
    id_map: dict[str, int]
    language: str = "en-us"
    size: int = 0  # the embedding's rows (Piper's num_symbols); at least max id + 1

    def __post_init__(self) -> None:
        missing = [s for s in (BOS, EOS, PAD) if s not in self.id_map]
        if missing:
            raise ValueError(f"a Piper phoneme_id_map needs {BOS!r}, {EOS!r} and {PAD!r}; missing {missing}")
        object.__setattr__(self, "size", max(self.size, max(self.id_map.values()) + 1))

    @classmethod
    def from_piper_config(cls, config: dict) -> PiperSymbols:
        id_map = {symbol: int(ids[0]) for symbol, ids in config["phoneme_id_map"].items()}
        voice = (config.get("espeak") or {}).get("voice", "en-us")
        return cls(id_map, voice, int(config.get("num_symbols", 0)))

    def __len__(self) -> int:
        return self.size

    @property
    def pad_id(self) -> int:
        return self.id_map[PAD]

    @property
    def blank_id(self) -> int:  # the interspersed pad plays VITS's blank
        return self.id_map[PAD]

    @property
    def symbols(self) -> tuple[str, ...]:
        """Name per id as the evaluation reads them: the interspersed pad is a blank, `^` and `$`
        are padding (neither phoneme nor pause), every other id its codepoint."""
        names = [f"<unused {i}>" for i in range(self.size)]
        for symbol, i in self.id_map.items():
            names[i] = symbol
        names[self.pad_id] = BLANK
        names[self.id_map[BOS]] = names[self.id_map[EOS]] = PAD_NAME
        return tuple(names)

    def unknown(self, tokens: list[str]) -> list[str]:
        return [t for t in tokens if t != PAUSE and any(c not in self.id_map for c in codepoints(t))]

    def model_input(self, tokens: list[str], durations: list[int] | None = None) -> tuple[list[int], list[int] | None]:
        """Token ids (and frames per id when `durations` gives frames per token)."""
        missing = self.unknown(tokens)
        if missing:
            raise UnknownSymbolError(missing)
        if durations is not None and len(durations) != len(tokens):
            raise ValueError(f"{len(durations)} durations for {len(tokens)} tokens")
        frames = list(durations) if durations is not None else [0] * len(tokens)
        ids, out = [self.id_map[BOS], self.pad_id], [0, 0]
        for i, (token, d) in enumerate(zip(tokens, frames)):
            parts = [] if token == PAUSE else codepoints(token)
            if not parts:
                out[0 if len(ids) == 2 else -2] += d  # to `^`, or to the codepoint before it
                continue
            share, extra = divmod(d, len(parts))
            for j, c in enumerate(parts):
                ids += [self.id_map[c], self.pad_id]
                out += [share + (j < extra), 0]
            if token in CLAUSE_PUNCTUATION and i + 1 < len(tokens) and tokens[i + 1] not in (*CLAUSE_PUNCTUATION, WORD_BOUNDARY):
                ids += [self.id_map[WORD_BOUNDARY], self.pad_id]
                out += [0, 0]
        ids.append(self.id_map[EOS])
        out.append(0)
        return ids, (out if durations is not None else None)

    def save(self, directory: str | Path) -> Path:
        path = Path(directory) / FILENAME
        data = {"version": FORMAT_VERSION, "kind": KIND, "language": self.language, "size": self.size, "phoneme_id_map": self.id_map}
        with atomic_file(path) as tmp:
            tmp.write_text(json.dumps(data, ensure_ascii=False, indent=0))
        return path

    @classmethod
    def from_saved(cls, data: dict) -> PiperSymbols:
        return cls({k: int(v) for k, v in data["phoneme_id_map"].items()}, data.get("language", "en-us"), int(data.get("size", 0)))


def load_model_symbols(path: str | Path) -> SymbolTable | PiperSymbols:
    """A model directory's symbols.json, whichever kind it is."""
    data = read_symbols_file(path)
    if data.get("kind") == KIND:
        try:
            return PiperSymbols.from_saved(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}: damaged Piper symbol table ({exc})") from None
    return SymbolTable.load(path)
