"""The planned VITS training step: the stages of models/training_forward.py, run as a StepPlan says.

The same function runs the naive full step (`naive_plan`) and the planned one (`plan_step`), so
the gradient-equivalence test compares exactly the pruning, no-grad and caching decisions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from transformers import VitsModel

from voxgraft.data.dataset import Batch
from voxgraft.models.discriminator import VitsDiscriminator
from voxgraft.models.losses import (
    LOSS_WEIGHTS,
    duration_loss,
    feature_matching_loss,
    generator_adversarial_loss,
    kl_loss,
    mel_l1_loss,
)
from voxgraft.models.mas import durations_to_path, ensure_min_one_frame, path_durations
from voxgraft.models.styled_vits import encode_style, has_style
from voxgraft.models.training_forward import (
    TextOutputs,
    decode,
    encode_posterior,
    encode_text,
    expand_prior,
    flow_forward,
    learned_path,
    noise_stream,
    prior_latent,
    segment_starts,
    slice_frames,
    speaker_conditioning,
)
from voxgraft.training.plan import CACHED, DATA, GRAD, SKIPPED, StepPlan

PRIOR_NOISE_SCALE = 0.667  # the prior noise inference samples at (VITS's and Piper's default)


def _pad_stack(tensors: list[torch.Tensor], dim: int, length: int) -> torch.Tensor:
    """Stack per-utterance tensors, zero-padding dimension `dim` to `length` (the batch's)."""
    longest = length
    padded = []
    for t in tensors:
        pad = [0, 0] * (t.dim() - dim - 1) + [0, longest - t.shape[dim]]
        padded.append(torch.nn.functional.pad(t, pad))
    return torch.stack(padded)


@dataclass
class StepCache:
    """Per-utterance outputs of stages that are frozen and deterministic under the plan.

    Durations are either the forced ones (fixed data, after the one-frame-per-token fix-up) or
    learned ones; a cache serves one trainer, so one alignment strategy.

    Text encoder outputs (frozen, eval mode: no dropout) and learned alignments (MAS on the
    frozen text prior and flow(posterior mean): no sampling noise enters) never change during
    a trial, so each is computed the first time its utterance is seen and reused after that.
    """

    text: dict[str, tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = field(default_factory=dict)
    durations: dict[str, torch.Tensor] = field(default_factory=dict)

    def text_outputs(self, model: VitsModel, batch: Batch) -> TextOutputs:
        missing = [i for i, u in enumerate(batch.utterance_ids) if u not in self.text]
        if missing:
            with torch.no_grad():
                out = encode_text(model, batch.token_ids[missing], batch.token_mask[missing])
            for row, i in enumerate(missing):
                n = int(batch.token_lengths[i])
                self.text[batch.utterance_ids[i]] = (
                    out.hidden[row, :, :n].clone(),
                    out.prior_means[row, :n].clone(),
                    out.prior_log_std[row, :n].clone(),
                )
        hidden, means, log_std = zip(*(self.text[u] for u in batch.utterance_ids))
        length = batch.token_ids.shape[1]
        return TextOutputs(_pad_stack(list(hidden), 1, length), _pad_stack(list(means), 0, length), _pad_stack(list(log_std), 0, length))

    def store_durations(self, batch: Batch, durations: torch.Tensor) -> None:
        for i, u in enumerate(batch.utterance_ids):
            self.durations[u] = durations[i, : int(batch.token_lengths[i])].clone()

    def has_durations(self, batch: Batch) -> bool:
        return all(u in self.durations for u in batch.utterance_ids)

    def path(self, batch: Batch) -> torch.Tensor:
        durations = _pad_stack([self.durations[u] for u in batch.utterance_ids], 0, batch.token_ids.shape[1])
        return durations_to_path(durations, batch.spec.shape[-1])


@torch.no_grad()
def _posterior_means(model: VitsModel, batch: Batch, speaker: torch.Tensor | None) -> torch.Tensor:
    return encode_posterior(model, batch.spec, batch.frame_mask, speaker).means


@dataclass
class GeneratorResult:
    losses: dict[str, torch.Tensor]  # unweighted, the plan's active losses only
    wav_fake: torch.Tensor | None = None  # (B, 1, samples) generated segment
    wav_real: torch.Tensor | None = None  # (B, 1, samples) the matching real segment
    durations: torch.Tensor | None = None  # (B, L) frame counts the duration loss was fit to


def _conditioning(model: VitsModel, batch: Batch, plan: StepPlan, seed: int):
    """(style output or None, (B, E, 1) global conditioning or None)."""
    if has_style(model):  # each utterance conditions on its own style (a sample while the VAE trains)
        with torch.set_grad_enabled("style" in plan.trainable):
            style = encode_style(model, batch.spec, batch.frame_mask, torch.Generator().manual_seed(seed))
        return style, style.conditioning
    with torch.set_grad_enabled("speaker_embedding" in plan.trainable):
        return None, speaker_conditioning(model, None, len(batch.utterance_ids), batch.spec.device)


def _alignment_path(model: VitsModel, batch: Batch, mode: str, cache: StepCache, text, posterior, speaker) -> torch.Tensor | None:
    """(B, L, T) token-to-frame path: forced durations (DATA), MAS once per utterance (CACHED),
    MAS every step (NO_GRAD), or None when nothing needs it."""
    if mode == DATA:
        if batch.durations is None:
            raise ValueError("forced alignment needs durations for every utterance (an aligned corpus)")
        if not cache.has_durations(batch):  # the one-frame-per-token fix-up is per utterance, not per step
            cache.store_durations(batch, ensure_min_one_frame(batch.durations, batch.token_lengths))
        return cache.path(batch)
    if mode == CACHED:
        if not cache.has_durations(batch):  # first sight of an utterance: search once
            means = posterior.means if posterior is not None else _posterior_means(model, batch, speaker)
            live = learned_path(model, text, means, batch.token_mask, batch.frame_mask, speaker)
            cache.store_durations(batch, path_durations(live).long())
        return cache.path(batch)
    if mode != SKIPPED:
        return learned_path(model, text, posterior.means, batch.token_mask, batch.frame_mask, speaker)
    return None


def generator_forward(
    model: VitsModel,
    batch: Batch,
    plan: StepPlan,
    seed: int,
    segment_frames: int,
    cache: StepCache | None = None,
) -> GeneratorResult:
    """Every active generator loss except the adversarial ones (those need the discriminator
    after its own update; see `adversarial_losses`)."""
    modes = plan.modes
    hop = int(torch.tensor(model.config.upsample_rates).prod())  # decoder samples per frame
    cache = cache if cache is not None else StepCache()
    style, speaker = _conditioning(model, batch, plan, seed)

    text = None
    if modes["text_encoder"] == CACHED:
        text = cache.text_outputs(model, batch)
    elif modes["text_encoder"] != SKIPPED:
        with torch.set_grad_enabled(modes["text_encoder"] == GRAD), noise_stream(seed, "text_encoder"):
            text = encode_text(model, batch.token_ids, batch.token_mask)

    posterior = None
    if modes["posterior_encoder"] != SKIPPED:
        with torch.set_grad_enabled(modes["posterior_encoder"] == GRAD), noise_stream(seed, "posterior_encoder"):
            posterior = encode_posterior(model, batch.spec, batch.frame_mask, speaker)

    z_p = None
    if modes["flow"] != SKIPPED and "kl" in plan.losses:
        with torch.set_grad_enabled(modes["flow"] == GRAD), noise_stream(seed, "flow"):
            z_p = flow_forward(model, posterior.z, batch.frame_mask, speaker)

    path = _alignment_path(model, batch, modes["alignment"], cache, text, posterior, speaker)

    result = GeneratorResult({})
    if "style_kl" in plan.losses and style is not None:
        result.losses["style_kl"] = style.kl()
    if "duration" in plan.losses:
        result.durations = path_durations(path)
        with noise_stream(seed, "duration_predictor"):
            result.losses["duration"] = duration_loss(
                model.duration_predictor, text.hidden, batch.token_mask, result.durations, speaker
            )
    if "kl" in plan.losses:
        prior_means, prior_log_std = expand_prior(text, path)
        result.losses["kl"] = kl_loss(z_p, posterior.log_std, prior_means, prior_log_std, batch.frame_mask)
    if "mel" in plan.losses:
        generator = torch.Generator().manual_seed(seed)
        starts = segment_starts(batch.frame_lengths, segment_frames, generator)
        if modes["prior_path"] != SKIPPED:  # the latent inference decodes, along the alignment
            with torch.set_grad_enabled(modes["prior_path"] == GRAD), noise_stream(seed, "prior_path"):
                z = prior_latent(model, text, path, batch.frame_mask, speaker, PRIOR_NOISE_SCALE)
        else:
            z = posterior.z
        with noise_stream(seed, "decoder"):
            result.wav_fake = decode(model, slice_frames(z, starts, segment_frames), speaker)
        result.wav_real = slice_frames(batch.wav[:, None, :], starts * hop, segment_frames * hop)
        result.losses["mel"] = mel_l1_loss(result.wav_fake, result.wav_real)
    return result


def adversarial_losses(discriminator: VitsDiscriminator, wav_fake: torch.Tensor, wav_real: torch.Tensor) -> dict[str, torch.Tensor]:
    """LSGAN generator loss and feature matching. The discriminator's weights do not train here
    (they have their own step), but the gradient passes through it to the generated audio.
    It runs in eval mode so spectral norm's power iteration only advances in its own step."""
    was = [p.requires_grad for p in discriminator.parameters()]
    was_training = discriminator.training
    discriminator.requires_grad_(False)
    discriminator.eval()
    try:
        fake = discriminator(wav_fake)
        with torch.no_grad():
            real = discriminator(wav_real)
    finally:
        for p, flag in zip(discriminator.parameters(), was):
            p.requires_grad_(flag)
        discriminator.train(was_training)
    return {
        "adversarial": generator_adversarial_loss([logits for logits, _ in fake]),
        "feature_matching": feature_matching_loss([maps for _, maps in real], [maps for _, maps in fake]),
    }


def weighted_total(losses: dict[str, torch.Tensor], weights: dict[str, float] | None = None) -> torch.Tensor:
    """Weighted sum; `weights` overrides LOSS_WEIGHTS (the style KL's annealed beta)."""
    weights = {**LOSS_WEIGHTS, **(weights or {})}
    return sum(weights[name] * value for name, value in losses.items())


def generator_losses(model, discriminator, batch, plan, seed, segment_frames, cache=None) -> dict[str, torch.Tensor]:
    """All of the plan's generator losses with the discriminator as it is (no discriminator update)."""
    result = generator_forward(model, batch, plan, seed, segment_frames, cache)
    losses = dict(result.losses)
    if "adversarial" in plan.losses:
        losses.update(adversarial_losses(discriminator, result.wav_fake, result.wav_real))
    return losses
