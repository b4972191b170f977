"""A tiny multi-voice recipient with a style VAE, pretrained once per session on the four
voice-arithmetic presets (about 2 minutes on 2 CPU cores), and corpora of all seven presets."""

from __future__ import annotations

from pathlib import Path

import pytest

from voxgraft.data.synth import synthesize_corpus
from voxgraft.data.voices import VOICE_PRESETS

ARITHMETIC_VOICES = ("man", "woman", "man_whisper", "woman_whisper")
COUNT = 24
HELDOUT = 4
LATENT = 16


@pytest.fixture(scope="session")
def style_corpora(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("style_corpora")
    return {name: synthesize_corpus(name, COUNT, 3, root / name) for name in VOICE_PRESETS}


@pytest.fixture(scope="session")
def styled_recipient(style_corpora, tmp_path_factory) -> Path:
    from voxgraft.training.pretrain import PretrainSettings, pretrain
    from voxgraft.training.trainer import TrainConfig

    out = tmp_path_factory.mktemp("styled") / "model"
    settings = PretrainSettings(
        steps=200, checkpoint_every=200, heldout=HELDOUT, duration_steps=50, style_latent=LATENT,
        style_anneal_steps=100, train=TrainConfig(learning_rate=2e-3, batch_size=8),
    )
    pretrain([style_corpora[v] for v in ARITHMETIC_VOICES], out, settings)
    return out
