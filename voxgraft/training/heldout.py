"""Held-out measures of a model on a batch of aligned utterances it did not train on."""

from __future__ import annotations

import torch
from transformers import VitsModel

from voxgraft.data.dataset import Batch
from voxgraft.data.features import FeatureParams, linear_spectrogram, mel_from_linear
from voxgraft.models.inference import evaluation_mode, predict_durations
from voxgraft.models.mas import ensure_min_one_frame
from voxgraft.models.styled_vits import encode_style, has_style
from voxgraft.models.training_forward import encode_posterior, speaker_conditioning


def batch_conditioning(model: VitsModel, batch: Batch) -> torch.Tensor | None:
    """A styled model conditions each utterance on its own style (the posterior mean)."""
    if has_style(model):
        return encode_style(model, batch.spec, batch.frame_mask).conditioning
    return speaker_conditioning(model, None, len(batch.utterance_ids), batch.spec.device)


@torch.no_grad()
def mel_reconstruction_l1(model: VitsModel, batch: Batch, params: FeatureParams = FeatureParams()) -> float:
    """Mean L1 between log-mels of the real audio and decoder(posterior mean) over whole utterances."""
    with evaluation_mode(model):
        speaker = batch_conditioning(model, batch)
        posterior = encode_posterior(model, batch.spec, batch.frame_mask, speaker)
        wav_hat = model.decoder(posterior.means, speaker).squeeze(1)
    hop = params.hop_length
    total, count = 0.0, 0
    for b in range(len(batch.utterance_ids)):
        n = int(batch.frame_lengths[b])
        real = mel_from_linear(linear_spectrogram(batch.wav[b, : n * hop], params), params)
        fake = mel_from_linear(linear_spectrogram(wav_hat[b, : n * hop].float(), params), params)
        frames = min(real.shape[-1], fake.shape[-1])
        total += float(torch.abs(real[:, :frames] - fake[:, :frames]).sum())
        count += real.shape[0] * frames
    return total / max(count, 1)


def pearson(x: torch.Tensor, y: torch.Tensor) -> float:
    x, y = x.double() - x.double().mean(), y.double() - y.double().mean()
    denominator = torch.sqrt((x * x).sum() * (y * y).sum())
    return float((x * y).sum() / denominator) if denominator > 0 else 0.0


@torch.no_grad()
def duration_correlation(model: VitsModel, batch: Batch, blank_id: int) -> float:
    """Pearson r between predicted and forced frame counts over the phoneme tokens (blanks left
    out: they take about one frame each and would inflate r)."""
    if batch.durations is None:
        raise ValueError("duration correlation needs an aligned batch")
    with evaluation_mode(model):
        speaker = batch_conditioning(model, batch)
        predicted = predict_durations(model, batch.token_ids, batch.token_mask, noise_scale=0.0, conditioning=speaker)
    target = ensure_min_one_frame(batch.durations, batch.token_lengths)
    keep = batch.token_mask & (batch.token_ids != blank_id)
    return pearson(predicted[keep], target[keep])
