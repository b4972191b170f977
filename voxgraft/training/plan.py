"""Which modules and losses a training step needs, derived from the freeze plan.

Gradient paths in VITS (see DESIGN.md's organ table):
  duration loss  <- duration_predictor only (its inputs, text hidden states and speaker, are detached)
  KL             <- text_encoder (prior), flow (z_p), posterior_encoder (z, log-std), speaker embedding
  mel, adversarial, feature matching <- decoder, posterior_encoder (z), speaker embedding
  style KL       <- style (the style VAE, which also conditions every loss above but duration:
                    the duration predictor detaches its conditioning as it detaches its input)

A loss is active when one of its organs trains. A module runs with autograd when a gradient
must pass through or into it, under no_grad when only its output is needed, from a cache when
its output per utterance is fixed (frozen and deterministic), and not at all otherwise.
Coqui's VITS freezes by flag but still runs every module and both optimizer steps; this runs
only what can change a trainable weight.
"""

from __future__ import annotations

from dataclasses import dataclass

from voxgraft.models.mas import check_strategy

GRAD, NO_GRAD, CACHED, SKIPPED, DATA = "grad", "no-grad", "cached", "skipped", "from data"

MODULES = ("text_encoder", "posterior_encoder", "flow", "alignment", "duration_predictor", "decoder", "discriminator")
LOSSES = ("duration", "kl", "mel", "adversarial", "feature_matching", "style_kl")

# global conditioning (speaker embedding or style) feeds the posterior encoder, flow and decoder
CONDITIONING_ORGANS = {"speaker_embedding", "style"}
KL_ORGANS = {"text_encoder", "posterior_encoder", "flow"} | CONDITIONING_ORGANS
WAVEFORM_ORGANS = {"decoder", "posterior_encoder"} | CONDITIONING_ORGANS


@dataclass(frozen=True)
class StepPlan:
    trainable: tuple[str, ...]
    alignment: str  # forced | learned
    modes: dict[str, str]  # module -> GRAD | NO_GRAD | CACHED | SKIPPED | DATA
    losses: tuple[str, ...]

    @property
    def trains_discriminator(self) -> bool:
        return "adversarial" in self.losses

    def weights(self, module: str) -> str:
        """Whether the module's own weights train in this plan."""
        if module == "discriminator":
            return "trains" if self.trains_discriminator else "-"
        if module == "alignment":
            return "-"
        return "trains" if module in self.trainable else "frozen"


def plan_step(trainable: tuple[str, ...], alignment: str) -> StepPlan:
    """The cheapest step that gives every trainable parameter the same gradient as a full step."""
    check_strategy(alignment)
    organs = set(trainable)
    kl = bool(organs & KL_ORGANS)
    waveform = bool(organs & WAVEFORM_ORGANS)
    duration = "duration_predictor" in organs
    losses = tuple(
        name
        for name, active in (
            ("duration", duration),
            ("kl", kl),
            ("mel", waveform),
            ("adversarial", waveform),
            ("feature_matching", waveform),
            ("style_kl", "style" in organs),
        )
        if active
    )
    needs_alignment = duration or kl
    # The learned alignment is a deterministic function of text encoder, posterior mean and
    # flow (see step.py), so with all three (and the speaker) frozen it never changes.
    alignment_inputs_fixed = not organs & KL_ORGANS
    if not needs_alignment:
        align_mode = SKIPPED
    elif alignment == "forced":
        align_mode = DATA
    else:
        align_mode = CACHED if alignment_inputs_fixed else NO_GRAD
    learned_live = align_mode == NO_GRAD

    if "text_encoder" in organs:
        text_mode = GRAD
    else:
        text_mode = CACHED if needs_alignment else SKIPPED  # frozen + eval mode: fixed per utterance

    z_grad = bool(organs & ({"posterior_encoder"} | CONDITIONING_ORGANS))
    if kl or waveform or learned_live:
        posterior_mode = GRAD if z_grad and (kl or waveform) else NO_GRAD
    else:
        posterior_mode = SKIPPED
    if kl and organs & ({"flow", "posterior_encoder"} | CONDITIONING_ORGANS):
        flow_mode = GRAD
    elif kl or learned_live:
        flow_mode = NO_GRAD
    else:
        flow_mode = SKIPPED

    modes = {
        "text_encoder": text_mode,
        "posterior_encoder": posterior_mode,
        "flow": flow_mode,
        "alignment": align_mode,
        "duration_predictor": GRAD if duration else SKIPPED,
        "decoder": GRAD if waveform else SKIPPED,
        "discriminator": GRAD if waveform else SKIPPED,
    }
    return StepPlan(tuple(trainable), alignment, modes, losses)


def naive_plan(trainable: tuple[str, ...], alignment: str) -> StepPlan:
    """What a trainer with freeze flags does: every module with autograd, every loss, no cache."""
    check_strategy(alignment)
    modes = {m: GRAD for m in MODULES}
    modes["alignment"] = DATA if alignment == "forced" else NO_GRAD
    return StepPlan(tuple(trainable), alignment, modes, LOSSES)
