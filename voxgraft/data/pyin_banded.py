"""pYIN (Mauch and Dixon, 2014) with librosa's parameters, computed for speed.

librosa.pyin spends about 80% of its time in a dense Viterbi over 2 x 431 pitch states (50-600
Hz in 0.1-semitone bins), although pYIN's own transition matrix lets a frame move at most
`max_transition_rate` semitones: every other entry is zero. This module decodes over that band
only, which finds the same best path, and computes the trough probabilities of all frames at
once instead of frame by frame. The observation model is pYIN's: the cumulative mean normalized
difference, troughs weighted by a beta prior over thresholds and a Boltzmann prior over their
order, and the no-trough fallback at the global minimum. librosa.pyin stays the reference:
tests/data/test_pyin_banded.py compares the two on every synthetic preset.
"""

from __future__ import annotations

import functools

import librosa
import numba
import numpy as np
import scipy.stats

THRESHOLDS = np.linspace(0.0, 1.0, 101)
BETA_PARAMETERS = (2.0, 18.0)
BOLTZMANN_PARAMETER = 2.0
NO_TROUGH_PROB = 0.01
RESOLUTION = 0.1  # semitones per pitch bin
MAX_TRANSITION_RATE = 35.92  # octaves per second
SWITCH_PROB = 0.01  # voiced <-> unvoiced per frame
_TINY = np.finfo(np.float64).tiny


def pyin_banded(wav: np.ndarray, sample_rate: int, frame_length: int, hop_length: int, fmin: float, fmax: float) -> np.ndarray:
    """F0 in Hz per frame (frames centred on k * hop), NaN where unvoiced."""
    frames = _frames(np.asarray(wav, dtype=np.float64), frame_length, hop_length)
    min_period = int(np.floor(sample_rate / fmax))
    max_period = min(int(np.ceil(sample_rate / fmin)), frame_length - 1)
    cmndf = _cmndf(frames, min_period, max_period)
    n_bins = int(np.floor(12 / RESOLUTION * np.log2(fmax / fmin))) + 1
    observations = _observations(cmndf, min_period, sample_rate, fmin, n_bins)
    width = round(MAX_TRANSITION_RATE * 12 * hop_length / sample_rate) * round(1 / RESOLUTION) + 1
    states = _banded_viterbi(np.log(observations + _TINY), _log_band(n_bins, width))
    f0 = fmin * 2 ** ((states % n_bins) * RESOLUTION / 12)
    return np.where(states < n_bins, f0, np.nan)


def _frames(wav: np.ndarray, frame_length: int, hop_length: int) -> np.ndarray:
    """(frame_length, n_frames), zero-padded by half a frame at both ends."""
    padded = np.pad(wav, frame_length // 2)
    return np.lib.stride_tricks.sliding_window_view(padded, frame_length)[::hop_length].T


def _cmndf(frames: np.ndarray, min_period: int, max_period: int) -> np.ndarray:
    """YIN's cumulative mean normalized difference for lags min_period..max_period, per frame.

    The difference at lag k is librosa's: 2 (r(0) - r(k)) minus the energy of the first k samples,
    with r the frame's autocorrelation."""
    n = frames.shape[0]
    spectrum = np.fft.rfft(frames, n=2 * n, axis=0)
    acf = np.fft.irfft(np.abs(spectrum) ** 2, n=2 * n, axis=0)[: max_period + 1]
    energy = np.cumsum(frames**2, axis=0)
    diff = 2 * (acf[:1] - acf[1 : max_period + 1]) - energy[:max_period]  # lags 1..max_period
    mean = np.cumsum(diff, axis=0) / np.arange(1, max_period + 1)[:, None]
    return diff[min_period - 1 :] / (mean[min_period - 1 :] + _TINY)


def _parabolic_shifts(cmndf: np.ndarray) -> np.ndarray:
    """Sub-lag offset of each lag's parabola optimum; 0 at the edges and where it would leave ±1."""
    shifts = np.zeros_like(cmndf)
    left, centre, right = cmndf[:-2], cmndf[1:-1], cmndf[2:]
    a = right + left - 2 * centre
    b = (right - left) / 2
    inside = np.abs(b) < np.abs(a)
    shifts[1:-1] = np.where(inside, -b / np.where(inside, a, 1.0), 0.0)
    return shifts


def _troughs(cmndf: np.ndarray) -> np.ndarray:
    """Local minima along the lag axis: below the previous lag and not above the next; the first
    lag counts when below the second, the last when below the one before."""
    troughs = np.zeros(cmndf.shape, dtype=bool)
    troughs[1:-1] = (cmndf[1:-1] < cmndf[:-2]) & (cmndf[1:-1] <= cmndf[2:])
    troughs[0] = cmndf[0] < cmndf[1]
    troughs[-1] = cmndf[-1] < cmndf[-2]
    return troughs


@functools.cache
def _beta_probs() -> np.ndarray:
    return np.diff(scipy.stats.beta.cdf(THRESHOLDS, *BETA_PARAMETERS))


def _trough_probs(heights: np.ndarray) -> np.ndarray:
    """pYIN's probability of each trough being the period, for troughs (frames, k) in lag order
    (missing troughs are +inf): over thresholds, the troughs below one share its beta weight by a
    Boltzmann prior on their order. Only troughs below 1 (the top threshold) take part."""
    lam = BOLTZMANN_PARAMETER
    below = heights[:, :, None] < THRESHOLDS[None, None, 1:]  # (frames, troughs, thresholds)
    order = np.cumsum(below, axis=1, dtype=np.int16)  # 1 for the first trough below
    count = np.maximum(order[:, -1, :], 1)
    weight = _beta_probs() * (1 - np.exp(-lam)) / (1 - np.exp(-lam * count))  # (frames, thresholds)
    decay = np.exp(np.float32(-lam) * (order - 1), dtype=np.float32)
    return np.einsum("tkj,tj->tk", np.where(below, decay, np.float32(0)), weight.astype(np.float32)).astype(np.float64)


def _no_trough_probs(lowest: np.ndarray) -> np.ndarray:
    """The weight the global minimum of each frame takes for the thresholds no trough is below."""
    none_below = np.count_nonzero(THRESHOLDS[None, 1:] <= lowest[:, None], axis=1)
    return NO_TROUGH_PROB * np.concatenate([[0.0], np.cumsum(_beta_probs())])[none_below]


def _observations(cmndf: np.ndarray, min_period: int, sample_rate: int, fmin: float, n_bins: int) -> np.ndarray:
    """(n_frames, 2 n_bins): voiced pitch-bin likelihoods, then the unvoiced states sharing the rest."""
    n_frames = cmndf.shape[1]
    troughs = _troughs(cmndf)
    masked = np.where(troughs, cmndf, np.inf)
    probs = np.zeros(cmndf.shape)
    frames = np.arange(n_frames)
    lowest = masked.argmin(axis=0)
    probs[lowest, frames] = _no_trough_probs(masked[lowest, frames])

    lag, frame = np.nonzero((masked < THRESHOLDS[-1]).T)[::-1]  # troughs below some threshold, by frame then lag
    slot = np.arange(len(frame)) - np.searchsorted(frame, frame)
    heights = np.full((n_frames, slot.max(initial=0) + 1), np.inf)
    heights[frame, slot] = cmndf[lag, frame]
    probs[lag, frame] += _trough_probs(heights)[frame, slot]

    lag, frame = np.nonzero((probs > 0).T)[::-1]
    period = min_period + lag + _parabolic_shifts(cmndf)[lag, frame]
    bins = np.clip(np.round(12 / RESOLUTION * np.log2(sample_rate / period / fmin)), 0, n_bins).astype(int)
    observations = np.zeros((n_frames, 2 * n_bins))
    observations[frame, bins] = probs[lag, frame]  # a period above fmax (bin n_bins) is overwritten below, as in pYIN
    voiced = np.clip(observations[:, :n_bins].sum(axis=1, keepdims=True), 0, 1)
    observations[:, n_bins:] = (1 - voiced) / n_bins
    return observations


@functools.cache
def _log_band(n_bins: int, width: int) -> np.ndarray:
    """log P(bin b' at t | bin b at t-1) for b = b' - half .. b' + half, as (n_bins, width):
    librosa's triangular local transition (rows renormalized at the edges), -inf off the grid."""
    transition = librosa.sequence.transition_local(n_bins, width, window="triangle", wrap=False)
    half = width // 2
    offsets = np.abs(np.subtract.outer(np.arange(n_bins), np.arange(n_bins)))
    if np.any(transition[offsets > half]):
        raise RuntimeError("librosa's pitch transition is wider than its band: the banded decoder would not be exact")
    band = np.full((n_bins, width), -np.inf)
    for j in range(width):
        source = np.arange(n_bins) - half + j
        valid = (source >= 0) & (source < n_bins)
        band[valid, j] = np.log(transition[source[valid], np.arange(n_bins)[valid]] + _TINY)
    return band


@numba.njit(cache=True)
def _banded_viterbi(log_obs: np.ndarray, log_band: np.ndarray) -> np.ndarray:  # pragma: no cover (compiled)
    """The most likely state per frame; states are (voicing, bin) as voicing * n_bins + bin.
    A move is a pitch step inside the band, then staying or switching voicing at that bin."""
    n_frames = log_obs.shape[0]
    n_bins, width = log_band.shape
    half = width // 2
    stay, switch = np.log(1 - SWITCH_PROB), np.log(SWITCH_PROB)
    value = log_obs[0] - np.log(2 * n_bins)
    pointer = np.zeros((n_frames, 2 * n_bins), dtype=np.int32)
    best = np.empty(2 * n_bins)
    arg = np.zeros(2 * n_bins, dtype=np.int32)
    for t in range(1, n_frames):
        for v in range(2):  # the best predecessor at each bin, within one voicing
            for b in range(n_bins):
                top, where = -np.inf, 0
                for j in range(max(0, half - b), min(width, n_bins + half - b)):
                    score = value[v * n_bins + b - half + j] + log_band[b, j]
                    if score > top:
                        top, where = score, v * n_bins + b - half + j
                best[v * n_bins + b], arg[v * n_bins + b] = top, where
        for v in range(2):
            for b in range(n_bins):
                same, other = v * n_bins + b, (1 - v) * n_bins + b
                kept, flipped = best[same] + stay, best[other] + switch
                # ties go to the lower state index, as in librosa's decoder
                take_other = flipped > kept or (flipped == kept and arg[other] < arg[same])
                pointer[t, same] = arg[other] if take_other else arg[same]
                value[same] = (flipped if take_other else kept) + log_obs[t, same]
    states = np.empty(n_frames, dtype=np.int64)
    states[-1] = np.argmax(value)
    for t in range(n_frames - 1, 0, -1):
        states[t - 1] = pointer[t, states[t]]
    return states
