"""Style-space geometry on vectors whose answers are known by construction."""

import numpy as np
import pytest

from voxgraft.evaluate.style import silhouette
from voxgraft.style.space import (
    ExpressionError,
    centroids,
    combine,
    compare_offsets,
    parse_expression,
    retrieval_rank,
    retrieval_ranking,
    scaled_combine,
    spreads,
)

VOICES = {
    "man": np.array([0.0, 0.0]),
    "woman": np.array([1.0, 0.0]),
    "man_whisper": np.array([0.0, 2.0]),
    "woman_whisper": np.array([1.0, 4.0]),  # whispering moves woman twice as far as man
}


def test_expressions_parse_to_signed_terms():
    assert parse_expression("woman_whisper - woman + man") == [(1.0, "woman_whisper"), (-1.0, "woman"), (1.0, "man")]
    assert parse_expression(" -man") == [(-1.0, "man")]
    for bad in ("", "   ", "man + + woman", "man woman", "man * 2", "man +"):
        with pytest.raises(ExpressionError):
            parse_expression(bad)


def test_arithmetic_retrieval_and_offsets():
    vector = combine("man + woman_whisper - woman", VOICES)
    assert np.allclose(vector, [0.0, 4.0])
    # the offset overshoots: woman_whisper at distance 1, man_whisper at 2
    assert retrieval_ranking(vector, VOICES)[:2] == [("woman_whisper", 1.0), ("man_whisper", 2.0)]
    assert retrieval_rank(combine("woman", VOICES), VOICES, "woman") == 1
    assert retrieval_rank(combine("man", VOICES), VOICES, "woman_whisper") == 4
    cosine, ratio, scaled = compare_offsets(VOICES, ("man", "man_whisper"), ("woman", "woman_whisper"))
    assert cosine == pytest.approx(1.0) and ratio == pytest.approx(2.0) and scaled is None
    with pytest.raises(ExpressionError, match="nobody"):
        combine("man - nobody", VOICES)
    with pytest.raises(ExpressionError, match="nobody"):
        compare_offsets(VOICES, ("man", "nobody"), ("woman", "woman_whisper"))
    with pytest.raises(ValueError, match="man -> man has length 0"):
        compare_offsets(VOICES, ("woman", "woman_whisper"), ("man", "man"))


def test_centroids_keep_first_seen_order_and_silhouette_separates_clusters():
    rng = np.random.default_rng(0)
    latents = np.concatenate([rng.normal(0, 0.1, (10, 3)), rng.normal(5, 0.1, (10, 3))])
    labels = ["b"] * 10 + ["a"] * 10
    cents = centroids(latents, labels)
    assert list(cents) == ["b", "a"] and np.allclose(cents["a"], 5, atol=0.1)
    assert silhouette(latents, labels) > 0.9
    assert silhouette(latents, rng.permutation(labels)) < 0.2
    assert np.isnan(silhouette(latents, ["a"] * 20))


def _cloud(centre, spread: float) -> np.ndarray:
    """Four utterances around `centre` whose RMS distance to it is exactly `spread`."""
    return np.asarray(centre, dtype=float) + spread * np.array([[1.0, 0], [-1, 0], [0, 1], [0, -1]])


def test_scaled_arithmetic_carries_the_offset_in_units_of_each_voices_spread():
    # the woman's region is twice as wide as the man's, and so is her whisper offset (VOICES)
    widths = {"man": 0.1, "woman": 0.2, "man_whisper": 0.1, "woman_whisper": 0.2}
    latents = np.concatenate([_cloud(VOICES[v], w) for v, w in widths.items()])
    labels = [v for v in widths for _ in range(4)]
    spread = spreads(latents, labels)
    assert spread == pytest.approx(widths)
    cents = centroids(latents, labels)
    for expression in ("man + woman_whisper - woman", "woman_whisper - woman + man"):
        plain, scaled = combine(expression, cents), scaled_combine(expression, cents, spread)
        assert retrieval_rank(plain, cents, "man_whisper") == 2  # plain addition overshoots to woman_whisper's height
        assert np.allclose(scaled, VOICES["man_whisper"]) and retrieval_rank(scaled, cents, "man_whisper") == 1
    agreement = compare_offsets(cents, ("man", "man_whisper"), ("woman", "woman_whisper"), spread)
    assert agreement.ratio == pytest.approx(2.0) and agreement.scaled_ratio == pytest.approx(1.0)


@pytest.mark.parametrize(("expression", "message"), [
    ("man + woman", "--scale auto needs an offset borrowed onto a voice"),
    ("- woman + man + woman_whisper", "--scale auto needs an offset borrowed onto a voice"),
    ("man + woman_whisper - nobody", "no style vector and spread for 'nobody'"),
])
def test_scaled_arithmetic_refuses_what_it_cannot_read(expression, message):
    with pytest.raises(ExpressionError, match=message):
        scaled_combine(expression, VOICES, {v: 1.0 for v in VOICES})
