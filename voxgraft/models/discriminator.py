"""The HiFi-GAN discriminator VITS trains against: multi-period (2, 3, 5, 7, 11) + multi-scale.

`VitsModel` carries no discriminator, so this is ours. `channel_divisor` shrinks every layer
for the tiny CPU config; 1 gives the original sizes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm, weight_norm

LEAKY_SLOPE = 0.1


@dataclass(frozen=True)
class DiscriminatorConfig:
    periods: tuple[int, ...] = (2, 3, 5, 7, 11)
    num_scales: int = 3
    channel_divisor: int = 1


def _conv_stack(convs: nn.ModuleList, conv_post: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Leaky-ReLU convolutions then a projection: (flattened logits, every layer's feature map)."""
    features = []
    for conv in convs:
        x = nn.functional.leaky_relu(conv(x), LEAKY_SLOPE)
        features.append(x)
    x = conv_post(x)
    features.append(x)
    return x.flatten(1), features


class PeriodDiscriminator(nn.Module):
    """Folds the waveform into (samples / period, period) and convolves along time only."""

    def __init__(self, period: int, divisor: int):
        super().__init__()
        self.period = period
        widths = [1] + [max(4, c // divisor) for c in (32, 128, 512, 1024, 1024)]
        self.convs = nn.ModuleList(
            weight_norm(nn.Conv2d(cin, cout, (5, 1), (3 if i < 4 else 1, 1), padding=(2, 0)))
            for i, (cin, cout) in enumerate(zip(widths[:-1], widths[1:]))
        )
        self.conv_post = weight_norm(nn.Conv2d(widths[-1], 1, (3, 1), 1, padding=(1, 0)))

    def forward(self, wav: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        b, c, t = wav.shape  # (B, 1, samples)
        if t % self.period:
            wav = nn.functional.pad(wav, (0, self.period - t % self.period), mode="reflect")
        return _conv_stack(self.convs, self.conv_post, wav.view(b, c, -1, self.period))


class ScaleDiscriminator(nn.Module):
    """Grouped 1-d convolutions over the (possibly average-pooled) waveform."""

    def __init__(self, divisor: int, norm=weight_norm):
        super().__init__()
        layers = [  # (out channels, kernel, stride, groups), as HiFi-GAN's DiscriminatorS
            (16, 15, 1, 1),
            (64, 41, 4, 4),
            (256, 41, 4, 16),
            (1024, 41, 4, 64),
            (1024, 41, 4, 256),
            (1024, 5, 1, 1),
        ]
        convs, cin = [], 1
        for cout, kernel, stride, groups in layers:
            cout = max(4, cout // divisor)
            groups = max(1, min(groups // divisor, cin, cout))
            while cin % groups or cout % groups:
                groups -= 1
            convs.append(norm(nn.Conv1d(cin, cout, kernel, stride, groups=groups, padding=kernel // 2)))
            cin = cout
        self.convs = nn.ModuleList(convs)
        self.conv_post = norm(nn.Conv1d(cin, 1, 3, 1, padding=1))

    def forward(self, wav: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        return _conv_stack(self.convs, self.conv_post, wav)


class VitsDiscriminator(nn.Module):
    """Returns, for a (B, 1, samples) waveform, one (logits, feature maps) pair per sub-discriminator."""

    def __init__(self, config: DiscriminatorConfig = DiscriminatorConfig()):
        super().__init__()
        self.config = config
        d = config.channel_divisor
        # the first scale sees the raw waveform with spectral norm, the others 2x and 4x pooled
        scales = [ScaleDiscriminator(d, spectral_norm)] + [ScaleDiscriminator(d) for _ in range(config.num_scales - 1)]
        self.scales = nn.ModuleList(scales)
        self.periods = nn.ModuleList(PeriodDiscriminator(p, d) for p in config.periods)
        self.pool = nn.AvgPool1d(4, 2, padding=2)

    def forward(self, wav: torch.Tensor) -> list[tuple[torch.Tensor, list[torch.Tensor]]]:
        outputs = []
        x = wav
        for i, scale in enumerate(self.scales):
            if i > 0:
                x = self.pool(x)
            outputs.append(scale(x))
        outputs.extend(period(wav) for period in self.periods)
        return outputs
