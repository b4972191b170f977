"""The stages of VITS's training forward on `transformers.VitsModel`'s modules.

`VitsModel.forward` only synthesizes (it refuses labels). Training, as in the original VITS:

  text_encoder(tokens)            -> hidden (B, H, L), prior means / log-stds (B, L, F)
  posterior_encoder(spectrogram)  -> z, posterior mean, log-std (B, F, T)
  flow(z)                         -> z_p (B, F, T)
  alignment (learned by MAS here, or forced durations: models/mas.py) -> path (B, L, T)
  duration loss on the text hidden states and the path's frame counts
  KL(posterior || prior expanded by the path)
  decoder(random segment of z)    -> waveform segment, against the real one

training/step.py composes these stages according to a step plan. Each stage draws its noise
from its own seeded stream, so the result of a stage does not depend on which other stages ran.
"""

from __future__ import annotations

import contextlib
import zlib
from dataclasses import dataclass

import numpy as np
import torch
from transformers import VitsModel

from voxgraft.models.mas import (
    prior_log_likelihood,
    search_alignment,
)
from voxgraft.models.styled_vits import has_style, latent_conditioning


@contextlib.contextmanager
def noise_stream(seed: int, stage: str):
    """Seed the global generators for one stage, restoring the outer state afterwards.

    transformers' VITS modules draw dropout masks and `randn` noise from torch's generator and
    the text encoder's layerdrop from numpy's, so both are seeded.
    """
    stage_seed = (seed * 1_000_003 + zlib.crc32(stage.encode())) % (2**32)
    devices = [torch.cuda.current_device()] if torch.cuda.is_available() else []
    numpy_state = np.random.get_state()
    try:
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(stage_seed)
            np.random.seed(stage_seed)
            yield
    finally:
        np.random.set_state(numpy_state)


@dataclass
class TextOutputs:
    hidden: torch.Tensor  # (B, H, L)
    prior_means: torch.Tensor  # (B, L, F)
    prior_log_std: torch.Tensor  # (B, L, F); transformers calls it prior_log_variances, it is used as a log-std


@dataclass
class PosteriorOutputs:
    z: torch.Tensor  # (B, F, T), sampled
    means: torch.Tensor  # (B, F, T)
    log_std: torch.Tensor  # (B, F, T)


def speaker_conditioning(
    model: VitsModel, speaker_id: int | None, batch_size: int, device, style_latent: torch.Tensor | None = None
) -> torch.Tensor | None:
    """(B, E, 1) global conditioning: a styled model's projected style latent (`style_latent`,
    else its default one), a multi-speaker model's speaker embedding, else None."""
    if has_style(model):
        return latent_conditioning(model, style_latent, batch_size)
    if getattr(model, "embed_speaker", None) is None:
        if speaker_id is not None:
            raise ValueError("this recipient has one speaker: give no speaker")
        return None
    if speaker_id is None or not 0 <= speaker_id < model.config.num_speakers:
        raise ValueError(f"this recipient has {model.config.num_speakers} speakers: choose one of 0..{model.config.num_speakers - 1}")
    ids = torch.full((batch_size,), speaker_id, dtype=torch.long, device=device)
    return model.embed_speaker(ids).unsqueeze(-1)


def encode_text(model: VitsModel, token_ids: torch.Tensor, token_mask: torch.Tensor) -> TextOutputs:
    padding = token_mask.unsqueeze(-1).to(model.text_encoder.embed_tokens.weight.dtype)
    out = model.text_encoder(input_ids=token_ids, padding_mask=padding, attention_mask=token_mask.long(), return_dict=True)
    return TextOutputs(out.last_hidden_state.transpose(1, 2), out.prior_means, out.prior_log_variances)


def encode_posterior(model: VitsModel, spec: torch.Tensor, frame_mask: torch.Tensor, speaker: torch.Tensor | None) -> PosteriorOutputs:
    z, means, log_std = model.posterior_encoder(spec, frame_mask[:, None, :].to(spec.dtype), speaker)
    return PosteriorOutputs(z, means, log_std)


def flow_forward(model: VitsModel, z: torch.Tensor, frame_mask: torch.Tensor, speaker: torch.Tensor | None) -> torch.Tensor:
    return model.flow(z, frame_mask[:, None, :].to(z.dtype), speaker)


@torch.no_grad()
def learned_path(
    model: VitsModel, text: TextOutputs, posterior_means: torch.Tensor, token_mask, frame_mask, speaker
) -> torch.Tensor:
    """MAS on the likelihood of flow(posterior mean) under the text prior.

    Searching on the posterior mean rather than a noisy sample of z makes the alignment a
    deterministic function of the three modules, so when they are frozen it can be computed
    once per utterance (the step cache) and equals what a full step would compute.
    """
    z_p_mean = flow_forward(model, posterior_means, frame_mask, speaker)
    log_likelihood = prior_log_likelihood(z_p_mean, text.prior_means, text.prior_log_std)
    return search_alignment(log_likelihood, token_mask, frame_mask)


def expand_prior(text: TextOutputs, path: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Prior per token -> prior per frame: (B, L, F) x (B, L, T) -> (B, F, T)."""
    path = path.to(text.prior_means.dtype)
    means = torch.einsum("blf,blt->bft", text.prior_means, path)
    log_std = torch.einsum("blf,blt->bft", text.prior_log_std, path)
    return means, log_std


def prior_latent(
    model: VitsModel, text: TextOutputs, path: torch.Tensor, frame_mask: torch.Tensor, speaker: torch.Tensor | None, noise_scale: float
) -> torch.Tensor:
    """(B, F, T) the decoder's input as inference makes it: the text prior expanded along the
    path, sampled at `noise_scale` (from the global generator), through the flow in reverse."""
    means, log_std = expand_prior(text, path)
    z_p = means + torch.randn_like(means) * torch.exp(log_std) * noise_scale
    return model.flow(z_p, frame_mask[:, None, :].to(z_p.dtype), speaker, reverse=True)


def segment_starts(frame_lengths: torch.Tensor, segment_frames: int, generator: torch.Generator) -> torch.Tensor:
    """A random start frame per utterance so the segment lies inside it (or at 0 if it is shorter)."""
    room = torch.clamp(frame_lengths.cpu() - segment_frames, min=0) + 1  # the generator is a CPU one
    return (torch.rand(len(frame_lengths), generator=generator) * room).long()


def slice_frames(x: torch.Tensor, starts: torch.Tensor, length: int) -> torch.Tensor:
    """(B, C, T) -> (B, C, length) windows, zero-padded past the end."""
    padded = torch.nn.functional.pad(x, (0, length))
    return torch.stack([padded[b, :, s : s + length] for b, s in enumerate(starts.tolist())])


def decode(model: VitsModel, z_segment: torch.Tensor, speaker: torch.Tensor | None) -> torch.Tensor:
    """(B, F, frames) -> (B, 1, frames * hop) waveform."""
    return model.decoder(z_segment, speaker)

