"""Which organs to unfreeze, measured before any sweep: organ triage at step 0.

For each organ of the recipient, on a few donor batches under one objective's losses:
- its relative gradient norm ‖g‖/‖θ‖ (Auto-RGN, Lee et al., ICLR 2023, "Surgical Fine-Tuning
  Improves Adaptation to Distribution Shifts"): how hard the donor pulls on that organ for
  its size;
- its one-step look-ahead gain: the held-out objective loss before minus after one gradient
  step of that organ alone, the others untouched. A step moves the organ by a fixed fraction of
  its own weight norm (θ - s·‖θ‖·g/‖g‖), so organs of any size and gradient scale compare at
  equal relative change; the best of s = 1e-5, 1e-4, 1e-3, 1e-2 counts (a coarse line search:
  on the tiny recipient 1e-3 already overshoots the duration predictor's loss, while on the
  same batch 1e-4 lowers it; Adam's first update, lr·sign(g), overshot for every organ).
Organs rank by relative gradient norm, the look-ahead gain breaking ties (it is 0 too for an
organ no loss of the objective reaches: VITS detaches the duration predictor's inputs, so
under cadence only the duration predictor has a gradient).

The objective's losses are the generator losses that define it: `duration` for cadence, `mel`
and `kl` for timbre (the adversarial losses need a discriminator trained alongside, so a step-0
measurement leaves them out). Everything runs in eval mode on fixed noise seeds, so a triage
is repeatable.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass

import torch
from transformers import VitsModel

from voxgraft.data.training_set import TrainingSet
from voxgraft.models.losses import LOSS_WEIGHTS
from voxgraft.models.organs import FreezePlan, apply_freeze_plan, model_organs
from voxgraft.training.plan import plan_step
from voxgraft.training.step import generator_forward
from voxgraft.training.trainer import TrainConfig

OBJECTIVE_LOSSES = {"cadence": ("duration",), "timbre": ("mel", "kl")}
HELDOUT_SEED = 0
LOOKAHEAD_STEPS = (1e-5, 1e-4, 1e-3, 1e-2)  # fractions of an organ's weight norm


class TriageError(ValueError):
    pass


@dataclass(frozen=True)
class OrganScore:
    organ: str
    parameters: int
    grad_norm: float
    weight_norm: float
    relative_grad_norm: float
    lookahead_gain: float  # held-out objective loss before minus after its best one step (> 0: it helped)
    lookahead_step: float  # that step, as a fraction of the organ's weight norm (0: no gradient)
    relative_grad_norm_by_loss: dict[str, float]  # each of the objective's (weighted) losses alone


@dataclass(frozen=True)
class Triage:
    objective: str
    losses: tuple[str, ...]
    alignment: str
    batches: int
    batch_size: int
    heldout_loss: float  # the objective's held-out loss at step 0
    scores: tuple[OrganScore, ...]  # best first

    def ranking(self) -> list[str]:
        return [s.organ for s in self.scores]

    def to_dict(self) -> dict:
        return {**asdict(self), "ranking": self.ranking()}


def objective_loss(losses: dict[str, torch.Tensor], objective: str) -> torch.Tensor:
    names = [n for n in OBJECTIVE_LOSSES[objective] if n in losses]
    if not names:
        raise TriageError(f"the {objective} losses {OBJECTIVE_LOSSES[objective]} were not computed")
    return sum(LOSS_WEIGHTS[n] * losses[n] for n in names)


def _heldout(model: VitsModel, data: TrainingSet, plan, objective: str, segment_frames: int) -> float:
    with torch.no_grad():
        result = generator_forward(model, data.heldout_batch(), plan, HELDOUT_SEED, segment_frames)
    return float(objective_loss(result.losses, objective))


def _gradients(model: VitsModel, data: TrainingSet, plan, objective: str, batches: int, batch_size: int, seed: int,
               segment_frames: int) -> tuple[int, dict[str, dict[str, float]]]:
    """Accumulate the objective's mean gradient over up to `batches` donor batches (fewer when
    the donor has fewer) into .grad; returns how many there were and, per organ, each loss's
    own gradient norm (which loss pulls on which organ)."""
    organs = model_organs(model)
    chosen = list(itertools.islice(data.loader(batch_size, seed), batches))
    per_loss = {name: {loss: [torch.zeros_like(p) for p in organ.parameters()] for loss in OBJECTIVE_LOSSES[objective]}
                for name, organ in organs.items()}
    for i, batch in enumerate(chosen):
        losses = generator_forward(model, batch, plan, seed * 1_000_003 + i, segment_frames).losses
        for loss in OBJECTIVE_LOSSES[objective]:
            if loss not in losses:
                continue
            for name, organ in organs.items():
                grads = torch.autograd.grad(LOSS_WEIGHTS[loss] * losses[loss] / len(chosen), list(organ.parameters()),
                                            retain_graph=True, allow_unused=True)
                for total, g in zip(per_loss[name][loss], grads):
                    if g is not None:
                        total += g
        (objective_loss(losses, objective) / len(chosen)).backward()
    return len(chosen), {name: {loss: _norm(gs) for loss, gs in by_loss.items()} for name, by_loss in per_loss.items()}


def _norm(tensors) -> float:
    return float(torch.sqrt(sum((t.detach().double() ** 2).sum() for t in tensors)))


def _lookahead(model: VitsModel, data: TrainingSet, plan, objective: str, organ: torch.nn.Module, before: float,
               segment_frames: int) -> tuple[float, float]:
    """(best gain, its step) over LOOKAHEAD_STEPS, the organ restored after each try."""
    params = [p for p in organ.parameters() if p.grad is not None]
    saved = [p.detach().clone() for p in params]
    unit = _norm(params) / _norm([p.grad for p in params])
    best = (-float("inf"), 0.0)
    for step in LOOKAHEAD_STEPS:
        with torch.no_grad():
            for p in params:
                p -= step * unit * p.grad  # the organ moves by `step` of its own weight norm
        best = max(best, (before - _heldout(model, data, plan, objective, segment_frames), step))
        with torch.no_grad():
            for p, old in zip(params, saved):
                p.copy_(old)
    return best


def triage(model: VitsModel, data: TrainingSet, objective: str, alignment: str = "forced", batches: int = 3,
           batch_size: int = 4, seed: int = 0, segment_frames: int = TrainConfig.segment_frames) -> Triage:
    """Score every organ of `model` (its weights are left as they were) on `data`'s donor."""
    if objective not in OBJECTIVE_LOSSES:
        raise TriageError(f"unknown objective {objective!r}; choose from: {', '.join(OBJECTIVE_LOSSES)}")
    if not data.heldout_indices:
        raise TriageError("triage needs held-out donor utterances for its look-ahead (heldout >= 1)")
    organs = model_organs(model)
    plan = plan_step(tuple(organs), alignment)
    apply_freeze_plan(model, FreezePlan.for_model(tuple(organs), model))
    model.eval()  # a measurement: no dropout; the seeds fix every noise draw
    model.zero_grad(set_to_none=True)
    try:
        before = _heldout(model, data, plan, objective, segment_frames)
        ran, by_loss = _gradients(model, data, plan, objective, batches, batch_size, seed, segment_frames)
        scores = []
        for name, organ in organs.items():
            params = list(organ.parameters())
            grads = [p.grad for p in params if p.grad is not None]
            g, w = (_norm(grads) if grads else 0.0), _norm(params)
            gain, step = _lookahead(model, data, plan, objective, organ, before, segment_frames) if g > 0 else (0.0, 0.0)
            scores.append(OrganScore(name, sum(p.numel() for p in params), g, w, g / w if w else 0.0, gain, step,
                                     {loss: norm / w if w else 0.0 for loss, norm in by_loss[name].items()}))
    finally:
        model.zero_grad(set_to_none=True)
        model.requires_grad_(False)
    scores.sort(key=lambda s: (-s.relative_grad_norm, -s.lookahead_gain))
    return Triage(objective, OBJECTIVE_LOSSES[objective], alignment, ran, batch_size, before, tuple(scores))
