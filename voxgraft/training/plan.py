"""Which modules and losses a training step needs, derived from the freeze plan.

Gradient paths in VITS (see DESIGN.md's organ table):
  duration loss  <- duration_predictor only (its inputs, text hidden states and speaker, are detached)
  KL             <- text_encoder (prior), flow (z_p), posterior_encoder (z, log-std), speaker embedding
  mel, adversarial, feature matching <- decoder, posterior_encoder (z), speaker embedding
  style KL       <- style (the style VAE, which also conditions every loss above but duration:
                    the duration predictor detaches its conditioning as it detaches its input)

With `decoder_input="prior"` the decoder learns from the latent it decodes at inference (the
text prior along the alignment, sampled at inference's noise and taken through the flow in
reverse) instead of the posterior of the real audio, so mel, adversarial and feature matching
reach decoder, flow and text encoder, never the posterior encoder (which trains through KL only).

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

MODULES = ("text_encoder", "posterior_encoder", "flow", "alignment", "prior_path", "duration_predictor", "decoder", "discriminator")
DECODER_INPUTS = ("posterior", "prior")  # what the decoder learns from: VITS's posterior z, or inference's own latent
LOSSES = ("duration", "kl", "mel", "adversarial", "feature_matching", "style_kl")

# global conditioning (speaker embedding or style) feeds the posterior encoder, flow and decoder
CONDITIONING_ORGANS = {"speaker_embedding", "style"}
KL_ORGANS = {"text_encoder", "posterior_encoder", "flow"} | CONDITIONING_ORGANS
WAVEFORM_ORGANS = {"decoder", "posterior_encoder"} | CONDITIONING_ORGANS
PRIOR_WAVEFORM_ORGANS = {"decoder", "flow", "text_encoder"} | CONDITIONING_ORGANS  # decoder_input="prior"


@dataclass(frozen=True)
class StepPlan:
    trainable: tuple[str, ...]
    alignment: str  # forced | learned
    modes: dict[str, str]  # module -> GRAD | NO_GRAD | CACHED | SKIPPED | DATA
    losses: tuple[str, ...]
    decoder_input: str = "posterior"  # DECODER_INPUTS

    @property
    def trains_discriminator(self) -> bool:
        return "adversarial" in self.losses

    def weights(self, module: str) -> str:
        """Whether the module's own weights train in this plan."""
        if module == "discriminator":
            return "trains" if self.trains_discriminator else "-"
        if module in ("alignment", "prior_path"):
            return "-"
        return "trains" if module in self.trainable else "frozen"


def check_decoder_input(decoder_input: str) -> None:
    if decoder_input not in DECODER_INPUTS:
        raise ValueError(f"unknown decoder input {decoder_input!r}; choose one of: {', '.join(DECODER_INPUTS)}")


def _losses(organs: set[str], waveform: bool) -> tuple[str, ...]:
    active = {
        "duration": "duration_predictor" in organs,
        "kl": bool(organs & KL_ORGANS),
        "mel": waveform,
        "adversarial": waveform,
        "feature_matching": waveform,
        "style_kl": "style" in organs,
    }
    return tuple(name for name in LOSSES if active[name])


def _alignment_mode(organs: set[str], alignment: str, needed: bool) -> str:
    if not needed:
        return SKIPPED
    if alignment == "forced":
        return DATA
    # The learned alignment is a deterministic function of text encoder, posterior mean and
    # flow (see step.py), so with all three (and the speaker) frozen it never changes.
    return NO_GRAD if organs & KL_ORGANS else CACHED


def _latent_modes(organs: set[str], kl: bool, waveform: bool, prior: bool, learned_live: bool) -> tuple[str, str, str]:
    """(posterior encoder, flow forward, prior path) modes."""
    z_grad = bool(organs & ({"posterior_encoder"} | CONDITIONING_ORGANS))
    posterior_waveform = waveform and not prior  # the decoder learns from posterior z
    if kl or posterior_waveform or learned_live:
        posterior_mode = GRAD if z_grad and (kl or posterior_waveform) else NO_GRAD
    else:
        posterior_mode = SKIPPED
    if kl and organs & ({"flow", "posterior_encoder"} | CONDITIONING_ORGANS):
        flow_mode = GRAD
    elif kl or learned_live:
        flow_mode = NO_GRAD
    else:
        flow_mode = SKIPPED
    if waveform and prior:  # gradient passes back through the reversed flow to the flow and the prior
        prior_mode = GRAD if organs & ({"flow", "text_encoder"} | CONDITIONING_ORGANS) else NO_GRAD
    else:
        prior_mode = SKIPPED
    return posterior_mode, flow_mode, prior_mode


def plan_step(trainable: tuple[str, ...], alignment: str, decoder_input: str = "posterior") -> StepPlan:
    """The cheapest step that gives every trainable parameter the same gradient as a full step."""
    check_strategy(alignment)
    check_decoder_input(decoder_input)
    organs = set(trainable)
    prior = decoder_input == "prior"
    kl = bool(organs & KL_ORGANS)
    waveform = bool(organs & (PRIOR_WAVEFORM_ORGANS if prior else WAVEFORM_ORGANS))
    duration = "duration_predictor" in organs
    needs_alignment = duration or kl or (waveform and prior)
    align_mode = _alignment_mode(organs, alignment, needs_alignment)
    if "text_encoder" in organs:
        text_mode = GRAD
    else:
        text_mode = CACHED if needs_alignment else SKIPPED  # frozen + eval mode: fixed per utterance
    posterior_mode, flow_mode, prior_mode = _latent_modes(organs, kl, waveform, prior, align_mode == NO_GRAD)
    modes = {
        "text_encoder": text_mode,
        "posterior_encoder": posterior_mode,
        "flow": flow_mode,
        "alignment": align_mode,
        "prior_path": prior_mode,
        "duration_predictor": GRAD if duration else SKIPPED,
        "decoder": GRAD if waveform else SKIPPED,
        "discriminator": GRAD if waveform else SKIPPED,
    }
    return StepPlan(tuple(trainable), alignment, modes, _losses(organs, waveform), decoder_input)


def naive_plan(trainable: tuple[str, ...], alignment: str, decoder_input: str = "posterior") -> StepPlan:
    """What a trainer with freeze flags does: every module with autograd, every loss, no cache."""
    check_strategy(alignment)
    check_decoder_input(decoder_input)
    modes = {m: GRAD for m in MODULES}
    modes["alignment"] = DATA if alignment == "forced" else NO_GRAD
    if decoder_input != "prior":
        modes["prior_path"] = SKIPPED  # not a module of VITS's own step
    return StepPlan(tuple(trainable), alignment, modes, LOSSES, decoder_input)
