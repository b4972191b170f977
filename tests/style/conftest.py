"""A tiny multi-voice recipient with a style VAE, pretrained once per session on the four
voice-arithmetic presets (tests/pretrained.py, in the background from the start of the
session), and corpora of all seven presets."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import pretrained_root
from tests.pretrained import STYLE_COUNT as COUNT
from tests.pretrained import STYLE_SEED
from voxgraft.data.synth import synthesize_corpus
from voxgraft.data.voices import VOICE_PRESETS


@pytest.fixture(scope="session")
def style_corpora(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("style_corpora")
    return {name: synthesize_corpus(name, COUNT, STYLE_SEED, root / name) for name in VOICE_PRESETS}


@pytest.fixture(scope="session")
def styled_recipient(style_corpora, tmp_path_factory) -> Path:
    """Pretrained in the background (tests/pretrained.py) on the same bytes as style_corpora."""
    return pretrained_root("styled", tmp_path_factory.getbasetemp()) / "model"
