"""The geometry of style vectors: voice centroids, voice arithmetic, retrieval, clustering.

Voice arithmetic, as in the research notes (`whisper = woman_whisper - woman; man_whisper =
man + whisper`), is a signed sum of named vectors, written `woman_whisper - woman + man`.
Where the truth is known it is measured by retrieval: the rank of the true voice's centroid
among all centroids by distance to the combined vector (rank 1: nearest).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

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


def compare_offsets(vectors: dict[str, np.ndarray], first: tuple[str, str], second: tuple[str, str]) -> tuple[float, float]:
    """Cosine between the offsets first[0] -> first[1] and second[0] -> second[1], and the ratio
    of their lengths (second / first). Arithmetic transfers an offset only as well as both agree:
    the same direction (cosine 1) and the same length (ratio 1)."""
    unknown = [name for name in (*first, *second) if name not in vectors]
    if unknown:
        raise ExpressionError(f"no style vector for {unknown[0]!r}; known voices: {', '.join(sorted(vectors))}")
    a = np.asarray(vectors[first[1]], dtype=np.float64) - vectors[first[0]]
    b = np.asarray(vectors[second[1]], dtype=np.float64) - vectors[second[0]]
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        same = first if na == 0 else second
        raise ValueError(f"the offset {same[0]} -> {same[1]} has length 0: the two voices share one style vector")
    return float(a @ b / (na * nb)), float(nb / na)


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
