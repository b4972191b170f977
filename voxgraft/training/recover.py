"""Recovery of the organs an inference export leaves out, trained on the voice's own speech.

A Piper `.onnx` carries everything needed to speak but nothing needed to train: no posterior
encoder (audio -> latent), no posterior branch for the stochastic duration predictor, no
discriminator. The voice speaks a generated corpus of its own (training/self_speech.py), where
the latent behind every frame and the duration behind every id are known, and only the missing
parts train, everything else frozen:
  - the posterior encoder, by the likelihood of the known latents under its posterior;
  - the duration predictor's posterior branch and the flow inference skips, by the duration NLL
    of the known durations (the rest of the predictor frozen);
  - a discriminator, warmed up to tell the voice's speech from its posterior round trip.
Measured on held-out self-speech: round-trip mel L1 (audio -> encoder mean -> frozen decoder)
next to the noise reference (two syntheses of the same ids and durations, different prior
noise), and duration NLL before and after.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import torch

from voxgraft.data.features import linear_spectrogram, mel_spectrogram
from voxgraft.models.losses import duration_loss
from voxgraft.models.organs import build_optimizer
from voxgraft.models.training_forward import encode_text
from voxgraft.training.self_speech import SelfSpeech, speak_one

ENCODER_LR = 6e-4
ENCODER_WARMUP = 50  # steps of linear warm-up: a fresh encoder at full rate diverges in its first steps
DURATION_LR = 1e-3
DURATION_PARTS = ("post_", "flows.1.")  # the duration predictor's parameters an export lacks


@dataclass(frozen=True)
class RecoverySettings:
    utterances: int = 48
    heldout: int = 6
    encoder_steps: int = 800
    duration_steps: int = 300
    batch_size: int = 8
    segment_frames: int = 96
    seed: int = 0


def _crop(item: SelfSpeech, spec: torch.Tensor, frames: int, rng: random.Random) -> tuple[torch.Tensor, torch.Tensor]:
    total = item.latent.shape[-1]
    start = rng.randrange(0, max(1, total - frames + 1))
    stop = min(total, start + frames)
    pad = frames - (stop - start)
    return (torch.nn.functional.pad(spec[:, start:stop], (0, pad)), torch.nn.functional.pad(item.latent[:, start:stop], (0, pad)))


def latent_loss(model, spec: torch.Tensor, latent: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Squared error of the posterior means to the known latents, plus the Gaussian NLL of the
    latents with those means held fixed (so the spread learns the residual without the joint
    fit's blow-ups when a fresh encoder's log-std swings); per frame and channel."""
    _, means, log_std = model.posterior_encoder(spec, mask[:, None, :], None)
    squared = (latent - means) ** 2
    nll = log_std + 0.5 * squared.detach() * torch.exp(-2 * log_std)
    return ((squared + nll) * mask[:, None, :]).sum() / (mask.sum() * latent.shape[1])


def train_posterior_encoder(model, corpus: list[SelfSpeech], settings: RecoverySettings, report: Callable | None = None) -> list[float]:
    specs = [linear_spectrogram(item.wav) for item in corpus]
    params = list(model.posterior_encoder.parameters())
    model.requires_grad_(False)
    model.posterior_encoder.requires_grad_(True).train()
    optimizer = build_optimizer(params, ENCODER_LR)
    warmup = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / ENCODER_WARMUP))
    rng, losses = random.Random(settings.seed), []
    for step in range(settings.encoder_steps):
        rows = [rng.randrange(len(corpus)) for _ in range(settings.batch_size)]
        crops = [_crop(corpus[r], specs[r], settings.segment_frames, rng) for r in rows]
        spec, latent = torch.stack([c[0] for c in crops]), torch.stack([c[1] for c in crops])
        mask = (spec.abs().sum(dim=1) > 0).float()
        loss = latent_loss(model, spec, latent, mask)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        optimizer.step()
        warmup.step()
        losses.append(float(loss.detach()))
        if report:
            report("posterior encoder", step + 1, settings.encoder_steps, losses[-1])
    model.posterior_encoder.eval().requires_grad_(False)
    return losses


def _mel_l1(a: torch.Tensor, b: torch.Tensor) -> float:
    n = min(a.shape[-1], b.shape[-1])
    return float((mel_spectrogram(a[:n]) - mel_spectrogram(b[:n])).abs().mean())


@torch.no_grad()
def round_trip_mel_l1(model, heldout: list[SelfSpeech]) -> float:
    """Audio -> posterior encoder (its mean) -> frozen decoder, against the audio: log-mel L1."""
    model.eval()
    values = []
    for item in heldout:
        spec = linear_spectrogram(item.wav)[None]
        mask = torch.ones(1, 1, spec.shape[-1])
        _, means, _ = model.posterior_encoder(spec, mask, None)
        values.append(_mel_l1(model.decoder(means, None)[0, 0], item.wav))
    return sum(values) / len(values)


@torch.no_grad()
def noise_reference_mel_l1(model, heldout: list[SelfSpeech], seed: int) -> float:
    """The floor to judge a round trip by: the same ids and durations spoken again with other
    prior noise differ from the first rendering by this much."""
    values = [_mel_l1(speak_one(model, item.ids.tolist(), seed + i, item.frames).wav, item.wav) for i, item in enumerate(heldout)]
    return sum(values) / len(values)


def _duration_batch(corpus: list[SelfSpeech]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    length = max(len(item.ids) for item in corpus)
    ids = torch.stack([torch.nn.functional.pad(item.ids, (0, length - len(item.ids))) for item in corpus])
    frames = torch.stack([torch.nn.functional.pad(item.frames, (0, length - len(item.ids))) for item in corpus])
    mask = torch.arange(length)[None, :] < torch.tensor([len(item.ids) for item in corpus])[:, None]
    return ids, frames, mask


def duration_nll(model, corpus: list[SelfSpeech]) -> torch.Tensor:
    ids, frames, mask = _duration_batch(corpus)
    with torch.no_grad():
        hidden = encode_text(model, ids, mask).hidden
    return duration_loss(model.duration_predictor, hidden, mask, frames.float())


def seeded_duration_nll(model, corpus: list[SelfSpeech], seed: int) -> float:
    """The duration NLL as a measure: the predictor's dequantisation noise seeded, so before and
    after compare on the same draws."""
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        model.eval()
        return float(duration_nll(model, corpus))


def train_duration_posterior(model, corpus: list[SelfSpeech], settings: RecoverySettings, report: Callable | None = None) -> list[float]:
    """Only the stochastic duration predictor's posterior branch and skipped flow train."""
    predictor = model.duration_predictor
    params = [p for name, p in predictor.named_parameters() if name.startswith(DURATION_PARTS)]
    if not params:  # a deterministic predictor has no posterior: nothing is missing
        return []
    model.requires_grad_(False)
    for p in params:
        p.requires_grad_(True)
    predictor.train()
    optimizer = build_optimizer(params, DURATION_LR)
    rng, losses = random.Random(settings.seed + 1), []
    for step in range(settings.duration_steps):
        loss = duration_nll(model, rng.sample(corpus, min(settings.batch_size, len(corpus))))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        optimizer.step()
        losses.append(float(loss.detach()))
        if report:
            report("duration posterior", step + 1, settings.duration_steps, losses[-1])
    predictor.eval()
    model.requires_grad_(False)
    return losses
