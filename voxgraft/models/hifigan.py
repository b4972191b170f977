"""HiFi-GAN's second residual-block type, which Piper's medium, low and x_low voices use.

transformers' VitsHifiGan only builds type 1 (two convolutions per dilation). Type 2 has one
convolution per dilation. A config with `resblock_type: "2"` gets its decoder's residual blocks
swapped for these at construction, so `from_pretrained` and `save_pretrained` round-trip it.
"""

from __future__ import annotations

from torch import nn


class HifiGanResidualBlock2(nn.Module):
    def __init__(self, channels: int, kernel_size: int, dilation: tuple[int, ...], leaky_relu_slope: float = 0.1):
        super().__init__()
        self.leaky_relu_slope = leaky_relu_slope
        self.convs = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, dilation=d, padding=(kernel_size * d - d) // 2) for d in dilation
        )

    def forward(self, hidden_states):
        for conv in self.convs:
            residual = hidden_states
            hidden_states = conv(nn.functional.leaky_relu(hidden_states, self.leaky_relu_slope))
            hidden_states = hidden_states + residual
        return hidden_states


def resblock_type(config) -> str:
    return str(getattr(config, "resblock_type", "1"))


def use_configured_resblocks(decoder: nn.Module, config) -> None:
    """Replace a VitsHifiGan's type-1 residual blocks by type 2 when the config asks for it."""
    kind = resblock_type(config)
    if kind == "1":
        return
    if kind != "2":
        raise ValueError(f"resblock_type must be '1' or '2', got {kind!r}")
    blocks = []
    for i in range(len(config.upsample_rates)):
        channels = config.upsample_initial_channel // (2 ** (i + 1))
        for kernel, dilation in zip(config.resblock_kernel_sizes, config.resblock_dilation_sizes):
            blocks.append(HifiGanResidualBlock2(channels, kernel, tuple(dilation), config.leaky_relu_slope))
    decoder.resblocks = nn.ModuleList(blocks)
