"""Named VITS model sizes: `tiny` trains on two CPU cores in minutes, `base` is VitsConfig()'s
defaults (about 36M parameters, the original VITS size)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from voxgraft.data.features import FeatureParams

if TYPE_CHECKING:  # transformers is imported where a config is built, not when the CLI starts
    from transformers import VitsConfig


def tiny_config(vocab_size: int) -> VitsConfig:
    from transformers import VitsConfig

    return VitsConfig(
        vocab_size=vocab_size,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        ffn_dim=128,
        flow_size=64,
        spectrogram_bins=FeatureParams().n_bins,
        upsample_initial_channel=64,
        upsample_rates=[8, 8, 2, 2],  # product = hop length 256
        upsample_kernel_sizes=[16, 16, 4, 4],
        resblock_kernel_sizes=[3, 7],
        resblock_dilation_sizes=[[1, 3], [1, 3]],
        posterior_encoder_num_wavenet_layers=4,
        prior_encoder_num_wavenet_layers=2,
        prior_encoder_num_flows=2,
        duration_predictor_filter_channels=64,
        # the deterministic predictor learns durations in a few hundred CPU steps; the
        # stochastic one (base, MMS-TTS) needs far more. No dropout or layerdrop: a run of
        # minutes on a small corpus underfits, it does not overfit.
        use_stochastic_duration_prediction=False,
        duration_predictor_dropout=0.0,
        hidden_dropout=0.0,
        attention_dropout=0.0,
        activation_dropout=0.0,
        layerdrop=0.0,
        sampling_rate=FeatureParams().sample_rate,
    )


def base_config(vocab_size: int) -> VitsConfig:
    from transformers import VitsConfig

    return VitsConfig(vocab_size=vocab_size, spectrogram_bins=FeatureParams().n_bins, sampling_rate=FeatureParams().sample_rate)


CONFIGS = {"tiny": tiny_config, "base": base_config}


def named_config(name: str, vocab_size: int) -> VitsConfig:
    try:
        return CONFIGS[name](vocab_size)
    except KeyError:
        raise ValueError(f"unknown model config {name!r}; choose one of: {', '.join(CONFIGS)}") from None
