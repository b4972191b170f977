"""A discriminator warmed up on the voice's own speech before any transplant trains against it.

An inference export ships no discriminator, and a fresh one would spend a trial's first steps
learning what the voice sounds like while its gradients push the generator around at random.
This one learns to tell the voice's speech (real) from its posterior round trip (fake: audio ->
recovered posterior encoder -> frozen decoder), which is what a timbre trial produces at step 0.
"""

from __future__ import annotations

import random

import torch

from voxgraft.data.features import linear_spectrogram
from voxgraft.models.discriminator import DiscriminatorConfig, VitsDiscriminator
from voxgraft.models.losses import discriminator_loss
from voxgraft.models.organs import build_optimizer
from voxgraft.training.self_speech import SelfSpeech

LEARNING_RATE = 2e-4  # VITS's rate


@torch.no_grad()
def _segments(model, corpus: list[SelfSpeech], rows: list[int], frames: int, rng: random.Random) -> tuple[torch.Tensor, torch.Tensor]:
    hop = int(torch.tensor(model.config.upsample_rates).prod())
    real, fake = [], []
    for r in rows:
        item = corpus[r]
        start = rng.randrange(0, max(1, item.latent.shape[-1] - frames + 1))
        wav = item.wav[start * hop : (start + frames) * hop]
        spec = linear_spectrogram(wav)[None]
        _, means, _ = model.posterior_encoder(spec, torch.ones(1, 1, spec.shape[-1]), None)
        real.append(torch.nn.functional.pad(wav, (0, frames * hop - len(wav))))
        out = model.decoder(means, None)[0, 0]
        fake.append(torch.nn.functional.pad(out, (0, frames * hop - len(out)))[: frames * hop])
    return torch.stack(real)[:, None], torch.stack(fake)[:, None]


def warm_discriminator(model, corpus: list[SelfSpeech], steps: int, batch_size: int = 4, frames: int = 32, seed: int = 0, report=None):
    """A base-size VitsDiscriminator after `steps` updates; returns it and its losses."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        discriminator = VitsDiscriminator(DiscriminatorConfig())
    optimizer = build_optimizer(list(discriminator.parameters()), LEARNING_RATE)
    rng, losses = random.Random(seed + 2), []
    model.eval()
    for step in range(steps):
        real, fake = _segments(model, corpus, [rng.randrange(len(corpus)) for _ in range(batch_size)], frames, rng)
        loss = discriminator_loss([o[0] for o in discriminator(real)], [o[0] for o in discriminator(fake)])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
        if report:
            report("discriminator", step + 1, steps, losses[-1])
    return discriminator.eval(), losses
