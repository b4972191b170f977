"""A VitsModel that may carry the style VAE as its `style` organ.

`StyledVitsModel` is `VitsModel` plus, when its config has `style_latent_size`, a StyleVAE whose
projection feeds the global conditioning (`speaker_embedding_size` channels) that VitsModel's
modules already accept. Without `style_latent_size` it is exactly a VitsModel, so every
recipient loads through it. The config keys travel in config.json:

  style_latent_size   size of the style latent (the sweep's `vae_latent`)
  style_beta          weight of the style KL at the end of its annealing
  style_anneal_steps  steps over which that weight rises linearly from 0
"""

from __future__ import annotations

import torch
from transformers import VitsConfig, VitsModel

from voxgraft.data.features import FeatureParams, mel_from_linear
from voxgraft.models.hifigan import use_configured_resblocks
from voxgraft.models.style_vae import StyleOutput, StyleVAE

DEFAULT_BETA = 0.01
DEFAULT_ANNEAL_STEPS = 200
EMBEDDING_SIZE = {"tiny": 32, "base": 256}  # global conditioning channels of a styled config


class StyleError(ValueError):
    pass


class StyledVitsModel(VitsModel):
    def __init__(self, config: VitsConfig):
        super().__init__(config)
        use_configured_resblocks(self.decoder, config)  # Piper's voices use HiFi-GAN's type-2 blocks
        latent = getattr(config, "style_latent_size", 0) or 0
        self.style = _new_style(config, latent) if latent else None


def _new_style(config: VitsConfig, latent_size: int) -> StyleVAE:
    if not config.speaker_embedding_size:
        raise StyleError(
            "this model has no global conditioning (speaker_embedding_size 0), so a style latent has nothing to "
            "condition: pretrain a recipient with --style-latent"
        )
    if not 1 <= latent_size <= 1024:
        raise StyleError(f"style latent size must be between 1 and 1024, got {latent_size}")
    return StyleVAE(FeatureParams().n_mels, latent_size, config.speaker_embedding_size)


def add_style_to_config(
    config: VitsConfig, latent_size: int, embedding_size: int, beta: float = DEFAULT_BETA, anneal_steps: int = DEFAULT_ANNEAL_STEPS
) -> VitsConfig:
    """A config for a new styled model: global conditioning of `embedding_size` channels."""
    config.speaker_embedding_size = embedding_size
    config.style_latent_size = latent_size
    config.style_beta = beta
    config.style_anneal_steps = anneal_steps
    return config


def has_style(model) -> bool:
    return getattr(model, "style", None) is not None


def graft_style(model: StyledVitsModel, latent_size: int, seed: int = 0) -> None:
    """Replace (or add) the style VAE with a freshly initialised one of `latent_size`; the
    VITS modules' conditioning layers stay as they are."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        style = _new_style(model.config, latent_size)
    device = next(model.parameters()).device
    model.style = style.to(device)
    model.config.style_latent_size = latent_size


def style_beta(model) -> float:
    return float(getattr(model.config, "style_beta", DEFAULT_BETA))


def anneal_weight(model, step: int, beta: float | None = None) -> float:
    """beta * min(1, step / anneal_steps): the KL weight rises from 0 so the latent learns to
    carry the voice before it is pulled toward the prior."""
    beta = style_beta(model) if beta is None else beta
    steps = int(getattr(model.config, "style_anneal_steps", DEFAULT_ANNEAL_STEPS))
    return beta * min(1.0, step / steps) if steps > 0 else beta


def encode_style(
    model, spec: torch.Tensor, frame_mask: torch.Tensor, generator: torch.Generator | None = None
) -> StyleOutput:
    """The style VAE on linear spectrograms (B, bins, T): posterior, latent, conditioning."""
    mel = mel_from_linear(spec.float())
    return model.style(mel.to(spec.dtype), frame_mask, generator)


def latent_conditioning(model, latent: torch.Tensor | None, batch_size: int = 1) -> torch.Tensor:
    """(B, embedding, 1) conditioning for a given latent (B, latent) or (latent,); the model's
    default latent when None."""
    if latent is None:
        latent = model.style.default_latent
    latent = torch.as_tensor(latent, dtype=model.style.default_latent.dtype, device=model.style.default_latent.device)
    if latent.shape[-1] != model.style.latent_size:
        raise StyleError(f"a style vector of size {latent.shape[-1]} for a latent of size {model.style.latent_size}")
    if latent.dim() == 1:
        latent = latent.expand(batch_size, -1)
    return model.style.condition(latent)


def graft_trial_style(model, organs: str, vae_latent: int | None, seed: int = 0) -> str:
    """Graft the trial's style VAE where `vae_latent` asks for one; returns the organs to train.
    A recipient without global conditioning is refused by graft_style (StyleError)."""
    if vae_latent is None:
        return organs
    if has_style(model) and model.style.latent_size == vae_latent:
        return organs
    graft_style(model, vae_latent, seed)
    names = [n.strip() for n in organs.split(",")]
    return organs if "style" in names or "full" in names else ",".join(names + ["style"])
