"""Every synthetic voice preset, a few utterances each: the voices whose truth is known."""

from __future__ import annotations

import pytest
import soundfile as sf

from voxgraft.data.synth import synthesize_corpus
from voxgraft.data.voices import VOICE_PRESETS

PRESET_COUNT = 8


@pytest.fixture(scope="session")
def preset_voices(tmp_path_factory):
    """name -> corpus dir, for all presets (parallel: the same sentences in every voice)."""
    root = tmp_path_factory.mktemp("presets")
    return {name: synthesize_corpus(name, PRESET_COUNT, 11, root / name) for name in VOICE_PRESETS}


def recordings(corpus_dir):
    """(wavs, sample rate) of a corpus, in utterance order."""
    paths = sorted((corpus_dir / "wavs").glob("*.wav"))
    wavs = [sf.read(str(p), dtype="float32")[0] for p in paths]
    return wavs, sf.info(str(paths[0])).samplerate
