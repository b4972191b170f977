"""Speech from tokens with a VitsModel: predicted durations (what `VitsModel.forward` does) or
durations given from outside (a reference recording's alignment, the research notes'
reference-duration approach). A styled model speaks with a given style latent, else its default."""

from __future__ import annotations

import contextlib

import torch
from transformers import VitsModel

from voxgraft.models.mas import durations_to_path
from voxgraft.models.training_forward import TextOutputs, encode_text, speaker_conditioning


class TooLong(ValueError):
    """The durations of an utterance add up to more frames than its caller allows."""

    def __init__(self, frames: int):
        super().__init__(f"{frames} frames")
        self.frames = frames


@contextlib.contextmanager
def evaluation_mode(model: torch.nn.Module):
    """Eval mode for a measurement, then every submodule back to its own mode (a freeze plan
    leaves frozen organs in eval and trained ones in train mode; `model.train()` would not)."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for module, training in modes:
            module.training = training


@torch.no_grad()
def predict_durations(
    model: VitsModel,
    token_ids: torch.Tensor,
    token_mask: torch.Tensor,
    noise_scale: float = 0.0,
    speaker_id: int | None = None,
    conditioning: torch.Tensor | None = None,
    length_scale: float = 1.0,
    text: TextOutputs | None = None,
) -> torch.Tensor:
    """(B, L) frames per token, stretched by `length_scale` and rounded up as transformers' and
    Piper's inference do; 0 on padding. `text`: the tokens' encoding when the caller has it."""
    weights = duration_weights(model, token_ids, token_mask, noise_scale, speaker_id, conditioning, text)
    return torch.ceil(weights * length_scale).long()


@torch.no_grad()
def duration_weights(
    model: VitsModel,
    token_ids: torch.Tensor,
    token_mask: torch.Tensor,
    noise_scale: float = 0.0,
    speaker_id: int | None = None,
    conditioning: torch.Tensor | None = None,
    text: TextOutputs | None = None,
) -> torch.Tensor:
    """(B, L) the duration predictor's frames per token before any stretching or rounding; 0 on padding."""
    text = text if text is not None else encode_text(model, token_ids, token_mask)
    speaker = conditioning if conditioning is not None else speaker_conditioning(model, speaker_id, token_ids.shape[0], token_ids.device)
    mask = token_mask[:, None, :].to(text.hidden.dtype)
    predictor = model.duration_predictor
    if hasattr(predictor, "post_flows"):
        log_w = predictor(text.hidden, mask, speaker, reverse=True, noise_scale=noise_scale)
    else:
        log_w = predictor(text.hidden, mask, speaker)
    return (torch.exp(log_w) * mask).squeeze(1)


@torch.no_grad()
def speech_latent(
    model: VitsModel, ids: torch.Tensor, frames: torch.Tensor, noise_scale: float, speaker: torch.Tensor | None,
    text: TextOutputs | None = None,
) -> torch.Tensor:
    """(1, C, T) decoder input for one utterance: the prior sampled along the durations' path
    at `noise_scale` (from the global RNG), then the flow in reverse."""
    total = int(frames.sum())
    if total < 1:
        raise ValueError("durations sum to zero frames")
    text = text if text is not None else encode_text(model, ids, torch.ones_like(ids, dtype=torch.bool))
    path = durations_to_path(frames, total)  # (1, L, T)
    means = torch.einsum("blf,blt->bft", text.prior_means, path)
    log_std = torch.einsum("blf,blt->bft", text.prior_log_std, path)
    prior = means + torch.randn_like(means) * torch.exp(log_std) * noise_scale
    return model.flow(prior, torch.ones(1, 1, total, device=ids.device), speaker, reverse=True)


@torch.no_grad()
def synthesize_tokens(
    model: VitsModel,
    token_ids: list[int],
    durations: list[int] | None = None,
    noise_scale: float = 0.667,
    noise_scale_duration: float = 0.8,
    seed: int = 0,
    speaker_id: int | None = None,
    style_latent: torch.Tensor | None = None,
    length_scale: float = 1.0,
    text: TextOutputs | None = None,
    max_frames: int | None = None,
) -> torch.Tensor:
    """One utterance: token ids (blanks included) -> (samples,) float waveform in [-1, 1].
    The knobs are Piper's: noise_scale (prior), noise_scale_duration (noise_w), length_scale.
    `text`: the tokens' encoding when the caller has it (it is deterministic). `max_frames`:
    TooLong before the flow and decoder run when the durations add up to more."""
    if durations is not None and len(durations) != len(token_ids):
        raise ValueError(f"{len(durations)} durations for {len(token_ids)} tokens")
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        device = next(model.parameters()).device
        ids = torch.tensor([token_ids], device=device)
        mask = torch.ones_like(ids, dtype=torch.bool)
        speaker = speaker_conditioning(model, speaker_id, 1, device, style_latent)
        if durations is None:
            frames = predict_durations(model, ids, mask, noise_scale_duration, conditioning=speaker, length_scale=length_scale, text=text)
        else:
            frames = torch.tensor([durations], device=device)
        if max_frames is not None and int(frames.sum()) > max_frames:
            raise TooLong(int(frames.sum()))
        return model.decoder(speech_latent(model, ids, frames, noise_scale, speaker, text), speaker)[0, 0].float().cpu()
    finally:
        torch.random.set_rng_state(generator_state)
