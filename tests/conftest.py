"""Shared fixtures: small synthetic corpora made once per test session (eSpeak NG is fast),
the tiny pretrained recipient, one local Ray for the session, and the `slow` tier.

A test is `slow` (left out by `make test-fast`) when it pretrains a model (it uses a pretrained
fixture), runs a sweep on Ray, runs the demo or drives a browser: the fixtures below mark the
first two kinds by themselves; the others carry `@pytest.mark.slow`."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pretrained import SEED  # one seed for the test voices, pretrained or not
from voxgraft.data.synth import synthesize_corpus
from voxgraft.training.pretrain import RECORD_FILE, PretrainResult

SLOW_FIXTURES = {"tiny_recipient", "styled_recipient", "local_ray"}
SMALL_COUNT = 12
ROOT = Path(__file__).resolve().parents[1]


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


def snapshot(directory: Path) -> dict[str, str]:
    """Every file under `directory` with a digest of its bytes: to assert that nothing was written.
    Digests, not bytes, so a failed comparison names the files in a line, not pages of bytes."""
    return {str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()[:16]
            for p in sorted(directory.rglob("*")) if p.is_file()}


# the pretrained recipients' background processes and directories, by name (tests/pretrained.py)
_PRETRAINING: dict[str, subprocess.Popen] = {}
_PRETRAINED_ROOT: dict[str, Path] = {}
PRETRAINED_FIXTURES = {"tiny_recipient": "tiny", "styled_recipient": "styled"}


def _start_pretraining(name: str, base: Path) -> None:
    if name in _PRETRAINING:
        return
    root = base / f"pretrained_{name}"
    root.mkdir(parents=True, exist_ok=True)
    # A numba cache of its own: numba's on-disk cache is not safe for processes that compile
    # librosa's jitted kernels at the same time (a cold venv segfaulted in pYIN without this).
    env = {**os.environ, "NUMBA_CACHE_DIR": str(root / "numba_cache")}
    with open(root / "log.txt", "w") as log:  # the child keeps its own copy of the handle
        _PRETRAINING[name] = subprocess.Popen(
            [sys.executable, "-m", "tests.pretrained", name, str(root)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    _PRETRAINED_ROOT[name] = root


def pretrained_root(name: str, base: Path) -> Path:
    """Wait for the background pretraining `name` (starting it if collection did not) and give
    its directory; a failure is the fixture's error, with the subprocess's log."""
    _start_pretraining(name, base)
    root = _PRETRAINED_ROOT[name]
    if _PRETRAINING[name].wait() != 0:
        pytest.fail(f"pretraining {name} failed:\n" + (root / "log.txt").read_text()[-4000:])
    return root


def pytest_collection_finish(session):
    needed = {PRETRAINED_FIXTURES[f] for item in session.items for f in getattr(item, "fixturenames", ()) if f in PRETRAINED_FIXTURES}
    if needed and not session.config.option.collectonly:
        base = session.config._tmp_path_factory.getbasetemp()
        for name in sorted(needed):
            _start_pretraining(name, base)


def pytest_sessionfinish(session):
    for process in _PRETRAINING.values():
        if process.poll() is None:
            process.kill()


@pytest.fixture(scope="session")
def tiny_recipient(tmp_path_factory):
    """A tiny recipient pretrained on a synthetic voice (tests/pretrained.py; about 90 s of one
    core, started when collection ends), shared by the pretraining, synthesis and transplant
    tests. Returns (model dir, corpus dir, its pretraining result)."""
    root = pretrained_root("tiny", tmp_path_factory.getbasetemp())
    record = json.loads((root / "model" / RECORD_FILE).read_text())
    result = PretrainResult(root / "model", record["steps"], 0, record["initial"], record["final"], record["last_losses"])
    return root / "model", root / "corpus", result


@pytest.fixture(scope="session")
def local_ray():
    """One local Ray for every in-process sweep of the session: a sweep's driver joins the Ray
    that is running (sweep/run.py starts one only when none is)."""
    import ray

    from voxgraft.sweep.ray_processes import start_local_ray

    start_local_ray(lambda: ray.init(address="local", include_dashboard=False, log_to_driver=False, configure_logging=False))
    yield
    ray.shutdown()


@pytest.fixture(scope="session")
def small_sweep(local_ray, tiny_recipient, corpora, tmp_path_factory):
    """One finished sweep of two trials on the tiny recipient, judged, with two checkpoints
    each: what `report` and `pick` tests read (and copy, before changing anything)."""
    from voxgraft.search_spaces.schema import parse_sweep
    from voxgraft.sweep.run import run_sweep

    sweep = parse_sweep({
        "name": "pickme", "recipient": str(tiny_recipient[0]), "donor": str(corpora["cadence_donor"]), "eval": {"heldout": 4},
        "search": {"organs": ["cadence", "decoder"], "lr": [1e-3], "alignment": ["forced"], "batch_size": 4, "steps": 4,
                   "eval_every": 2, "fixed": {"segment_frames": 8}},
        "searcher": "grid", "scheduler": {"type": "none"}, "objectives": [{"metric": "heldout_loss", "mode": "min"}],
        "resources": {"cpu": 1}, "keep_checkpoints": 2, "storage": str(tmp_path_factory.mktemp("small_sweep")),
    })
    return run_sweep(sweep)


def pytest_collection_modifyitems(items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
