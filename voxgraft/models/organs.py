"""The organs of a VITS model, presets of organs, and freeze plans.

An organ is a named top-level module of `transformers.VitsModel` (the research notes' names).
A freeze plan names the organs that train; every other parameter is frozen, frozen organs run
in eval mode, and the optimizer only ever sees the trainable parameters (so it keeps no state
for frozen ones).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import nn

# organ name -> attribute of VitsModel. `speaker_embedding` exists on multi-speaker models,
# `style` once a model carries the style VAE.
ORGAN_MODULES = {
    "text_encoder": "text_encoder",
    "duration_predictor": "duration_predictor",
    "posterior_encoder": "posterior_encoder",
    "flow": "flow",
    "decoder": "decoder",
    "speaker_embedding": "embed_speaker",
    "style": "style",
}

ORGAN_PRESETS = {
    "cadence": ("duration_predictor",),
    "timbre": ("decoder", "flow", "posterior_encoder"),
    "full": tuple(ORGAN_MODULES),  # every organ the model has
}

ADAMW_BETAS = (0.8, 0.99)
ADAMW_EPS = 1e-9


class UnknownOrganError(ValueError):
    pass


def model_organs(model: nn.Module) -> dict[str, nn.Module]:
    """The organs this model has, by name."""
    return {name: getattr(model, attr) for name, attr in ORGAN_MODULES.items() if getattr(model, attr, None) is not None}


def resolve_organs(names: str | Iterable[str], model: nn.Module) -> tuple[str, ...]:
    """Organ and preset names (or one comma-separated string) -> the model's organs, in registry order."""
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    present = model_organs(model)
    chosen: set[str] = set()
    for name in names:
        if name in ORGAN_PRESETS:
            chosen |= {o for o in ORGAN_PRESETS[name] if o in present}
        elif name in present:
            chosen.add(name)
        else:
            raise UnknownOrganError(
                f"unknown organ {name!r}; organs of this model: {', '.join(present)}; presets: {', '.join(ORGAN_PRESETS)}"
            )
    if not chosen:
        raise UnknownOrganError("a freeze plan must train at least one organ")
    return tuple(o for o in ORGAN_MODULES if o in chosen)


@dataclass(frozen=True)
class FreezePlan:
    trainable: tuple[str, ...]

    @classmethod
    def for_model(cls, names: str | Iterable[str], model: nn.Module) -> FreezePlan:
        return cls(resolve_organs(names, model))

    def frozen(self, model: nn.Module) -> tuple[str, ...]:
        return tuple(o for o in model_organs(model) if o not in self.trainable)


def apply_freeze_plan(model: nn.Module, plan: FreezePlan) -> list[nn.Parameter]:
    """Freeze everything but the plan's organs; return the trainable parameters."""
    organs = model_organs(model)
    missing = [o for o in plan.trainable if o not in organs]
    if missing:
        raise UnknownOrganError(f"the model has no organ(s) {missing}; it has: {', '.join(organs)}")
    model.requires_grad_(False)
    params: list[nn.Parameter] = []
    for name in plan.trainable:
        organs[name].requires_grad_(True)
        params.extend(organs[name].parameters())
    set_train_mode(model, plan)
    return params


def set_train_mode(model: nn.Module, plan: FreezePlan) -> None:
    """Frozen organs in eval mode (no dropout noise in what they feed the trained ones)."""
    model.eval()
    organs = model_organs(model)
    for name in plan.trainable:
        organs[name].train()


def build_optimizer(params: list[nn.Parameter], lr: float) -> torch.optim.AdamW:
    """AdamW as VITS trains: betas (0.8, 0.99), eps 1e-9."""
    if not params:
        raise ValueError("nothing to optimize: the freeze plan trains no parameters")
    if not lr > 0:
        raise ValueError(f"learning rate must be positive, got {lr}")
    return torch.optim.AdamW(params, lr=lr, betas=ADAMW_BETAS, eps=ADAMW_EPS)
