"""`voxgraft plan --memory`: the peak memory of a trial's training step, measured with real steps
on a real donor batch, set up as a trial sets itself up (organs frozen, the recipient's own
discriminator when it left one).

On CUDA the peak is what the caching allocator reserved (what the card must hold), plus the
CUDA context every process pays; that gives how many such trials share a card. On CPU the peak
is the process's resident memory, sampled while the steps run; it is said as such, and no
per-card figure is derived from it (CPU and GPU memory use differ too much to translate). The
CPU figure means something only in a fresh process, as the CLI is: in a long-lived one, memory
that earlier work freed absorbs the step and the resident size does not move.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import psutil
import torch

from voxgraft.models.checkpoints import load_recipient
from voxgraft.models.organs import FreezePlan, apply_freeze_plan
from voxgraft.trainables.transplant import discriminator_config, recipient_symbols
from voxgraft.training.plan import plan_step
from voxgraft.training.recipient_data import open_for_recipient
from voxgraft.training.trainer import TrainConfig, Trainer

CUDA_CONTEXT_MB = 500.0  # per process, outside the allocator: a typical figure, not yet measured by voxgraft
SAMPLE_S = 0.005


@dataclass(frozen=True)
class StepMemory:
    device: str
    batch_size: int  # rows of the measured batch (a corpus smaller than the asked size gives fewer)
    steps: int
    before_mb: float  # after loading the recipient, the data and the trainer
    peak_mb: float  # the highest during the steps (CUDA: reserved by the allocator; CPU: resident)

    def trials_per_card(self, card_gb: float) -> int | None:
        if self.device != "cuda":
            return None
        return int(card_gb * 1024 // (self.peak_mb + CUDA_CONTEXT_MB))


class _RssPeak:
    """The highest resident memory of this process while the block runs, sampled every 5 ms."""

    def __enter__(self):
        self.before = self.peak = psutil.Process().memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        process = psutil.Process()
        while not self._stop.wait(SAMPLE_S):
            self.peak = max(self.peak, process.memory_info().rss)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, psutil.Process().memory_info().rss)


def _trainer(recipient: Path, donor: Path, organs: str, alignment: str, batch_size: int, device: torch.device):
    loaded = load_recipient(recipient)
    symbols = recipient_symbols(recipient)
    data = open_for_recipient(donor, alignment, loaded.model, symbols, heldout=0)
    model = loaded.model.to(device)
    freeze = FreezePlan.for_model(organs, model)
    params = apply_freeze_plan(model, freeze)
    disc_config, disc_state = discriminator_config(recipient)
    trainer = Trainer(model, plan_step(freeze.trainable, alignment), params, TrainConfig(batch_size=batch_size), disc_config)
    if trainer.discriminator is not None and disc_state is not None:
        trainer.discriminator.load_state_dict(disc_state)
    return trainer, data


def measure_step_memory(
    recipient: Path, donor: Path, organs: str, alignment: str, batch_size: int, steps: int = 3, device: str | None = None
) -> StepMemory:
    """Peak memory over `steps` training steps (the first creates the optimizer's state)."""
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    trainer, data = _trainer(Path(recipient), Path(donor), organs, alignment, batch_size, device)
    batch = _largest_batch(data, batch_size)
    rows = len(batch.utterance_ids)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        before = torch.cuda.memory_reserved(device) / 2**20
        torch.cuda.reset_peak_memory_stats(device)
        for _ in range(steps):
            trainer.step(batch)
        torch.cuda.synchronize(device)
        return StepMemory("cuda", rows, steps, before, torch.cuda.max_memory_reserved(device) / 2**20)
    with _RssPeak() as peak:
        for _ in range(steps):
            trainer.step(batch)
    return StepMemory("cpu", rows, steps, peak.before / 2**20, peak.peak / 2**20)


def _largest_batch(data, batch_size: int):
    """The batch of an epoch with the most padded frames: the one a trial's peak comes from."""
    return max(data.loader(batch_size, seed=0), key=lambda b: len(b.utterance_ids) * int(b.frame_lengths.max()))
