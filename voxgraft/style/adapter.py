"""An adapter from an external speaker embedding to the style latent, as the research notes
trained one from Zonos embeddings into their model.

The external embedding here is the offline GE2E speaker encoder that evaluation uses
(256-dim, unit norm). The adapter is fit by regression from each training utterance's
speaker embedding to its style VAE posterior mean, so a voice the style VAE was never given can
be conditioned from a few seconds of audio: embed the audio, average, map. The map is linear
(ridge regression, closed form). Saved as a directory
with `adapter.safetensors` and `adapter.json`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from voxgraft.atomic import atomic_directory

WEIGHTS = "adapter.safetensors"
META = "adapter.json"


class AdapterError(ValueError):
    pass


@dataclass(frozen=True)
class AdapterSettings:
    # ridge penalty: with a handful of training voices a linear map with a strong penalty
    # generalises to unseen voices, where an MLP fits the training voices and misses the rest
    # (measured leaving each of 7 presets out: bench/RESULTS.md)
    ridge: float = 1.0


class StyleAdapter(nn.Module):
    """latent = (embedding - embedding_mean) @ weight.T + latent_mean."""

    def __init__(self, embedding_size: int, latent_size: int):
        super().__init__()
        self.linear = nn.Linear(embedding_size, latent_size)
        self.register_buffer("embedding_mean", torch.zeros(embedding_size))

    def forward(self, embeddings: torch.Tensor) -> torch.Tensor:
        return self.linear(embeddings - self.embedding_mean)


def fit_adapter(embeddings: np.ndarray, latents: np.ndarray, settings: AdapterSettings = AdapterSettings()) -> StyleAdapter:
    """Ridge regression of latents (n, latent) on embeddings (n, embedding), in closed form."""
    if len(embeddings) != len(latents):
        raise AdapterError(f"{len(embeddings)} embeddings for {len(latents)} latents")
    if len(embeddings) < 2:
        raise AdapterError("an adapter needs at least two utterances to fit")
    if not settings.ridge > 0:
        raise AdapterError(f"the ridge penalty must be positive, got {settings.ridge}")
    x = np.asarray(embeddings, dtype=np.float64)
    y = np.asarray(latents, dtype=np.float64)
    x_mean, y_mean = x.mean(axis=0), y.mean(axis=0)
    xc, yc = x - x_mean, y - y_mean
    weight = np.linalg.solve(xc.T @ xc + settings.ridge * np.eye(x.shape[1]), xc.T @ yc)  # (embedding, latent)
    adapter = StyleAdapter(x.shape[1], y.shape[1])
    with torch.no_grad():
        adapter.linear.weight.copy_(torch.from_numpy(weight.T))
        adapter.linear.bias.copy_(torch.from_numpy(y_mean))
        adapter.embedding_mean.copy_(torch.from_numpy(x_mean))
    return adapter.eval()


@torch.no_grad()
def predict_latent(adapter: StyleAdapter, embeddings: np.ndarray) -> np.ndarray:
    """One style latent for a voice from its utterances' embeddings (n, embedding): the mapped
    mean embedding, renormalised as GE2E embeddings are."""
    mean = np.asarray(embeddings, dtype=np.float32).mean(axis=0)
    mean = mean / max(float(np.linalg.norm(mean)), 1e-8)
    return adapter(torch.from_numpy(mean)[None])[0].numpy()


def save_adapter(adapter: StyleAdapter, out_dir: str | Path, meta: dict) -> Path:
    out_dir = Path(out_dir)
    info = {"embedding_size": adapter.linear.in_features, "latent_size": adapter.linear.out_features, **meta}
    with atomic_directory(out_dir) as tmp:
        save_file({k: v.contiguous() for k, v in adapter.state_dict().items()}, str(tmp / WEIGHTS))
        (tmp / META).write_text(json.dumps(info, indent=2) + "\n")
    return out_dir


def load_adapter(adapter_dir: str | Path) -> tuple[StyleAdapter, dict]:
    adapter_dir = Path(adapter_dir)
    try:
        info = json.loads((adapter_dir / META).read_text())
        tensors = load_file(str(adapter_dir / WEIGHTS))
    except (OSError, json.JSONDecodeError) as exc:
        raise AdapterError(f"{adapter_dir}: not a style adapter ({exc})") from None
    try:
        adapter = StyleAdapter(info["embedding_size"], info["latent_size"])
        adapter.load_state_dict(tensors)
    except (KeyError, RuntimeError) as exc:
        raise AdapterError(f"{adapter_dir}: damaged style adapter ({exc})") from None
    return adapter.eval(), info


def leave_one_voice_out(
    embeddings: np.ndarray, latents: np.ndarray, voices: np.ndarray, few: int = 3, settings: AdapterSettings = AdapterSettings()
) -> dict[str, tuple[float, float]]:
    """For each voice: fit on the others, predict its latent from `few` of its utterances.
    Returns voice -> (distance of the prediction to the voice's true centroid, distance of the
    no-information guess, the training voices' mean latent)."""
    voices = np.asarray(voices)
    out = {}
    for held in dict.fromkeys(voices.tolist()):
        train = voices != held
        adapter = fit_adapter(embeddings[train], latents[train], settings)
        truth = latents[~train].mean(axis=0)
        predicted = predict_latent(adapter, embeddings[~train][:few])
        out[held] = (float(np.linalg.norm(predicted - truth)), float(np.linalg.norm(latents[train].mean(axis=0) - truth)))
    return out
