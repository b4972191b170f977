"""The style VAE: a reference encoder over an utterance's log-mel spectrogram that gives a
Gaussian posterior over a small style latent, and a projection of the latent into VITS's global
conditioning (the vector VitsModel's duration predictor, flow, posterior encoder and decoder
take in place of a speaker embedding).

The VITS losses are its reconstruction term (the latent conditions the synthesis of the same
utterance); its own loss is the KL to N(0, I), weighted by beta and annealed from 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class StyleOutput:
    means: torch.Tensor  # (B, latent)
    log_var: torch.Tensor  # (B, latent)
    latent: torch.Tensor  # (B, latent): a sample in training mode, the mean otherwise
    conditioning: torch.Tensor  # (B, embedding, 1): what VITS's modules take as global conditioning

    def kl(self) -> torch.Tensor:
        """KL(q(s|x) || N(0, I)), summed over the latent, averaged over the batch."""
        per_dim = 0.5 * (self.means**2 + torch.exp(self.log_var) - 1.0 - self.log_var)
        return per_dim.sum(-1).mean()


class StyleVAE(nn.Module):
    def __init__(self, n_mels: int, latent_size: int, embedding_size: int, channels: int = 128, kernel_size: int = 5):
        super().__init__()
        self.latent_size = latent_size
        pad = kernel_size // 2
        self.convs = nn.ModuleList(
            [nn.Conv1d(n_mels, channels, kernel_size, padding=pad)]
            + [nn.Conv1d(channels, channels, kernel_size, padding=pad) for _ in range(2)]
        )
        # statistics pooling (mean and std over the utterance's frames), as x-vector encoders do:
        # a voice is a property of the whole utterance, whatever its length
        self.to_posterior = nn.Linear(2 * channels, 2 * latent_size)
        self.project = nn.Linear(latent_size, embedding_size)
        # the latent a model speaks with when none is given (set to a voice's centroid)
        self.register_buffer("default_latent", torch.zeros(latent_size))

    def encode(self, mel: torch.Tensor, frame_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, n_mels, T) log-mel, (B, T) bool mask -> posterior means and log-variances (B, latent)."""
        mask = frame_mask[:, None, :].to(mel.dtype)
        x = mel * mask
        for conv in self.convs:
            x = torch.nn.functional.leaky_relu(conv(x), 0.1) * mask
        count = mask.sum(-1).clamp(min=1.0)
        mean = x.sum(-1) / count
        var = ((x - mean[..., None]) ** 2 * mask).sum(-1) / count
        stats = torch.cat([mean, torch.sqrt(var + 1e-5)], dim=-1)
        means, log_var = self.to_posterior(stats).chunk(2, dim=-1)
        return means, log_var.clamp(-10.0, 10.0)

    def condition(self, latent: torch.Tensor) -> torch.Tensor:
        """(B, latent) -> (B, embedding, 1) global conditioning."""
        return self.project(latent).unsqueeze(-1)

    def forward(self, mel: torch.Tensor, frame_mask: torch.Tensor, generator: torch.Generator | None = None) -> StyleOutput:
        means, log_var = self.encode(mel, frame_mask)
        if self.training:
            noise = torch.randn(means.shape, generator=generator, device="cpu").to(means)
            latent = means + noise * torch.exp(0.5 * log_var)
        else:
            latent = means
        return StyleOutput(means, log_var, latent, self.condition(latent))
