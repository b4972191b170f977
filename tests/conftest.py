"""Shared fixtures: small synthetic corpora made once per test session (eSpeak NG is fast)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from voxgraft.data.synth import synthesize_corpus

SMALL_COUNT = 12
SEED = 7


@pytest.fixture(scope="session")
def corpora(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("corpora")
    return {
        name: synthesize_corpus(name, SMALL_COUNT, SEED, root / name)
        for name in ("recipient", "cadence_donor", "timbre_donor")
    }


@pytest.fixture
def recipient_copy(corpora, tmp_path) -> Path:
    """A private copy of the recipient corpus that a test may change."""
    dst = tmp_path / "recipient"
    shutil.copytree(corpora["recipient"], dst, ignore=shutil.ignore_patterns(".voxgraft_cache"))
    return dst


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under `directory` with its bytes: to assert that nothing was written."""
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


PRETRAIN_COUNT = 32
PRETRAIN_STEPS = 150


@pytest.fixture(scope="session")
def tiny_recipient(tmp_path_factory):
    """A tiny recipient pretrained on a synthetic voice (about 90 s on 2 CPU cores), shared by
    the pretraining, synthesis and transplant tests. Returns (model dir, corpus dir, result)."""
    from voxgraft.trainables.pretrain import PretrainSettings, pretrain

    root = tmp_path_factory.mktemp("tiny_recipient")
    corpus = synthesize_corpus("recipient", PRETRAIN_COUNT, SEED, root / "corpus")
    settings = PretrainSettings(config="tiny", steps=PRETRAIN_STEPS, checkpoint_every=100, heldout=4)
    result = pretrain(corpus, root / "model", settings)
    return root / "model", corpus, result
