"""Boundary errors of forced and learned alignment against an aligned donor's true phoneme ends."""

import math

import pytest
import torch

from voxgraft.data.piper_symbols import PiperSymbols
from voxgraft.data.symbols import SymbolTable
from voxgraft.data.training_set import open_training_set
from voxgraft.evaluate.alignment_error import (
    _mean_error,
    alignment_health,
    boundary_errors,
    phoneme_ids,
    trial_alignment_health,
    trial_alignment_measures,
)
from voxgraft.evaluate.artifacts import rejection
from voxgraft.models.checkpoints import load_recipient

FRAME_MS = 1000 * 256 / 22050


def test_errors_are_measured_at_phoneme_ends_in_frames():
    truth = torch.tensor([[2, 3, 0, 4]])
    shifted = torch.tensor([[3, 2, 0, 4]])  # one frame moved across the first boundary
    assert _mean_error(shifted, truth, [[0, 1, 3]]) == pytest.approx(1 / 3)
    assert _mean_error(truth, truth, [[0, 1, 3]]) == 0.0


def test_phoneme_ends_skip_marks_pauses_and_silent_tokens():
    tokens = ["_", "ˈ", "aɪ", " ", "b", "."]
    piper = PiperSymbols({"_": 0, "^": 1, "$": 2, " ": 3, ".": 10, "a": 5, "ɪ": 6, "ˈ": 7, "b": 8})
    assert piper.token_ends(tokens) == [1, 3, 7, 9, 11, 13]
    assert SymbolTable.default().token_ends(tokens)[:3] == [2, 4, 6]


def _donor_heldout(tiny_recipient, corpora):
    """The tiny recipient, the cadence donor's held-out batch, its phoneme ends and phoneme ids."""
    model_dir = tiny_recipient[0]
    symbols = SymbolTable.load(model_dir)
    data = open_training_set(corpora["cadence_donor"], "forced", symbols=symbols, heldout=3)
    ends = [data.dataset.phoneme_ends(data.dataset.ids[i]) for i in data.heldout_indices]
    return load_recipient(model_dir).model, data.heldout_batch(), ends, phoneme_ids(symbols)


def test_forced_path_is_within_a_frame_and_mas_is_measured(tiny_recipient, corpora):
    model, batch, ends, _ = _donor_heldout(tiny_recipient, corpora)
    assert all(len(e) > 5 for e in ends)
    errors = boundary_errors(model, batch, ends, FRAME_MS)
    assert 0 <= errors["forced_boundary_error_ms"] <= FRAME_MS
    assert math.isfinite(errors["mas_boundary_error_ms"]) and errors["mas_boundary_error_ms"] >= 0
    batch.durations = None
    assert boundary_errors(model, batch, ends, FRAME_MS) == {}


def test_health_of_a_path_counts_one_frame_ids_and_the_largest_hold():
    durations = torch.tensor([[0, 1, 0, 1, 0, 8, 1], [0, 3, 0, 3, 0, 0, 0]])
    ids = torch.tensor([[1, 20, 1, 21, 1, 22, 5], [1, 20, 1, 23, 1, 0, 0]])  # 1: blank, 5: a stress mark
    health = alignment_health(durations, ids, torch.tensor([7, 5]), torch.tensor([20, 21, 22, 23]))
    assert health["one_frame_token_share"] == pytest.approx(2 / 5)  # phonemes only: the stress mark's frame is not counted
    assert health["token_frame_share_max"] == pytest.approx(8 / 11)


def test_mas_on_the_tiny_recipient_degenerates_and_is_a_rejection_sign(tiny_recipient, corpora):
    """The backwards cadence transplant's cause: MAS on a recipient that speaks a buzz gives a
    donor's tokens one frame each and hands most frames to a few; forced paths stay healthy."""
    model, batch, _, phonemes = _donor_heldout(tiny_recipient, corpora)
    learned = trial_alignment_health(model, batch, "learned", phonemes)
    forced = trial_alignment_health(model, batch, "forced", phonemes)
    assert forced["one_frame_token_share"] < 0.25 and forced["token_frame_share_max"] < 0.25
    score, rejected = rejection(learned)
    assert rejected and score >= 1.0, learned
    assert not rejection(forced)[1]


def test_one_mas_run_serves_boundary_errors_and_health(tiny_recipient, corpora):
    model, batch, ends, phonemes = _donor_heldout(tiny_recipient, corpora)
    together = trial_alignment_measures(model, batch, ends, FRAME_MS, "learned", phonemes)
    apart = boundary_errors(model, batch, ends, FRAME_MS) | trial_alignment_health(model, batch, "learned", phonemes)
    assert together == pytest.approx(apart)
