"""From a corpus directory to what a training run reads: checked corpus, cached features,
dataset and a train / held-out split."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from torch.utils.data import DataLoader, Subset

from voxgraft.data.alignment import read_alignments
from voxgraft.data.check import corpus_symbols, load_corpus
from voxgraft.data.corpus import Corpus
from voxgraft.data.dataset import Collate, LengthBucketSampler, VoiceDataset
from voxgraft.data.feature_cache import prepare_features
from voxgraft.data.symbols import SymbolTable, UnknownSymbolError


class TrainingSetError(ValueError):
    pass


@dataclass
class TrainingSet:
    corpus: Corpus
    dataset: VoiceDataset  # one voice; voice_mix.open_voice_mix gives a VoiceMix (the same interface) for several
    symbols: SymbolTable
    train_indices: list[int]
    heldout_indices: list[int]

    def loader(self, batch_size: int, seed: int, epoch: int = 0) -> DataLoader:
        subset = Subset(self.dataset, self.train_indices)
        lengths = [self.dataset.frame_lengths[i] for i in self.train_indices]
        sampler = LengthBucketSampler(lengths, min(batch_size, len(self.train_indices)), seed=seed, drop_last=False)
        sampler.set_epoch(epoch)
        return DataLoader(subset, batch_sampler=sampler, collate_fn=Collate(self.symbols.pad_id))

    def heldout_batch(self):
        return Collate(self.symbols.pad_id)([self.dataset[i] for i in self.heldout_indices])


def open_training_set(
    corpus_dir: str | Path,
    alignment: str,
    symbols: SymbolTable | None = None,
    heldout: int = 0,
    progress: Callable[[int, int, int], None] | None = None,
) -> TrainingSet:
    """Checked corpus + cached features + dataset. `symbols` is the model's table when
    fine-tuning (the corpus's own otherwise); the last `heldout` utterances are held out."""
    corpus = load_corpus(corpus_dir)
    symbols = symbols or corpus_symbols(corpus.root)
    alignments = read_alignments(corpus.alignments_path) if corpus.alignments_path else None
    if alignment == "forced" and alignments is None:
        raise TrainingSetError(
            f"{corpus.root}: forced alignment needs alignments.parquet "
            "(a synthetic corpus has one; import TextGrids with `voxgraft corpus import-textgrids`), or use --alignment learned"
        )
    features = prepare_features(corpus, progress=progress)
    try:
        dataset = VoiceDataset(corpus, features, symbols, alignments)  # learned runs still measure against them
    except UnknownSymbolError as exc:
        raise TrainingSetError(f"{corpus.root}: {exc} (the model's symbols.json cannot encode this corpus)") from None
    if alignment == "forced" and not dataset.has_durations:
        missing = [u for u in dataset.ids if u not in alignments]
        raise TrainingSetError(f"{corpus.root}: forced alignment, but {len(missing)} utterances have no alignment, e.g. {missing[0]}")
    n = len(dataset)
    if heldout >= n:
        raise TrainingSetError(f"{corpus.root}: {n} utterances cannot hold out {heldout}")
    return TrainingSet(corpus, dataset, symbols, list(range(n - heldout)), list(range(n - heldout, n)))
