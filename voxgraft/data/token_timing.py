"""Carry an aligner's timed phones onto the phonemizer's tokens for the same text.

Aligners disagree with eSpeak about words (eSpeak joins "of the" into one word), pronunciation
(a flap or a full T) and silence. So the tokens that training reads are always the
phonemizer's — stress marks, word boundaries and clause punctuation included — and only the
times come from the aligner: its phones are matched to the tokens' ARPAbet spellings by an edit
distance, each token takes the span of the phones matched to it, and silence between words goes
to the word boundary, clause punctuation or pause token that stands there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voxgraft.data.alignment import Interval
from voxgraft.data.arpabet import base, substitution_cost, token_arpabet
from voxgraft.data.symbols import CLAUSE_PUNCTUATION, PAUSE, WORD_BOUNDARY

SILENCE = "SIL"
GAP_TOLERANCE_S = 0.01  # an aligner's own rounding; closer neighbours count as touching
_SILENT_HOLDERS = {PAUSE, WORD_BOUNDARY, *CLAUSE_PUNCTUATION}


@dataclass(frozen=True)
class TimedPhone:
    """One aligner phone in ARPAbet (stress digits allowed), or SILENCE, with its times."""

    phone: str
    start: float
    end: float


@dataclass(frozen=True)
class Placement:
    intervals: list[Interval]  # one per token, in order, covering the audio exactly
    agreement: float  # share of the tokens' ARPAbet phones the aligner found exactly
    gaps: int  # gaps between the aligner's consecutive phones or words
    overlaps: int  # overlaps between them
    mismatches: list[str]  # "token:expected>found" where the aligner heard something else


def count_gaps_overlaps(phones: list[TimedPhone]) -> tuple[int, int]:
    gaps = overlaps = 0
    for prev, nxt in zip(phones, phones[1:]):
        if nxt.start > prev.end + GAP_TOLERANCE_S:
            gaps += 1
        elif nxt.start < prev.end - GAP_TOLERANCE_S:
            overlaps += 1
    return gaps, overlaps


def _edit_path(found: list[str], expected: list[str]) -> list[tuple[int | None, int | None]]:
    """Minimum-cost alignment of two phone sequences as (found index, expected index) pairs;
    None on one side is an insertion or deletion."""
    n, m = len(found), len(expected)
    cost = np.zeros((n + 1, m + 1))
    cost[:, 0] = np.arange(n + 1)
    cost[0, :] = np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i, j] = min(
                cost[i - 1, j - 1] + substitution_cost(found[i - 1], expected[j - 1]),
                cost[i - 1, j] + 1.0,
                cost[i, j - 1] + 1.0,
            )
    path: list[tuple[int | None, int | None]] = []
    i, j = n, m
    while i or j:
        if i and j and cost[i, j] == cost[i - 1, j - 1] + substitution_cost(found[i - 1], expected[j - 1]):
            path.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i and cost[i, j] == cost[i - 1, j] + 1.0:
            path.append((i - 1, None))
            i -= 1
        else:
            path.append((None, j - 1))
            j -= 1
    return path[::-1]


def _attach(found: list[TimedPhone], tokens: list[str]) -> tuple[list[list[float] | None], float, list[str]]:
    """Each token's [start, end] from the phones matched to it (None where none were)."""
    owner = [k for k, tok in enumerate(tokens) for _ in token_arpabet(tok)]
    expected = [p for tok in tokens for p in token_arpabet(tok)]
    path = _edit_path([base(p.phone) for p in found], expected)
    spans: list[list[float] | None] = [None] * len(tokens)
    exact, mismatches, last_owner = 0, [], None
    pending: list[TimedPhone] = []  # inserted phones waiting for a token to join
    for fi, ej in path:
        if ej is not None:
            last_owner = owner[ej]
        if fi is None:
            continue
        phone = found[fi]
        if ej is not None:
            if base(phone.phone) == expected[ej]:
                exact += 1
            else:
                mismatches.append(f"{tokens[owner[ej]]}:{expected[ej]}>{base(phone.phone)}")
        if last_owner is None:
            pending.append(phone)
            continue
        for p in [*pending, phone]:
            span = spans[last_owner]
            spans[last_owner] = [p.start, p.end] if span is None else [min(span[0], p.start), max(span[1], p.end)]
        pending = []
    return spans, exact / max(len(expected), 1), mismatches


def _fill_unheard(spans: list[list[float] | None], tokens: list[str]) -> None:
    """A phoneme token the aligner did not hear shares its previous phoneme's span (or the
    next one's), so no phoneme of the text ends up with zero frames."""
    phonemes = [k for k, tok in enumerate(tokens) if token_arpabet(tok)]
    heard = [k for k in phonemes if spans[k] is not None]
    if not heard:
        return
    for k in phonemes:
        if spans[k] is not None:
            continue
        prev = max((h for h in heard if h < k), default=None)
        donor = prev if prev is not None else min(h for h in heard if h > k)
        start, end = spans[donor]
        mid = (start + end) / 2
        if donor < k:
            spans[donor], spans[k] = [start, mid], [mid, end]
        else:
            spans[k], spans[donor] = [start, mid], [mid, end]
        heard = sorted([*heard, k])


def _contiguous(spans: list[list[float] | None], tokens: list[str], total_s: float) -> list[Interval]:
    """Intervals covering [0, total_s] in token order. The silence before, between and after
    phonemes goes to the first pause-like token standing there; with none there, the phonemes
    around it meet in its middle (the first and last phoneme reach the edges); overlapping
    phonemes meet in the middle; every other token takes no time."""
    phonemes = [k for k in range(len(tokens)) if spans[k] is not None]
    bounds = np.zeros(len(tokens) + 1)  # token k spans bounds[k] .. bounds[k + 1]
    for left, right in zip([None, *phonemes], [*phonemes, None]):
        first = 0 if left is None else left + 1
        last = len(tokens) if right is None else right
        lo = 0.0 if left is None else spans[left][1]
        hi = total_s if right is None else spans[right][0]
        holder = next((k for k in range(first, last) if tokens[k] in _SILENT_HOLDERS), None)
        if holder is None:
            lo = hi = 0.0 if left is None else total_s if right is None else (lo + hi) / 2
        elif hi < lo:
            lo = hi = (lo + hi) / 2
        for k in range(first, last + 1):
            bounds[k] = lo if holder is None or k <= holder else hi
    bounds[0], bounds[-1] = 0.0, total_s
    bounds = np.maximum.accumulate(np.clip(bounds, 0.0, total_s))
    return [Interval(tok, float(bounds[k]), float(bounds[k + 1])) for k, tok in enumerate(tokens)]


def place(found: list[TimedPhone], tokens: list[str], total_s: float) -> Placement:
    """Times for `tokens` from the aligner's `found` phones (SILENCE entries only mark pauses)."""
    gaps, overlaps = count_gaps_overlaps(found)
    spoken = [p for p in found if p.phone != SILENCE]
    spans, agreement, mismatches = _attach(spoken, tokens)
    _fill_unheard(spans, tokens)
    return Placement(_contiguous(spans, tokens, total_s), agreement, gaps, overlaps, mismatches)
