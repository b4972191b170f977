"""How far two alignments of one corpus agree: boundary error in ms and label agreement.

Token sequences may differ (another aligner, another phonemizer setting), so tokens are paired
by a longest-matching-blocks diff and only paired tokens are compared. A boundary is the end of
a paired token that takes time in the reference; an utterance's last boundary (the end of its
audio) is left out, as both alignments put it there by construction.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import numpy as np

from voxgraft.data.alignment import Interval

WITHIN_MS = 20.0


@dataclass(frozen=True)
class AlignmentComparison:
    utterances: int  # in both alignments
    only_in_one: int  # utterances one alignment has and the other lacks
    boundaries: int
    mean_ms: float
    median_ms: float
    p90_ms: float
    within_20ms: float  # share of boundaries within WITHIN_MS
    label_agreement: float  # paired tokens / tokens, over all shared utterances


def _boundary_errors(test: list[Interval], reference: list[Interval]) -> tuple[list[float], int]:
    labels_t, labels_r = [iv.phoneme for iv in test], [iv.phoneme for iv in reference]
    blocks = difflib.SequenceMatcher(None, labels_t, labels_r, autojunk=False).get_matching_blocks()
    pairs = [(b.a + k, b.b + k) for b in blocks for k in range(b.size)]
    errors = [
        abs(test[i].end - reference[j].end) * 1000.0
        for i, j in pairs
        if reference[j].end > reference[j].start and j < len(reference) - 1
    ]
    return errors, len(pairs)


def compare_alignments(test: dict[str, list[Interval]], reference: dict[str, list[Interval]]) -> AlignmentComparison:
    shared = sorted(set(test) & set(reference))
    if not shared:
        raise ValueError("the two alignments share no utterance")
    errors: list[float] = []
    paired = total = 0
    for uid in shared:
        errs, n = _boundary_errors(test[uid], reference[uid])
        errors += errs
        paired += n
        total += max(len(test[uid]), len(reference[uid]))
    e = np.array(errors) if errors else np.array([np.nan])
    return AlignmentComparison(
        utterances=len(shared),
        only_in_one=len(set(test) ^ set(reference)),
        boundaries=len(errors),
        mean_ms=float(np.mean(e)),
        median_ms=float(np.median(e)),
        p90_ms=float(np.percentile(e, 90)),
        within_20ms=float(np.mean(e <= WITHIN_MS)) if errors else float("nan"),
        label_agreement=paired / max(total, 1),
    )
