"""Shared fixtures: small synthetic corpora made once per test session (eSpeak NG is fast),
the tiny pretrained recipient, one local Ray for the session, and the `slow` tier.

A test is `slow` (left out by `make test-fast`) when it pretrains a model (it uses a pretrained
fixture), runs a sweep on Ray, runs the demo or drives a browser: the fixtures below mark the
first two kinds by themselves; the others carry `@pytest.mark.slow`."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from voxgraft.data.synth import synthesize_corpus

SLOW_FIXTURES = {"tiny_recipient", "styled_recipient", "local_ray"}
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
    from voxgraft.training.pretrain import PretrainSettings, pretrain

    root = tmp_path_factory.mktemp("tiny_recipient")
    corpus = synthesize_corpus("recipient", PRETRAIN_COUNT, SEED, root / "corpus")
    settings = PretrainSettings(config="tiny", steps=PRETRAIN_STEPS, checkpoint_every=100, heldout=4)
    result = pretrain(corpus, root / "model", settings)
    return root / "model", corpus, result


@pytest.fixture(scope="session")
def local_ray():
    """One local Ray for every in-process sweep of the session: a sweep's driver joins the Ray
    that is running (sweep/run.py starts one only when none is)."""
    import ray

    ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


@pytest.hookimpl(tryfirst=True)  # before xdist's loadgroup reads the groups
def pytest_collection_modifyitems(items):
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if SLOW_FIXTURES & fixtures:
            item.add_marker(pytest.mark.slow)
        # under `-n 2 --dist loadgroup` the two pretrained recipients are made once each, in parallel
        for group in ("styled_recipient", "tiny_recipient"):
            if group in fixtures:
                item.add_marker(pytest.mark.xdist_group(group))
                break


def pytest_configure(config):
    if os.environ.get("PYTEST_XDIST_WORKER"):  # two workers on two cores: one torch thread each
        import torch

        torch.set_num_threads(1)
