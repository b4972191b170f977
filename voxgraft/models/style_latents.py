"""Style vectors (the style VAE's posterior means) of utterances: from a training set's cached
spectrograms, or from audio files of any corpus (transcripts are not needed)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from voxgraft.data.dataset import Collate
from voxgraft.data.features import FeatureParams, linear_spectrogram
from voxgraft.models.inference import evaluation_mode
from voxgraft.models.styled_vits import StyleError, encode_style, has_style

BATCH = 16
CENTROID_UTTERANCES = 32  # the donor's first training utterances a trial speaks as


def _require_style(model) -> None:
    if not has_style(model):
        raise StyleError("this model has no style VAE (pretrain it with --style-latent N)")


@torch.no_grad()
def spectrogram_latents(model, specs: Sequence[torch.Tensor]) -> np.ndarray:
    """(n, latent) posterior means for linear spectrograms (bins, frames) of any lengths."""
    _require_style(model)
    device = next(model.parameters()).device
    out = []
    with evaluation_mode(model):
        for start in range(0, len(specs), BATCH):
            chunk = specs[start : start + BATCH]
            longest = max(s.shape[-1] for s in chunk)
            batch = torch.zeros(len(chunk), chunk[0].shape[0], longest)
            mask = torch.zeros(len(chunk), longest, dtype=torch.bool)
            for i, s in enumerate(chunk):
                batch[i, :, : s.shape[-1]] = s
                mask[i, : s.shape[-1]] = True
            out.append(encode_style(model, batch.to(device), mask.to(device)).means.float().cpu())
    return torch.cat(out).numpy() if out else np.zeros((0, model.style.latent_size), np.float32)


def wav_latents(model, wavs: Sequence[np.ndarray], params: FeatureParams = FeatureParams()) -> np.ndarray:
    """(n, latent) for waveforms at the model's sample rate."""
    specs = [linear_spectrogram(torch.as_tensor(np.asarray(w, dtype=np.float32)), params) for w in wavs]
    return spectrogram_latents(model, specs)


def training_set_latents(model, data, rows: Sequence[int]) -> np.ndarray:
    """(n, latent) for rows of a TrainingSet's dataset (its cached spectrograms)."""
    collate = Collate(data.symbols.pad_id)
    return spectrogram_latents(model, [collate([data.dataset[i]]).spec[0] for i in rows])


def first_voice_rows(data) -> list[int]:
    """Training rows of the first voice of a voice mix (all training rows of a one-voice set)."""
    voices = getattr(data.dataset, "voices", None)
    if voices is None:
        return list(data.train_indices)
    return [i for i in data.train_indices if voices[i] == voices[0]]


def voice_centroid(model, data, rows: Sequence[int], limit: int = 64) -> torch.Tensor:
    """Mean style vector over (at most `limit` of) `rows`."""
    latents = training_set_latents(model, data, list(rows)[:limit])
    return torch.from_numpy(latents.mean(axis=0))


def speak_as_donor(model, data) -> None:
    """Set the default latent to the donor's centroid (its first training utterances)."""
    centroid = voice_centroid(model, data, data.train_indices, CENTROID_UTTERANCES)
    model.style.default_latent.copy_(centroid.to(model.style.default_latent))
