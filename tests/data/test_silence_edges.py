"""Pause edges snap to the audio's energy crossings, within a small window only."""

import numpy as np
import pytest

from voxgraft.data.silence_edges import WINDOW_S, snap_pause_edges
from voxgraft.data.token_timing import SILENCE, TimedPhone

RATE = 16000


def _speech_pause_speech(pause=(0.50, 0.62)) -> np.ndarray:
    t = np.arange(int(1.0 * RATE)) / RATE
    audio = 0.3 * np.sin(2 * np.pi * 150 * t)
    audio[int(pause[0] * RATE): int(pause[1] * RATE)] = 0.0
    return audio + 1e-5 * np.random.default_rng(0).standard_normal(len(t))


def test_pause_edges_move_to_where_the_energy_falls_and_rises():
    phones = [TimedPhone("AH", 0.0, 0.53), TimedPhone(SILENCE, 0.53, 0.60), TimedPhone("T", 0.60, 1.0)]
    snapped = snap_pause_edges(phones, _speech_pause_speech(), RATE)
    assert snapped[0].end == snapped[1].start == pytest.approx(0.50, abs=0.006)
    assert snapped[1].end == snapped[2].start == pytest.approx(0.62, abs=0.006)
    assert snapped[0].start == 0.0 and snapped[2].end == 1.0


def test_an_edge_with_no_crossing_nearby_stays():
    far = 0.50 - WINDOW_S - 0.03
    phones = [TimedPhone("AH", 0.0, far), TimedPhone(SILENCE, far, 0.62), TimedPhone("T", 0.62, 1.0)]
    snapped = snap_pause_edges(phones, _speech_pause_speech(), RATE)
    assert snapped[0].end == pytest.approx(far)  # the fall at 0.50 is out of reach
