import numpy as np
import pytest

from voxgraft.data.alignment import read_alignments
from voxgraft.data.check import load_corpus
from voxgraft.evaluate.prosody import cadence, drop_blanks, f0_stats


def _aligned(corpus_dir):
    corpus = load_corpus(corpus_dir)
    alignments = read_alignments(corpus.alignments_path)
    return [([iv.phoneme for iv in ivs], [iv.end - iv.start for iv in ivs]) for ivs in alignments.values()]


def test_cadence_puts_the_cadence_donor_far_from_the_recipient_and_near_itself(preset_voices):
    donor = _aligned(preset_voices["cadence_donor"])
    recipient = _aligned(preset_voices["recipient"])
    half = len(donor) // 2
    rate_a, pause_a = cadence(donor[:half])
    rate_b, pause_b = cadence(donor[half:])
    rate_r, pause_r = cadence(recipient)
    assert abs(rate_a - rate_b) < 0.25 * abs(rate_a - rate_r)
    assert rate_r > 1.25 * rate_a  # eSpeak rate 175 against 124 words per minute
    assert abs(pause_a - pause_b) < 0.5 * abs(pause_a - pause_r)
    assert pause_a > pause_r  # the donor's word gaps


def test_cadence_counts_only_the_span_between_first_and_last_phoneme():
    tokens = ["_", "h", " ", "a", ".", "_"]
    seconds = [5.0, 0.1, 0.2, 0.1, 0.3, 5.0]
    rate, pauses = cadence([(tokens, seconds)])
    assert rate == pytest.approx(2 / 0.4)
    assert pauses == pytest.approx(0.2 / 0.4)


def test_cadence_rejects_mismatched_lengths_and_is_nan_without_speech():
    with pytest.raises(ValueError, match="3 tokens but 2 durations"):
        cadence([(["a", "b", "c"], [0.1, 0.1])])
    assert all(np.isnan(cadence([(["_"], [1.0])])))


def test_blank_time_goes_to_the_token_before():
    assert drop_blanks(["<blank>", "a", "<blank>", "b"], [1, 2, 3, 4]) == (["a", "b"], [2.0 + 3, 4.0])


def test_f0_stats_recover_a_known_pitch_and_range():
    sr = 16000
    t = np.arange(sr * 2) / sr
    glide = 100 * 2 ** (t / 2)  # one octave up over 2 s
    wav = 0.3 * np.sin(2 * np.pi * np.cumsum(glide) / sr).astype(np.float32)
    median, semitones = f0_stats([wav], sr)
    assert median == pytest.approx(100 * 2**0.5, rel=0.05)
    assert semitones == pytest.approx(12 * 0.9, abs=1.0)  # 5th to 95th percentile of an octave
    assert all(np.isnan(f0_stats([np.zeros(sr, np.float32)], sr)))
