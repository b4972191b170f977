"""The style VAE's own measures in a transplant trial.

- `style_kl`: the VAE's KL on the donor's held-out utterances.
- `style_silhouette`: the silhouette of the donor's held-out recordings against the untouched
  recipient's renderings of the same sentences in the latent space (1: the latent tells the
  two voices apart; 0: it cannot).

How a trial grafts a VAE of its size is `models.styled_vits.graft_trial_style`; the latent it
speaks with is `models.style_latents.speak_as_donor`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from voxgraft.models.inference import evaluation_mode
from voxgraft.models.style_latents import spectrogram_latents, wav_latents
from voxgraft.models.styled_vits import encode_style


def silhouette(latents: np.ndarray, labels: Sequence[str]) -> float:
    """Mean silhouette (Euclidean) of the latents against their voice labels: 1 is tight,
    well-separated clusters, 0 overlapping, negative mixed up. NaN with fewer than two voices."""
    from sklearn.metrics import silhouette_score

    labels = np.asarray(labels)
    if len(set(labels.tolist())) < 2 or len(labels) <= len(set(labels.tolist())):
        return float("nan")
    return float(silhouette_score(latents, labels, metric="euclidean"))


@torch.no_grad()
def style_measures(model, heldout_batch, recipient_wavs: list[np.ndarray]) -> dict[str, float]:
    with evaluation_mode(model):
        kl = float(encode_style(model, heldout_batch.spec, heldout_batch.frame_mask).kl())
    lengths = heldout_batch.frame_lengths.tolist()
    donor = spectrogram_latents(model, [heldout_batch.spec[i, :, :n].cpu() for i, n in enumerate(lengths)])
    recipient = wav_latents(model, recipient_wavs)
    labels = ["donor"] * len(donor) + ["recipient"] * len(recipient)
    return {"style_kl": kl, "style_silhouette": silhouette(np.concatenate([donor, recipient]), labels)}
