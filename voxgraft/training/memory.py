"""Memory a training process has used: what the memory budget of a trial is checked against."""

from __future__ import annotations

import ctypes
import gc
import resource

import torch


def peak_memory_mb(device: torch.device) -> float:
    """Peak accelerator memory of this process; peak resident memory on CPU."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    try:  # Linux: the address space's high-water mark, which reset_peak_memory resets
        with open("/proc/self/status") as status:
            return next(float(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024  # kB
    except (OSError, StopIteration):
        # ru_maxrss also keeps the peaks of threads that have exited, which no reset clears
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def release_freed_memory() -> bool:
    """Hand what earlier trials freed back to the OS. glibc keeps freed heap pages for reuse, and
    a reused CPU worker's training and evaluation fragment them: on the joe voice each trial
    started about 1 GB higher than the one before, until Ray's memory monitor killed workers.
    False where there is no glibc to ask."""
    gc.collect()
    try:
        return bool(ctypes.CDLL("libc.so.6").malloc_trim(0))
    except (OSError, AttributeError):
        return False


def resident_memory_mb() -> float:
    """This process's resident memory now (Linux; NaN elsewhere)."""
    try:
        with open("/proc/self/status") as status:
            return next(float(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024
    except (OSError, StopIteration):
        return float("nan")


def reset_peak_memory(device: torch.device) -> bool:
    """Start the peak over, so a trial in a reused worker measures its own peak, not the worst of
    the trials before it. On CPU that is Linux's clear_refs; False where it cannot be reset."""
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
        return True
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # resets the peak resident set size that ru_maxrss reports
        return True
    except OSError:
        return False


def micro_batch_size(batch_size: int, micro_batches: int) -> int:
    """Rows per micro-batch when a batch is split in `micro_batches` slices."""
    return -(-batch_size // micro_batches)
