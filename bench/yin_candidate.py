"""A candidate fast F0 tracker for evaluation (issue 18), not adopted yet: YIN (de Cheveigné &
Kawahara, 2002), all frames at once, with octave correction and a continuity check.
bench/f0_tracker.py measures it against pYIN; bench/RESULTS.md says where it falls short.

pYIN (data/features.pyin_f0) stays the reference and the feature cache's tracker; its cost is
the probabilistic thresholds and the Viterbi pass over pitch-voicing states, which the summary
statistics that evaluation needs (median F0, the 5–95% range) do not use. Here a frame is voiced
when its cumulative mean normalized difference dips below `threshold` somewhere in range and
the frame is not silent; its period is the first dip nearly as deep as the deepest, refined by
parabolic interpolation. Agreement with pYIN
is measured on every synthetic preset and on the joe voice by bench/f0_tracker.py.
"""

from __future__ import annotations

import numpy as np

SILENT_DB = -45.0  # frames this far below the loudest frame are not voiced, whatever YIN says
LAG_MARGIN = 0.02  # the period's dip is the first this close to the deepest (a double period dips as deep)
CONTINUITY_ST = 2.0  # pitch moves less than this between neighbouring frames (16 ms apart)
OCTAVE_MARGIN = 0.1  # how much shallower a multiple's dip may be and still count as the period


def _difference(frames: np.ndarray, max_lag: int) -> np.ndarray:
    """YIN's squared difference d(tau) for tau in 0..max_lag, per frame, via the FFT."""
    window = frames.shape[0] - max_lag
    size = 1 << int(np.ceil(np.log2(frames.shape[0] + window)))
    spectrum = np.fft.rfft(frames, size, axis=0)
    head = np.fft.rfft(frames[:window][::-1], size, axis=0)
    cross = np.fft.irfft(spectrum * head, size, axis=0)[window - 1 : window + max_lag]  # sum x_j x_{j+tau}
    energy = np.cumsum(np.concatenate([np.zeros((1, frames.shape[1])), frames**2]), axis=0)
    shifted = energy[window : window + max_lag + 1] - energy[: max_lag + 1]  # sum x_{j+tau}^2
    return np.maximum(energy[window] + shifted - 2.0 * cross, 0.0)


def _normalized(diff: np.ndarray) -> np.ndarray:
    """The cumulative mean normalized difference d'(tau); d'(0) = 1."""
    lags = np.arange(1, diff.shape[0])[:, None]
    running = np.cumsum(diff[1:], axis=0)
    out = np.ones_like(diff)
    out[1:] = diff[1:] * lags / np.maximum(running, 1e-12)
    return out


def _first_dip(cmnd: np.ndarray, min_lag: int, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Per frame: the first lag >= min_lag within LAG_MARGIN of the deepest dip, walked down to
    its local minimum, and whether the deepest dip is below `threshold` (voiced). Voicing and the
    lag are separate decisions: a formant's shallow dip at a fraction of the period can pass a
    voicing threshold, so the lag must come close to the deepest dip as well."""
    search = cmnd[min_lag:]
    deepest = search.min(axis=0)
    lag = (search <= deepest + LAG_MARGIN).argmax(axis=0)
    columns = np.arange(search.shape[1])
    last = search.shape[0] - 1
    for _ in range(search.shape[0]):  # descend to the bottom of the dip (a few lags at most)
        step = (lag < last) & (search[np.minimum(lag + 1, last), columns] < search[lag, columns])
        if not step.any():
            break
        lag = lag + step
    return lag + min_lag, deepest < threshold


def _toward_typical(cmnd: np.ndarray, lag: np.ndarray, voiced: np.ndarray, max_lag: int) -> np.ndarray:
    """Octave correction toward the utterance's typical period: a strong low harmonic (a formant
    at the 2nd-4th harmonic) can dip as deep at a fraction of the period. Where a multiple of a
    frame's lag also dips nearly as deep and lies closer to the median period, take it (pYIN
    gets the same continuity from its Viterbi pass)."""
    if voiced.sum() < 3:
        return lag
    typical = np.log(np.median(lag[voiced]))
    columns = np.arange(cmnd.shape[1])
    best = lag.copy()
    for k in (2, 3, 4):
        centre = k * lag
        windows = np.clip(centre[None, :] + np.arange(-2, 3)[:, None], 0, max_lag)
        values = cmnd[windows, columns]
        candidate = windows[values.argmin(axis=0), columns]
        dips = (centre + 2 <= max_lag) & (values.min(axis=0) <= cmnd[lag, columns] + OCTAVE_MARGIN)
        closer = np.abs(np.log(candidate) - typical) < np.abs(np.log(best) - typical)
        best = np.where(dips & closer, candidate, best)
    return best


def _continuous(f0: np.ndarray) -> np.ndarray:
    """NaN for a voiced frame that no neighbour continues within CONTINUITY_ST semitones: the
    spurious periodicity of a fricative or a transition is one frame long and off the contour."""
    cents = 12 * np.log2(f0)
    padded = np.concatenate([[np.nan], cents, [np.nan]])
    near = (np.abs(padded[1:-1] - padded[:-2]) < CONTINUITY_ST) | (np.abs(padded[1:-1] - padded[2:]) < CONTINUITY_ST)
    return np.where(near, f0, np.nan)


def _refine(cmnd: np.ndarray, lag: np.ndarray) -> np.ndarray:
    """Parabolic interpolation of the dip around each integer lag."""
    columns = np.arange(cmnd.shape[1])
    inner = np.clip(lag, 1, cmnd.shape[0] - 2)
    left, mid, right = cmnd[inner - 1, columns], cmnd[inner, columns], cmnd[inner + 1, columns]
    curve = left - 2 * mid + right
    shift = np.where(np.abs(curve) > 1e-12, 0.5 * (left - right) / np.where(curve == 0, 1, curve), 0.0)
    return inner + np.clip(shift, -1.0, 1.0)


def yin_f0(
    wav: np.ndarray, sample_rate: int, frame_length: int, hop_length: int, fmin: float, fmax: float, threshold: float = 0.15
) -> np.ndarray:
    """F0 in Hz per frame (centred on k * hop, as pyin_f0's), NaN where unvoiced."""
    wav = np.asarray(wav, dtype=np.float64)
    padded = np.pad(wav, frame_length // 2)
    if len(padded) < frame_length:
        return np.zeros(0)
    frames = np.lib.stride_tricks.sliding_window_view(padded, frame_length)[::hop_length].T
    max_lag = min(int(np.ceil(sample_rate / fmin)), frame_length // 2)
    min_lag = max(int(np.floor(sample_rate / fmax)), 2)
    cmnd = _normalized(_difference(frames, max_lag))
    lag, voiced = _first_dip(cmnd, min_lag, threshold)
    loudness = 10 * np.log10(np.mean(frames**2, axis=0) + 1e-12)
    voiced &= loudness > loudness.max() + SILENT_DB
    lag = _toward_typical(cmnd, lag, voiced, max_lag)
    f0 = sample_rate / _refine(cmnd, lag)
    return _continuous(np.where(voiced & (f0 >= fmin) & (f0 <= fmax), f0, np.nan))
