"""Several voices' corpora as one training set, for a multi-voice (styled) recipient.

Each corpus is one voice, named by its voice.json preset or else its directory name.
Utterance ids become `VOICE/ID`, so ids stay unique across voices (the step cache is keyed by
them). The last `heldout` utterances of every voice are held out.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from torch.utils.data import Dataset

from voxgraft.data.dataset import Example, VoiceDataset
from voxgraft.data.symbols import SymbolTable
from voxgraft.data.synth import VOICE_FILENAME
from voxgraft.data.training_set import TrainingSet, TrainingSetError, open_training_set


def voice_name(corpus_dir: str | Path) -> str:
    """A corpus's voice: its voice.json preset (a synthetic corpus), else the directory name."""
    corpus_dir = Path(corpus_dir)
    path = corpus_dir / VOICE_FILENAME
    if path.exists():
        try:
            return str(json.loads(path.read_text())["preset"])
        except (json.JSONDecodeError, KeyError):
            pass
    return corpus_dir.resolve().name


def repeated_voice(names: list[str]) -> str | None:
    """The first voice named twice (alphabetically), else None: one corpus is one voice."""
    repeated = sorted({n for n in names if names.count(n) > 1})
    return repeated[0] if repeated else None


class VoiceMix(Dataset):
    def __init__(self, parts: list[tuple[str, VoiceDataset]]):
        self.parts = parts
        self.index = [(p, i) for p, (_, ds) in enumerate(parts) for i in range(len(ds))]
        self.ids = [f"{name}/{ds.ids[i]}" for name, ds in parts for i in range(len(ds))]
        self.voices = [name for name, ds in parts for _ in range(len(ds))]
        self.features = parts[0][1].features  # the feature parameters are the same for all

    def __len__(self) -> int:
        return len(self.index)

    @property
    def frame_lengths(self) -> list[int]:
        return [n for _, ds in self.parts for n in ds.frame_lengths]

    @property
    def has_durations(self) -> bool:
        return all(ds.has_durations for _, ds in self.parts)

    def __getitem__(self, index: int) -> Example:
        part, i = self.index[index]
        return replace(self.parts[part][1][i], utterance_id=self.ids[index])


def open_voice_mix(
    corpus_dirs: list[str | Path], alignment: str, symbols: SymbolTable | None = None, heldout: int = 0
) -> TrainingSet:
    """One TrainingSet over several voices; `heldout` utterances held out per voice."""
    if not corpus_dirs:
        raise TrainingSetError("a voice mix needs at least one corpus")
    names = [voice_name(d) for d in corpus_dirs]
    if repeated := repeated_voice(names):
        raise TrainingSetError(f"two corpora are the same voice {repeated!r}: give each voice once")
    parts = []
    for name, corpus_dir in zip(names, corpus_dirs):
        one = open_training_set(corpus_dir, alignment, symbols=symbols, heldout=heldout)
        symbols = symbols or one.symbols  # every voice encodes with the first one's table
        parts.append((name, one))
    mix = VoiceMix([(name, one.dataset) for name, one in parts])
    train, held = [], []
    offset = 0
    for _, one in parts:
        train += [offset + i for i in one.train_indices]
        held += [offset + i for i in one.heldout_indices]
        offset += len(one.dataset)
    return TrainingSet(parts[0][1].corpus, mix, symbols, train, held)
