"""The main job on the embedded default: the demo corpora, their features, and what they measure.

Re-running reuses what is already there (corpora are kept when their voice.json matches, the
feature cache recomputes nothing), so `make demo` is cheap the second time.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from voxgraft.data.check import load_corpus
from voxgraft.data.feature_cache import prepare_features
from voxgraft.data.measure import median_f0, phoneme_count, speaking_rate
from voxgraft.data.phonemizer import phonemize
from voxgraft.data.synth import VOICE_FILENAME, synthesize_corpus
from voxgraft.data.voices import DEMO_PRESETS, PRESETS

ARITHMETIC_PRESETS = tuple(p for p in PRESETS if p not in DEMO_PRESETS)


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


def run_demo(out: Path, count: int, seed: int, console: Console, progress_factory: Callable[[], Progress]) -> None:
    corpora = out / "corpora"
    table = Table(title=f"demo corpora in {corpora}")
    for col in ("voice", "utterances", "audio (s)", "phonemes/s", "median F0 (Hz)", "status"):
        table.add_column(col, justify="right" if col not in ("voice", "status") else "left")
    with progress_factory() as progress:
        for preset in PRESETS:
            made = ensure_corpus(corpora / preset, preset, count, seed, progress)
            corpus = load_corpus(corpora / preset)
            if preset not in DEMO_PRESETS:
                table.add_row(preset, str(len(corpus.utterances)), "", "", "", "new" if made else "cached")
                continue
            task = progress.add_task(f"features {preset}", total=len(corpus.utterances))
            store = prepare_features(corpus, progress=lambda done, n, computed: progress.update(task, completed=done))
            progress.remove_task(task)
            rates = [
                speaking_rate(store.wav(u.utterance_id), store.params.sample_rate, phoneme_count(phonemize(u.text)))
                for u in corpus.utterances
            ]
            f0 = np.concatenate([store.f0(u.utterance_id) for u in corpus.utterances])
            seconds = sum(len(store.wav(u.utterance_id)) for u in corpus.utterances) / store.params.sample_rate
            table.add_row(
                preset,
                str(len(corpus.utterances)),
                f"{seconds:.1f}",
                f"{np.mean(rates):.2f}",
                f"{median_f0(f0):.0f}",
                "new" if made else "cached",
            )
    console.print(table)
    console.print(
        "Each corpus has wavs/, metadata.csv (id|text|text), alignments.parquet (eSpeak's exact phoneme timings) "
        "and symbols.json; features are cached in .voxgraft_cache/. Check one with "
        f"`voxgraft corpus check {corpora / 'recipient'}`."
    )
