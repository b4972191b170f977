"""The suite's two pretrained recipients, built in a subprocess of their own.

conftest.py starts `python -m tests.pretrained NAME ROOT` for each recipient the collected
tests need as soon as collection ends, so that the two pretrainings (real ones, with the
settings below) run on the machine's cores while the rest of the suite runs; the fixtures wait
for them. One torch thread each: two processes share two cores.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from voxgraft.data.synth import synthesize_corpus
from voxgraft.training.pretrain import PretrainSettings, pretrain
from voxgraft.training.trainer import TrainConfig

SEED = 7
PRETRAIN_COUNT = 32
PRETRAIN_STEPS = 150
STYLE_VOICES = ("man", "woman", "man_whisper", "woman_whisper")
STYLE_COUNT, STYLE_SEED = 24, 3
STYLE_HELDOUT, STYLE_LATENT = 4, 16


def tiny(root: Path) -> None:
    """A tiny recipient pretrained on the synthetic recipient voice."""
    corpus = synthesize_corpus("recipient", PRETRAIN_COUNT, SEED, root / "corpus")
    pretrain(corpus, root / "model", PretrainSettings(config="tiny", steps=PRETRAIN_STEPS, checkpoint_every=100, heldout=4))


def styled(root: Path) -> None:
    """A tiny multi-voice recipient with a style VAE, on the four voice-arithmetic presets
    (the same bytes as the style tests' own corpora: synthesis is seeded)."""
    corpora = [synthesize_corpus(v, STYLE_COUNT, STYLE_SEED, root / "corpora" / v) for v in STYLE_VOICES]
    settings = PretrainSettings(
        steps=200, checkpoint_every=200, heldout=STYLE_HELDOUT, duration_steps=50, style_latent=STYLE_LATENT,
        style_anneal_steps=100, train=TrainConfig(learning_rate=2e-3, batch_size=8),
    )
    pretrain(corpora, root / "model", settings)


if __name__ == "__main__":
    torch.set_num_threads(1)
    {"tiny": tiny, "styled": styled}[sys.argv[1]](Path(sys.argv[2]))
