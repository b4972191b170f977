"""Measurements run with numpy's BLAS on one thread.

OpenBLAS's helper threads spin on after each call and take the cores from torch's threads: on
2 cores the speaker encoder's LSTM, run right after a mel spectrogram, took 0.11 s instead of
0.017 s, and whatever torch ran next slowed alike. Measurements only multiply small matrices, so
one BLAS thread costs them nothing (bench/evaluate.py).
"""

from __future__ import annotations

import functools

from threadpoolctl import threadpool_limits


def single_threaded_numpy(measure):
    @functools.wraps(measure)
    def limited(*args, **kwargs):
        with threadpool_limits(limits=1, user_api="blas"):
            return measure(*args, **kwargs)

    return limited
