"""Alignment repair and frame durations, with hypothesis over random (messy) alignments."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voxgraft.data.alignment import Interval, frame_durations, read_alignments, repair, write_alignments

PHONES = ["a", "b", "k", "s", "ˈ", " ", "_"]


@st.composite
def messy_alignments(draw):
    total = draw(st.floats(0.1, 10.0))
    n = draw(st.integers(0, 25))
    out = []
    for _ in range(n):
        start = draw(st.floats(-0.5, total + 0.5))
        length = draw(st.floats(-0.1, 1.0))  # negative: end before start, as broken aligners emit
        out.append(Interval(draw(st.sampled_from(PHONES)), start, start + length))
    return out, total


@given(messy_alignments(), st.floats(0.0, 0.2))
@settings(max_examples=300, deadline=None)
def test_repair_is_contiguous_ordered_and_covers_the_audio(case, min_pause):
    intervals, total = case
    fixed = repair(intervals, total, min_pause)
    assert fixed[0].start == 0.0
    assert fixed[-1].end == total
    assert all(iv.duration >= 0 for iv in fixed)
    assert all(a.end == b.start for a, b in zip(fixed, fixed[1:]))
    # The aligner's phones keep their order; repair only adds pauses.
    assert [iv.phoneme for iv in fixed if iv.phoneme != "_"] == [iv.phoneme for iv in intervals if iv.phoneme != "_"]
    assert repair(intervals, total, min_pause) == fixed  # deterministic


@given(messy_alignments())
@settings(max_examples=100, deadline=None)
def test_repair_is_idempotent(case):
    intervals, total = case
    once = repair(intervals, total)
    assert repair(once, total) == once


def test_overlap_is_split_in_the_middle():
    fixed = repair([Interval("a", 0.0, 0.6), Interval("b", 0.4, 1.0)], 1.0)
    assert fixed == [Interval("a", 0.0, 0.5), Interval("b", 0.5, 1.0)]


def test_short_gap_goes_to_neighbours_long_gap_becomes_pause():
    short = repair([Interval("a", 0.0, 0.40), Interval("b", 0.42, 1.0)], 1.0, min_pause_s=0.05)
    assert [iv.phoneme for iv in short] == ["a", "b"]
    assert short[0].end == pytest.approx(0.41)
    long = repair([Interval("a", 0.0, 0.3), Interval("b", 0.6, 1.0)], 1.0, min_pause_s=0.05)
    assert [(iv.phoneme, iv.start, iv.end) for iv in long] == [("a", 0.0, 0.3), ("_", 0.3, 0.6), ("b", 0.6, 1.0)]


def test_gap_next_to_a_pause_extends_the_pause():
    fixed = repair([Interval("_", 0.0, 0.2), Interval("b", 0.5, 1.0)], 1.0)
    assert fixed == [Interval("_", 0.0, 0.5), Interval("b", 0.5, 1.0)]


def test_empty_alignment_is_one_pause_and_bad_length_is_refused():
    assert repair([], 2.0) == [Interval("_", 0.0, 2.0)]
    with pytest.raises(ValueError, match="positive"):
        repair([Interval("a", 0, 1)], 0.0)


@given(messy_alignments(), st.integers(1, 2000))
@settings(max_examples=300, deadline=None)
def test_frame_durations_sum_exactly_and_boundaries_stay_close(case, n_frames):
    intervals, total = case
    fixed = repair(intervals, total)
    hop, sr = 256, n_frames * 256 / total  # a rate that makes the audio exactly n_frames long
    durations = frame_durations(fixed, n_frames, sr, hop)
    assert durations.sum() == n_frames
    assert (durations >= 0).all()
    assert len(durations) == len(fixed)
    ends_in_frames = np.array([iv.end for iv in fixed]) * sr / hop
    assert np.all(np.abs(np.cumsum(durations) - ends_in_frames) <= 0.5 + 1e-6)


def test_frame_durations_refuse_bad_input():
    with pytest.raises(ValueError, match="empty"):
        frame_durations([], 10, 22050, 256)
    with pytest.raises(ValueError, match="n_frames"):
        frame_durations([Interval("a", 0, 1)], -1, 22050, 256)


def test_write_read_round_trip_is_atomic(tmp_path):
    data = {"u1": [Interval("_", 0.0, 0.1), Interval("a", 0.1, 0.5)], "u0": [Interval("b", 0.0, 1.0)]}
    path = write_alignments(tmp_path / "alignments.parquet", data)
    assert read_alignments(path) == data
    assert [p.name for p in tmp_path.iterdir()] == ["alignments.parquet"]
