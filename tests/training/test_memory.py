"""The peak memory a trial checks its budget against starts over for each trial in a reused
worker: an earlier trial's peak is not this one's."""

import sys

import numpy as np
import pytest
import torch

from voxgraft.training.memory import peak_memory_mb, reset_peak_memory


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the CPU peak is reset through Linux's /proc")
def test_a_reset_forgets_an_earlier_peak():
    cpu = torch.device("cpu")
    block = np.ones(400 * 2**20 // 8)  # 400 MB, touched
    high = peak_memory_mb(cpu)
    del block
    assert reset_peak_memory(cpu)
    assert peak_memory_mb(cpu) < high - 300
