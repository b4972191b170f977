"""The demo's corpora: seven synthetic voices, their cached features, and what each measures."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from voxgraft.console import print_table
from voxgraft.data.alignment import read_alignments
from voxgraft.data.check import load_corpus
from voxgraft.data.feature_cache import prepare_features
from voxgraft.data.synth import VOICE_FILENAME, synthesize_corpus
from voxgraft.data.voices import DEMO_PRESETS, VOICE_PRESETS
from voxgraft.evaluate.prosody import cadence


def _matches(corpus_dir: Path, preset: str, count: int, seed: int) -> bool:
    try:
        voice = json.loads((corpus_dir / VOICE_FILENAME).read_text())
    except (OSError, json.JSONDecodeError):
        return False
    return (voice.get("preset"), voice.get("count"), voice.get("seed")) == (preset, count, seed)


def ensure_corpus(corpus_dir: Path, preset: str, count: int, seed: int, progress: Progress) -> bool:
    """Synthesize `preset` into `corpus_dir` unless an identical corpus is there; True if made."""
    if _matches(corpus_dir, preset, count, seed):
        return False
    if corpus_dir.exists():
        shutil.rmtree(corpus_dir)
    task = progress.add_task(f"synthesizing {preset}", total=count)
    synthesize_corpus(preset, count, seed, corpus_dir, lambda done, _n: progress.update(task, completed=done))
    progress.remove_task(task)
    return True


def corpus_row(corpus_dir: Path, preset: str, made: bool, progress: Progress) -> tuple[str, ...]:
    """One row of the corpora table: features prepared, and what the voice measures. The rate is
    the results store's definition (evaluate/prosody.py) on the corpus's exact alignments."""
    corpus = load_corpus(corpus_dir)
    status = "new" if made else "cached"
    if preset not in DEMO_PRESETS:
        return (preset, str(len(corpus.utterances)), "", "", "", status)
    task = progress.add_task(f"features {preset}", total=len(corpus.utterances))
    store = prepare_features(corpus, progress=lambda done, n, computed: progress.update(task, completed=done))
    progress.remove_task(task)
    alignments = read_alignments(corpus.alignments_path)
    rate, _ = cadence([([i.phoneme for i in alignments[u.utterance_id]], [i.duration for i in alignments[u.utterance_id]])
                       for u in corpus.utterances])
    f0 = np.concatenate([store.f0(u.utterance_id) for u in corpus.utterances])
    seconds = sum(len(store.wav(u.utterance_id)) for u in corpus.utterances) / store.params.sample_rate
    return (preset, str(len(corpus.utterances)), f"{seconds:.1f}", f"{rate:.2f}", f"{np.nanmedian(f0):.0f}", status)


def make_corpora(corpora: Path, count: int, seed: int, console: Console, progress_factory: Callable[[], Progress]) -> None:
    table = Table(title=f"demo corpora in {corpora}")
    for col in ("voice", "utterances", "audio (s)", "phonemes/s", "median F0 (Hz)", "status"):
        table.add_column(col, justify="right" if col not in ("voice", "status") else "left")
    with progress_factory() as progress:
        for preset in VOICE_PRESETS:
            made = ensure_corpus(corpora / preset, preset, count, seed, progress)
            table.add_row(*corpus_row(corpora / preset, preset, made, progress))
    print_table(table, console)
    console.print(
        "Each corpus has wavs/, metadata.csv (id|text|text), alignments.parquet (eSpeak's exact phoneme timings) "
        "and symbols.json; features are cached in .voxgraft_cache/. Check one with "
        f"`voxgraft corpus check {corpora / 'recipient'}`."
    )
