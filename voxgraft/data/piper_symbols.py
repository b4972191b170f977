"""Piper's tokenizer as a second kind of symbol table: one id per IPA codepoint.

Piper feeds its voices `^ _ c1 _ c2 _ ... cn _ $`: each codepoint of eSpeak NG's IPA (NFD) with
the pad `_` after it, between a begin `^` and an end `$`. voxgraft's tokens are whole phonemes
("aɪ", "ˈ", " ", ","), so `model_input` splits each into its codepoints and spreads a forced
duration over them deterministically (`spread`: largest remainders, totals exact). The pads and
the end take zero frames; a leading pause belongs to `^`, any other pause to the token before
it. Piper puts a space after a clause's punctuation when another clause follows, so this does
too (zero frames). `spread(..., join_silent=True)` is the recipient-shaped variant.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from functools import cached_property
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

    @cached_property  # read once per token by the evaluation: built once
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

    def layout(self, tokens: list[str]) -> tuple[list[int], list[int], list[int]]:
        """Piper's ids for `tokens`; for each id the index of the token it spells (`^` and its
        pad belong to the first token, `$` to the last, a space added after a clause's
        punctuation to the punctuation); and 1 where the id spells its token (and `^`, which
        takes a leading pause), 0 for the pads, `$` and added spaces."""
        missing = self.unknown(tokens)
        if missing:
            raise UnknownSymbolError(missing)
        ids, sources, spelled = [self.id_map[BOS], self.pad_id], [0, 0], [1, 0]
        for i, token in enumerate(tokens):
            for c in [] if token == PAUSE else codepoints(token):
                ids, sources, spelled = ids + [self.id_map[c], self.pad_id], sources + [i, i], spelled + [1, 0]
            if token in CLAUSE_PUNCTUATION and i + 1 < len(tokens) and tokens[i + 1] not in (*CLAUSE_PUNCTUATION, WORD_BOUNDARY):
                ids, sources, spelled = ids + [self.id_map[WORD_BOUNDARY], self.pad_id], sources + [i, i], spelled + [0, 0]
        return ids + [self.id_map[EOS]], sources + [max(0, len(tokens) - 1)], spelled + [0]

    def token_ends(self, tokens: list[str]) -> list[int | None]:
        """For each token, the index of the last id it owns (None for a pause that has none)."""
        _, sources, _ = self.layout(tokens)
        ends: list[int | None] = [None] * len(tokens)
        for j, t in enumerate(sources[:-1]):  # `$` closes the utterance, not its last token
            ends[t] = j
        return ends

    def model_input(self, tokens: list[str], durations: list[int] | None = None) -> tuple[list[int], list[int] | None]:
        """Token ids (and frames per id when `durations` gives frames per token): a token's
        frames spread evenly over its codepoints, pads and added spaces taking none."""
        ids, sources, spelled = self.layout(tokens)
        if durations is None:
            return ids, None
        if len(durations) != len(tokens):
            raise ValueError(f"{len(durations)} durations for {len(tokens)} tokens")
        return ids, spread(list(durations), sources, spelled)

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


def _runs(frames: list[int], weight_of: list[float], join_silent: bool) -> list[list[int]]:
    """Consecutive token runs that share their frames. A token whose ids can take no frames
    (a pause between words has no ids) gives them to the run before it. With `join_silent`, a
    token of zero frames joins the next token that has some (a stress mark, a word boundary
    without a pause), so its ids get a share as the recipient would give them."""
    runs: list[list[int]] = []
    pending: list[int] = []
    for t, d in enumerate(frames):
        if weight_of[t] <= 0 and runs:
            runs[-1].append(t)
        elif join_silent and d == 0:
            pending.append(t)
        else:
            runs.append(pending + [t])
            pending = []
    if pending:
        (runs[-1].extend(pending) if runs else runs.append(pending))
    return runs


def _largest_remainder(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights`, integers summing exactly to `total`."""
    weight_sum = sum(weights)
    if weight_sum <= 0:
        weights, weight_sum = [1.0] * len(weights), float(len(weights))
    exact = [total * w / weight_sum for w in weights]
    out = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - out[i]), i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def spread(frames: list[int], sources: list[int], weights: list[float], join_silent: bool = False) -> list[int]:
    """Frames per whole token -> frames per id, in proportion to `weights` within each run of
    tokens (see _runs); every token's frames land on ids, so the total is exact."""
    members: dict[int, list[int]] = {}
    for j, t in enumerate(sources):
        members.setdefault(t, []).append(j)
    weight_of = [sum(weights[j] for j in members.get(t, [])) for t in range(len(frames))]
    out = [0] * len(sources)
    for run in _runs(frames, weight_of, join_silent):
        ids = [j for t in run for j in members.get(t, [])]
        for j, d in zip(ids, _largest_remainder(sum(frames[t] for t in run), [weights[j] for j in ids])):
            out[j] = d
    return out
