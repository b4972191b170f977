"""VITS losses, with the original weights: mel L1 x45, KL x1, duration x1, adversarial x1,
feature matching x1. Masks are (B, L) or (B, T) booleans."""

from __future__ import annotations

import torch

from voxgraft.data.features import FeatureParams, linear_spectrogram, mel_from_linear
from voxgraft.models.duration_nll import stochastic_duration_nll

# style_kl's weight is beta, annealed per step (models/styled_vits.py); the trainer overrides it
LOSS_WEIGHTS = {"mel": 45.0, "kl": 1.0, "duration": 1.0, "adversarial": 1.0, "feature_matching": 1.0, "style_kl": 0.0}


def kl_loss(
    z_p: torch.Tensor, posterior_log_std: torch.Tensor, prior_means: torch.Tensor, prior_log_std: torch.Tensor, frame_mask: torch.Tensor
) -> torch.Tensor:
    """KL(q(z|x) || p(z|c)) per frame, as VITS writes it; all (B, F, T), the prior already expanded by the alignment."""
    kl = prior_log_std - posterior_log_std - 0.5 + 0.5 * (z_p - prior_means) ** 2 * torch.exp(-2.0 * prior_log_std)
    mask = frame_mask[:, None, :].to(kl.dtype)
    return torch.sum(kl * mask) / torch.sum(mask)


def deterministic_duration_target(durations: torch.Tensor) -> torch.Tensor:
    """log(d - 0.5): VITS inference speaks ceil(exp(log_w)) frames, and this target sits in the
    middle of the interval that rounds up to d, so a well-fit predictor speaks at the recorded
    rate instead of half a frame per token slower. Continuous: nothing here rounds."""
    return torch.log(torch.clamp(durations - 0.5, min=0.5))


def duration_loss(
    predictor: torch.nn.Module,
    text_hidden: torch.Tensor,
    token_mask: torch.Tensor,
    durations: torch.Tensor,
    speaker: torch.Tensor | None = None,
) -> torch.Tensor:
    """Duration-predictor loss on continuous (float) frame counts; text_hidden (B, H, L), durations (B, L).

    The stochastic predictor returns the negative log-likelihood of the durations under its
    flow (with variational dequantization); the deterministic one is fit by MSE in log space.
    """
    mask = token_mask[:, None, :].to(text_hidden.dtype)
    w = durations[:, None, :].to(text_hidden.dtype) * mask
    if hasattr(predictor, "post_flows"):  # VitsStochasticDurationPredictor, trained in VITS's flow order
        return torch.sum(stochastic_duration_nll(predictor, text_hidden, mask, w, speaker)) / torch.sum(mask)
    log_w = predictor(text_hidden, mask, speaker)
    return torch.sum((log_w - deterministic_duration_target(w)) ** 2 * mask) / torch.sum(mask)


def mel_l1_loss(wav_hat: torch.Tensor, wav: torch.Tensor, params: FeatureParams = FeatureParams()) -> torch.Tensor:
    """L1 between log-mels of generated and real (B, 1, samples) segments (VITS's reconstruction loss)."""
    with torch.autocast(wav.device.type, enabled=False):  # a log-mel in bf16 loses the quiet bins
        mel_hat = mel_from_linear(linear_spectrogram(wav_hat.squeeze(1).float(), params), params)
        mel = mel_from_linear(linear_spectrogram(wav.squeeze(1).float(), params), params)
        return torch.nn.functional.l1_loss(mel_hat, mel)


def discriminator_loss(real_logits: list[torch.Tensor], fake_logits: list[torch.Tensor]) -> torch.Tensor:
    """Least-squares GAN: real -> 1, fake -> 0, summed over sub-discriminators."""
    return sum(torch.mean((1 - r.float()) ** 2) + torch.mean(f.float() ** 2) for r, f in zip(real_logits, fake_logits))


def generator_adversarial_loss(fake_logits: list[torch.Tensor]) -> torch.Tensor:
    return sum(torch.mean((1 - f.float()) ** 2) for f in fake_logits)


def feature_matching_loss(real_features: list[list[torch.Tensor]], fake_features: list[list[torch.Tensor]]) -> torch.Tensor:
    """L1 between the discriminator's feature maps of real and generated audio, x2 as in VITS."""
    total = 0.0
    for real_maps, fake_maps in zip(real_features, fake_features):
        for r, f in zip(real_maps, fake_maps):
            total = total + torch.mean(torch.abs(r.float().detach() - f.float()))
    return total * 2
