"""The style VAE in a transplant trial: its size as a sweep axis, the latent the transplant
speaks with, and the VAE's own measures.

- `vae_latent` set: the trial's style VAE is the recipient's own when it has that latent size
  (it trains only if the plan names `style`); otherwise a fresh VAE of that size replaces it,
  and a fresh VAE always trains (a random encoder has nothing to keep frozen). The recipient
  needs global conditioning for this (pretrained with --style-latent).
- Before every evaluation a styled model's default latent is set to the donor's centroid
  under the current encoder, so it speaks (and its checkpoint is saved) as the donor.
- Measures: `style_kl` (the VAE's KL on the donor's held-out utterances), and
  `style_silhouette`: the silhouette of the donor's held-out recordings against the untouched
  recipient's renderings of the same sentences in the latent space (1: the latent tells the
  two voices apart; 0: it cannot).
"""

from __future__ import annotations

import numpy as np
import torch

from voxgraft.analysis.style_space import silhouette
from voxgraft.models.style_latents import spectrogram_latents, voice_centroid, wav_latents
from voxgraft.models.styled_vits import encode_style, graft_style, has_style
from voxgraft.trainables.heldout import evaluation_mode

CENTROID_UTTERANCES = 32


def plan_style(model, organs: str, vae_latent: int | None, seed: int = 0) -> str:
    """Graft the trial's style VAE where `vae_latent` asks for one; returns the organs to train.
    A recipient without global conditioning is refused by graft_style (StyleError)."""
    if vae_latent is None:
        return organs
    if has_style(model) and model.style.latent_size == vae_latent:
        return organs
    graft_style(model, vae_latent, seed)
    names = [n.strip() for n in organs.split(",")]
    return organs if "style" in names or "full" in names else ",".join(names + ["style"])


def speak_as_donor(model, data) -> None:
    """Set the default latent to the donor's centroid (its first training utterances)."""
    centroid = voice_centroid(model, data, data.train_indices, CENTROID_UTTERANCES)
    model.style.default_latent.copy_(centroid.to(model.style.default_latent))


@torch.no_grad()
def style_measures(model, heldout_batch, recipient_wavs: list[np.ndarray]) -> dict[str, float]:
    with evaluation_mode(model):
        kl = float(encode_style(model, heldout_batch.spec, heldout_batch.frame_mask).kl())
    lengths = heldout_batch.frame_lengths.tolist()
    donor = spectrogram_latents(model, [heldout_batch.spec[i, :, :n].cpu() for i, n in enumerate(lengths)])
    recipient = wav_latents(model, recipient_wavs)
    labels = ["donor"] * len(donor) + ["recipient"] * len(recipient)
    return {"style_kl": kl, "style_silhouette": silhouette(np.concatenate([donor, recipient]), labels)}
