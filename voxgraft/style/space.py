"""The geometry of style vectors: voice centroids, voice arithmetic, retrieval, clustering.

Voice arithmetic, as in the research notes (`whisper = woman_whisper - woman; man_whisper =
man + whisper`), is a signed sum of named vectors, written `woman_whisper - woman + man`.
Where the truth is known it is measured by retrieval: the rank of the true voice's centroid
among all centroids by distance to the combined vector (rank 1: nearest).

Scaled arithmetic (`--scale auto`): an offset measured between two voices (woman_whisper -
woman) is borrowed onto a third (man). Voices occupy regions of different size in the latent
space, and an offset measured in a wide region is long there: in the bench, the woman's whisper
offset was 1.2 to 1.5 times the man's, so plain addition overshot. Scaled arithmetic multiplies
the borrowed offset by spread(base) / spread(offset's origin), each voice's spread being the
RMS distance of its utterances to its centroid: the offset is carried over in units of the
voice's own variation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

_TERM = re.compile(r"\s*([+-])?\s*([A-Za-z_][A-Za-z0-9_.]*)\s*")


class ExpressionError(ValueError):
    pass


def parse_expression(expression: str) -> list[tuple[float, str]]:
    """'woman_whisper - woman + man' -> [(1, 'woman_whisper'), (-1, 'woman'), (1, 'man')]."""
    terms: list[tuple[float, str]] = []
    pos = 0
    while pos < len(expression):
        if not expression[pos:].strip():
            break
        match = _TERM.match(expression, pos)
        if not match or match.end() == pos or (terms and match.group(1) is None):
            raise ExpressionError(
                f"cannot read the voice expression {expression!r} at character {pos + 1}: "
                "write voice names joined by + and -, e.g. \"woman_whisper - woman + man\""
            )
        terms.append((-1.0 if match.group(1) == "-" else 1.0, match.group(2)))
        pos = match.end()
    if not terms:
        raise ExpressionError("the voice expression is empty")
    return terms


def combine(expression: str, vectors: dict[str, np.ndarray]) -> np.ndarray:
    """The expression's signed sum of the named vectors."""
    terms = parse_expression(expression)
    unknown = [name for _, name in terms if name not in vectors]
    if unknown:
        raise ExpressionError(f"no style vector for {unknown[0]!r}; known voices: {', '.join(sorted(vectors))}")
    return sum(sign * np.asarray(vectors[name], dtype=np.float64) for sign, name in terms)


def scaled_combine(expression: str, vectors: dict[str, np.ndarray], spreads: dict[str, float]) -> np.ndarray:
    """BASE + spread(BASE) / spread(B) * (A - B), for 'A - B + BASE' or 'BASE + A - B' (the
    negative term pairs with the positive term just before it)."""
    terms = parse_expression(expression)
    signs = [sign for sign, _ in terms]
    if len(terms) != 3 or signs.count(-1.0) != 1 or signs.index(-1.0) == 0:
        raise ExpressionError(f"--scale auto needs an offset borrowed onto a voice, 'A - B + BASE' or 'BASE + A - B'; got {expression!r}")
    minus = signs.index(-1.0)
    origin, target = terms[minus][1], terms[minus - 1][1]
    base = next(name for k, (_, name) in enumerate(terms) if k not in (minus, minus - 1))
    unknown = [n for n in (target, origin, base) if n not in vectors or n not in spreads]
    if unknown:
        raise ExpressionError(f"no style vector and spread for {unknown[0]!r}; known voices: {', '.join(sorted(spreads))}")
    if spreads[origin] <= 0:
        raise ExpressionError(f"{origin!r} has no spread (one utterance, or all alike): its offset cannot be rescaled")
    offset = np.asarray(vectors[target], dtype=np.float64) - vectors[origin]
    return np.asarray(vectors[base], dtype=np.float64) + spreads[base] / spreads[origin] * offset


def spreads(latents: np.ndarray, labels: Sequence[str]) -> dict[str, float]:
    """Per label, the RMS distance of its vectors to their centroid."""
    labels = np.asarray(labels)
    return {str(v): float(np.sqrt(((latents[labels == v] - latents[labels == v].mean(axis=0)) ** 2).sum(axis=1).mean()))
            for v in dict.fromkeys(labels.tolist())}


def centroids(latents: np.ndarray, labels: Sequence[str]) -> dict[str, np.ndarray]:
    """Mean vector per label, in first-seen order."""
    labels = np.asarray(labels)
    return {str(v): latents[labels == v].mean(axis=0) for v in dict.fromkeys(labels.tolist())}


def retrieval_ranking(vector: np.ndarray, voices: dict[str, np.ndarray]) -> list[tuple[str, float]]:
    """Voices by Euclidean distance to `vector`, nearest first."""
    return sorted(((name, float(np.linalg.norm(vector - c))) for name, c in voices.items()), key=lambda x: x[1])


def retrieval_rank(vector: np.ndarray, voices: dict[str, np.ndarray], truth: str) -> int:
    """1-based rank of `truth` among `voices` by distance to `vector`."""
    return 1 + [name for name, _ in retrieval_ranking(vector, voices)].index(truth)


class OffsetAgreement(NamedTuple):
    cosine: float  # of the two offsets' directions
    ratio: float  # second offset's length / first's
    scaled_ratio: float | None  # the same after scaled arithmetic's rescaling (given spreads)


def compare_offsets(vectors: dict[str, np.ndarray], first: tuple[str, str], second: tuple[str, str],
                    spread: dict[str, float] | None = None) -> OffsetAgreement:
    """How the offsets first[0] -> first[1] and second[0] -> second[1] agree. Arithmetic transfers
    an offset only as well as both agree: the same direction (cosine 1) and the same length
    (ratio 1); with spreads, also the length ratio once the second offset is carried onto the
    first's origin as scaled arithmetic carries it (spread(first[0]) / spread(second[0]))."""
    unknown = [name for name in (*first, *second) if name not in vectors]
    if unknown:
        raise ExpressionError(f"no style vector for {unknown[0]!r}; known voices: {', '.join(sorted(vectors))}")
    a = np.asarray(vectors[first[1]], dtype=np.float64) - vectors[first[0]]
    b = np.asarray(vectors[second[1]], dtype=np.float64) - vectors[second[0]]
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        same = first if na == 0 else second
        raise ValueError(f"the offset {same[0]} -> {same[1]} has length 0: the two voices share one style vector")
    scaled = None if spread is None else float(nb / na * spread[first[0]] / spread[second[0]])
    return OffsetAgreement(float(a @ b / (na * nb)), float(nb / na), scaled)


def projection_2d(latents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Principal-component projection to 2-D: (n, 2) coordinates and the explained variance
    share of each axis."""
    centred = latents - latents.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    coords = centred @ vt[:2].T
    if coords.shape[1] < 2:
        coords = np.pad(coords, ((0, 0), (0, 2 - coords.shape[1])))
    variance = s**2
    share = variance[:2] / variance.sum() if variance.sum() > 0 else np.zeros(2)
    return coords, np.pad(share, (0, 2 - len(share)))
