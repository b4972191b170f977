"""One VITS training step with optimizers: discriminator update, then generator update.

Used by recipient pretraining and by transplant trials. Only trainable parameters reach the
generator's optimizer; the discriminator and its optimizer exist only when an adversarial loss
is active (a cadence transplant never builds them).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch
from transformers import VitsModel

from voxgraft.data.dataset import Batch
from voxgraft.models.discriminator import DiscriminatorConfig, VitsDiscriminator
from voxgraft.models.losses import discriminator_loss
from voxgraft.models.organs import build_optimizer
from voxgraft.models.styled_vits import anneal_weight
from voxgraft.training.plan import StepPlan
from voxgraft.training.step import StepCache, adversarial_losses, generator_forward, weighted_total


@dataclass(frozen=True)
class TrainConfig:
    learning_rate: float = 2e-4
    lr_decay: float = 0.999875  # per epoch, as VITS schedules it
    batch_size: int = 8
    segment_frames: int = 32  # 8192 samples at hop 256, VITS's segment
    grad_clip_norm: float = 1000.0  # Coqui's VITS default; keeps a bad batch from blowing up
    seed: int = 0
    style_beta: float | None = None  # the style KL's weight after annealing; None: the model's own

    def to_dict(self) -> dict:
        return asdict(self)


def slice_batch(batch: Batch, rows: list[int]) -> Batch:
    """The batch's rows `rows` (padding kept: the masks make it harmless)."""
    fields = {}
    for key, value in vars(batch).items():
        if isinstance(value, torch.Tensor):
            fields[key] = value[rows]
        elif isinstance(value, list):
            fields[key] = [value[i] for i in rows]
        else:
            fields[key] = value
    return Batch(**fields)


def move_batch(batch: Batch, device: torch.device) -> Batch:
    fields = {k: (v.to(device) if isinstance(v, torch.Tensor) else v) for k, v in vars(batch).items()}
    return Batch(**fields)


class Trainer:
    def __init__(
        self,
        model: VitsModel,
        plan: StepPlan,
        params: list[torch.nn.Parameter],
        config: TrainConfig,
        discriminator_config: DiscriminatorConfig | None = None,
    ):
        self.model, self.plan, self.params, self.config = model, plan, params, config
        self.device = next(model.parameters()).device
        self.cache = StepCache()
        self.optimizer = build_optimizer(params, config.learning_rate)
        self.scheduler = torch.optim.lr_scheduler.ExponentialLR(self.optimizer, config.lr_decay)
        self.discriminator = None
        if plan.trains_discriminator:
            self.discriminator = VitsDiscriminator(discriminator_config or DiscriminatorConfig()).to(self.device)
            self.d_optimizer = build_optimizer(list(self.discriminator.parameters()), config.learning_rate)
            self.d_scheduler = torch.optim.lr_scheduler.ExponentialLR(self.d_optimizer, config.lr_decay)
        self.step_count = 0
        self.epoch = 0
        self.micro_batches = 1  # > 1: each batch in slices, gradients accumulated (memory budget)

    def _autocast(self):
        if self.device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def step(self, batch: Batch) -> dict[str, float]:
        """One optimizer step on `batch`; returns the losses (unweighted) and gradient norm."""
        batch = move_batch(batch, self.device)
        seed = self.config.seed * 1_000_003 + self.step_count
        if self.micro_batches > 1:
            return self._accumulated_step(batch, seed)
        report: dict[str, float] = {}
        with self._autocast():
            result = generator_forward(
                self.model, batch, self.plan, seed, self.config.segment_frames, self.cache
            )
        losses = dict(result.losses)
        if self.discriminator is not None:
            with self._autocast():
                d_loss = self._discriminator_loss(result)
            self.d_optimizer.zero_grad(set_to_none=True)
            d_loss.backward()
            torch.nn.utils.clip_grad_norm_(self.discriminator.parameters(), self.config.grad_clip_norm)
            self.d_optimizer.step()
            report["discriminator"] = float(d_loss.detach())
            with self._autocast():
                losses.update(adversarial_losses(self.discriminator, result.wav_fake, result.wav_real))
        total = weighted_total(losses, self._loss_weights())
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        return self._finish_step(report, {k: float(v.detach()) for k, v in losses.items()}, float(total.detach()))

    def _loss_weights(self) -> dict[str, float]:
        if "style_kl" not in self.plan.losses:
            return {}
        return {"style_kl": anneal_weight(self.model, self.step_count, self.config.style_beta)}

    def _discriminator_loss(self, result) -> torch.Tensor:
        real = self.discriminator(result.wav_real)
        fake = self.discriminator(result.wav_fake.detach())
        return discriminator_loss([r for r, _ in real], [f for f, _ in fake])

    def _accumulated_step(self, batch: Batch, seed: int) -> dict[str, float]:
        """The same step in `micro_batches` slices with gradients accumulated, for when a batch
        does not fit in memory. The generator's adversarial loss then uses the discriminator as
        it was before this step's update (both update together at the end)."""
        size = len(batch.utterance_ids)
        self.optimizer.zero_grad(set_to_none=True)
        if self.discriminator is not None:
            self.d_optimizer.zero_grad(set_to_none=True)
        sums: dict[str, float] = {}
        total_sum = 0.0
        for i, rows in enumerate(torch.arange(size).chunk(self.micro_batches)):
            share = len(rows) / size
            part = slice_batch(batch, rows.tolist())
            with self._autocast():
                result = generator_forward(
                    self.model, part, self.plan, seed * 64 + i, self.config.segment_frames, self.cache
                )
            losses = dict(result.losses)
            if self.discriminator is not None:
                with self._autocast():
                    d_loss = self._discriminator_loss(result)
                (d_loss * share).backward()
                sums["discriminator"] = sums.get("discriminator", 0.0) + float(d_loss.detach()) * share
                with self._autocast():
                    losses.update(adversarial_losses(self.discriminator, result.wav_fake, result.wav_real))
            total = weighted_total(losses, self._loss_weights())
            (total * share).backward()
            total_sum += float(total.detach()) * share
            for k, v in losses.items():
                sums[k] = sums.get(k, 0.0) + float(v.detach()) * share
        if self.discriminator is not None:
            torch.nn.utils.clip_grad_norm_(self.discriminator.parameters(), self.config.grad_clip_norm)
            self.d_optimizer.step()
        report = {"discriminator": sums.pop("discriminator")} if "discriminator" in sums else {}
        return self._finish_step(report, sums, total_sum)

    def _finish_step(self, report: dict[str, float], losses: dict[str, float], total: float) -> dict[str, float]:
        grad_norm = torch.nn.utils.clip_grad_norm_(self.params, self.config.grad_clip_norm)
        self.optimizer.step()
        self.step_count += 1
        report.update(losses)
        report["total"] = total
        report["grad_norm"] = float(grad_norm)
        return report

    def run(self, data, steps: int, on_step: Callable[[dict[str, float], float], bool] | None = None) -> dict[str, float]:
        """Step through `data`'s shuffled epochs until `steps` optimizer steps (counting from where
        this trainer is). After each step `on_step(losses, seconds)` may return True to stop.
        Returns the last step's losses. The one training loop of pretraining and trials."""
        last: dict[str, float] = {}
        while self.step_count < steps:
            for batch in data.loader(self.config.batch_size, self.config.seed, self.epoch):
                tick = time.perf_counter()
                last = self.step(batch)
                if (on_step is not None and on_step(last, time.perf_counter() - tick)) or self.step_count >= steps:
                    return last
            self.end_epoch()
        return last

    def end_epoch(self) -> None:
        self.scheduler.step()
        if self.discriminator is not None:
            self.d_scheduler.step()
        self.epoch += 1

    def state_dict(self) -> dict:
        state = {
            "step": self.step_count,
            "epoch": self.epoch,
            "micro_batches": self.micro_batches,  # what the memory budget needed: a resume must not start over at 1
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
        }
        if self.discriminator is not None:
            state["discriminator"] = self.discriminator.state_dict()
            state["d_optimizer"] = self.d_optimizer.state_dict()
            state["d_scheduler"] = self.d_scheduler.state_dict()
        return state

    def load_state_dict(self, state: dict) -> None:
        self.step_count, self.epoch = int(state["step"]), int(state["epoch"])
        self.micro_batches = int(state.get("micro_batches", 1))  # states from before it was kept: the whole batch
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if self.discriminator is not None and "discriminator" in state:
            self.discriminator.load_state_dict(state["discriminator"])
            self.d_optimizer.load_state_dict(state["d_optimizer"])
            self.d_scheduler.load_state_dict(state["d_scheduler"])
