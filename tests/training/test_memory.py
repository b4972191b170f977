"""The peak memory a trial checks its budget against starts over for each trial in a reused
worker: an earlier trial's peak is not this one's."""

import subprocess
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


FRAGMENT = """
import numpy as np
from voxgraft.training.memory import release_freed_memory, resident_memory_mb
blocks = [np.ones(1024) for _ in range(40000)]  # 8 KB each, 320 MB from the heap (under glibc's mmap threshold)
kept = blocks[::8]  # one in eight stays: the freed space between them cannot shrink the heap
del blocks
before = resident_memory_mb()
released = release_freed_memory()
print(released, before, resident_memory_mb())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim and Linux's /proc")
def test_a_reused_worker_gives_back_what_an_earlier_trial_freed():
    out = subprocess.run([sys.executable, "-c", FRAGMENT], capture_output=True, text=True, check=True).stdout.split()
    released, before, after = out[0] == "True", float(out[1]), float(out[2])
    assert released and before - after > 150, (before, after)  # of the ~280 MB freed in holes
