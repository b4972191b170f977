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
- its look-ahead along training's own gradient: the same step, but along the gradient of every
  generator loss a trial trains that organ with (what fine-tuning would actually do to it),
  scored by the held-out objective loss. An organ can change the objective without receiving
  its gradient: under cadence the text encoder gets none (VITS detaches the duration
  predictor's inputs), yet its KL step changes what the duration predictor reads.
Organs rank by relative gradient norm, the look-ahead gain breaking ties (it is 0 too for an
organ no loss of the objective reaches).

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
from voxgraft.training.step import generator_forward, weighted_total
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
    training_lookahead_gain: float  # the same, stepping along every training loss's gradient
    training_lookahead_step: float


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
               segment_frames: int) -> tuple[int, dict[str, dict[str, float]], dict[str, list[torch.Tensor]]]:
    """Accumulate the objective's mean gradient over up to `batches` donor batches (fewer when
    the donor has fewer) into .grad; returns how many there were, per organ each loss's own
    gradient norm (which loss pulls on which organ), and per organ the gradient of all the
    training losses together (the direction fine-tuning would move it)."""
    organs = model_organs(model)
    chosen = list(itertools.islice(data.loader(batch_size, seed), batches))
    per_loss = {name: {loss: _zeros(organ) for loss in OBJECTIVE_LOSSES[objective]} for name, organ in organs.items()}
    training = {name: _zeros(organ) for name, organ in organs.items()}
    for i, batch in enumerate(chosen):
        losses = generator_forward(model, batch, plan, seed * 1_000_003 + i, segment_frames).losses
        parts = {loss: LOSS_WEIGHTS[loss] * losses[loss] for loss in OBJECTIVE_LOSSES[objective] if loss in losses}
        for name, organ in organs.items():
            for loss, value in parts.items():
                _accumulate(per_loss[name][loss], value / len(chosen), organ)
            _accumulate(training[name], weighted_total(losses) / len(chosen), organ)
        (objective_loss(losses, objective) / len(chosen)).backward()
    return len(chosen), {name: {loss: _norm(gs) for loss, gs in by_loss.items()} for name, by_loss in per_loss.items()}, training


def _zeros(organ: torch.nn.Module) -> list[torch.Tensor]:
    return [torch.zeros_like(p) for p in organ.parameters()]


def _accumulate(totals: list[torch.Tensor], loss: torch.Tensor, organ: torch.nn.Module) -> None:
    grads = torch.autograd.grad(loss, list(organ.parameters()), retain_graph=True, allow_unused=True)
    for total, g in zip(totals, grads):
        if g is not None:
            total += g


def _norm(tensors) -> float:
    return float(torch.sqrt(sum((t.detach().double() ** 2).sum() for t in tensors)))


def _lookahead(model: VitsModel, data: TrainingSet, plan, objective: str, organ: torch.nn.Module, direction: list[torch.Tensor],
               before: float, segment_frames: int) -> tuple[float, float]:
    """(best gain, its step) over LOOKAHEAD_STEPS down `direction` (one tensor per parameter of
    the organ), the organ restored after each try; (0, 0) where the direction is zero."""
    params = list(organ.parameters())
    length = _norm(direction)
    if length == 0:
        return 0.0, 0.0
    saved = [p.detach().clone() for p in params]
    unit = _norm(params) / length
    best = (-float("inf"), 0.0)
    for step in LOOKAHEAD_STEPS:  # smallest first: a tie keeps the smaller step
        with torch.no_grad():
            for p, d in zip(params, direction):
                p -= step * unit * d  # the organ moves by `step` of its own weight norm
        gain = before - _heldout(model, data, plan, objective, segment_frames)
        best = (gain, step) if gain > best[0] else best
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
        ran, by_loss, training = _gradients(model, data, plan, objective, batches, batch_size, seed, segment_frames)
        scores = []
        for name, organ in organs.items():
            params = list(organ.parameters())
            grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
            g, w = _norm(grads), _norm(params)
            gain, step = _lookahead(model, data, plan, objective, organ, grads, before, segment_frames)
            trained = _lookahead(model, data, plan, objective, organ, training[name], before, segment_frames)
            scores.append(OrganScore(name, sum(p.numel() for p in params), g, w, g / w if w else 0.0, gain, step,
                                     {loss: norm / w if w else 0.0 for loss, norm in by_loss[name].items()}, *trained))
    finally:
        model.zero_grad(set_to_none=True)
        model.requires_grad_(False)
    scores.sort(key=lambda s: (-s.relative_grad_norm, -s.lookahead_gain))
    return Triage(objective, OBJECTIVE_LOSSES[objective], alignment, ran, batch_size, before, tuple(scores))
