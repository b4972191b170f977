"""Alignments for training: the prior likelihood MAS searches on, MAS's path, forced durations."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from voxgraft.models.mas import (
    AlignmentError,
    check_strategy,
    durations_to_path,
    ensure_min_one_frame,
    path_durations,
    prior_log_likelihood,
    search_alignment,
)


def test_prior_log_likelihood_is_the_gaussian_log_density():
    torch.manual_seed(0)
    z_p, means, log_std = torch.randn(2, 4, 9), torch.randn(2, 5, 4), torch.randn(2, 5, 4) * 0.3
    expected = torch.distributions.Normal(means[..., None], log_std.exp()[..., None]).log_prob(z_p[:, None]).sum(2)
    assert torch.allclose(prior_log_likelihood(z_p, means, log_std), expected, atol=1e-4)


def test_mas_gives_a_monotonic_path_covering_every_frame_once():
    torch.manual_seed(1)
    token_mask = torch.tensor([[True] * 6, [True] * 4 + [False] * 2])
    frame_mask = torch.tensor([[True] * 20, [True] * 11 + [False] * 9])
    path = search_alignment(torch.randn(2, 6, 20), token_mask, frame_mask)
    for b, (n_tok, n_frames) in enumerate([(6, 20), (4, 11)]):
        p = path[b]
        assert torch.equal(p[:, :n_frames].sum(0), torch.ones(n_frames))  # each frame: one token
        assert p[:, n_frames:].sum() == 0 and p[n_tok:].sum() == 0  # nothing in the padding
        assert (p[:n_tok].sum(1) >= 1).all()  # each token: at least one frame
        owner = p[:, :n_frames].argmax(0)
        assert (owner[1:] >= owner[:-1]).all() and owner[0] == 0 and owner[-1] == n_tok - 1


def test_mas_follows_the_likelihood():
    """A likelihood that clearly prefers frames 0-2 for token 0 and 3-9 for token 1 is found."""
    ll = torch.full((1, 2, 10), -10.0)
    ll[0, 0, :3] = 0.0
    ll[0, 1, 3:] = 0.0
    path = search_alignment(ll, torch.ones(1, 2, dtype=torch.bool), torch.ones(1, 10, dtype=torch.bool))
    assert path_durations(path).tolist() == [[3.0, 7.0]]


def test_mas_refuses_fewer_frames_than_tokens():
    with pytest.raises(AlignmentError, match="3 frames for 5 tokens"):
        search_alignment(torch.zeros(1, 5, 3), torch.ones(1, 5, dtype=torch.bool), torch.ones(1, 3, dtype=torch.bool))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=1, max_size=30))
def test_min_one_frame_keeps_totals_and_fills_zeros(durations):
    n = len(durations)
    if sum(durations) < n:
        with pytest.raises(AlignmentError):
            ensure_min_one_frame(torch.tensor([durations]), torch.tensor([n]))
        return
    out = ensure_min_one_frame(torch.tensor([durations]), torch.tensor([n]))[0]
    assert int(out.sum()) == sum(durations)
    assert (out >= 1).all()
    assert all(o == d for o, d in zip(out.tolist(), durations) if d == 1)  # one-frame tokens never give


def test_min_one_frame_takes_from_the_nearest_longer_neighbour():
    out = ensure_min_one_frame(torch.tensor([[0, 5, 0, 2, 0, 0, 0, 9]]), torch.tensor([8]))
    assert out.tolist() == [[1, 3, 1, 1, 1, 1, 1, 7]]


def test_durations_to_path_round_trips():
    d = torch.tensor([[2, 1, 3, 0], [1, 1, 1, 1]])
    path = durations_to_path(d, 6)
    assert torch.equal(path_durations(path).long(), d)
    assert path[1, :, 4:].sum() == 0  # frames past an utterance's total stay unassigned


def test_unknown_strategy_names_the_valid_ones():
    with pytest.raises(AlignmentError, match="forced, learned"):
        check_strategy("guessed")
