"""What VITS training reads: token ids, linear spectrogram, waveform, and forced durations.

The token sequence of an aligned utterance is its alignment's (so durations and tokens match
one to one); otherwise it is the phonemizer's. The symbol table turns tokens into the model's
ids: a blank interspersed as VITS does, taking zero frames in the forced durations, or Piper's
codepoint layout (data/piper_symbols.py).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from voxgraft.data.alignment import Interval, frame_durations, repair
from voxgraft.data.corpus import Corpus
from voxgraft.data.feature_cache import FeatureStore
from voxgraft.data.phonemizer import phonemize
from voxgraft.data.piper_symbols import PiperSymbols, spread
from voxgraft.data.symbols import SPECIALS, SymbolTable


@dataclass(frozen=True)
class Example:
    utterance_id: str
    token_ids: torch.Tensor  # (tokens,) long
    spec: torch.Tensor  # (bins, frames)
    wav: torch.Tensor  # (samples,)
    durations: torch.Tensor | None  # (tokens,) long, sums to frames; None without an alignment


class VoiceDataset(Dataset):
    def __init__(
        self,
        corpus: Corpus,
        features: FeatureStore,
        symbols: SymbolTable | PiperSymbols,
        alignments: dict[str, list[Interval]] | None = None,
    ):
        self.features = features
        self.symbols = symbols
        self.ids: list[str] = []
        self._tokens: dict[str, list[int]] = {}
        self._durations: dict[str, np.ndarray] = {}
        self._token_frames: dict[str, tuple[list[str], list[int]]] = {}
        params = features.params
        for utt in corpus.utterances:
            if utt.utterance_id not in features:
                raise KeyError(f"{utt.utterance_id}: no cached features; run prepare_features first")
            intervals = (alignments or {}).get(utt.utterance_id)
            if intervals is not None:
                n_samples = len(features.wav(utt.utterance_id))
                fixed = repair(intervals, n_samples / params.sample_rate)
                tokens = [iv.phoneme for iv in fixed]
                frames = frame_durations(fixed, features.n_frames(utt.utterance_id), params.sample_rate, params.hop_length)
                ids, durations = symbols.model_input(tokens, frames.tolist())
                self._durations[utt.utterance_id] = np.array(durations)
                self._token_frames[utt.utterance_id] = (tokens, frames.tolist())
            else:
                ids, _ = symbols.model_input(phonemize(utt.text))
            self._tokens[utt.utterance_id] = ids
            self.ids.append(utt.utterance_id)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def frame_lengths(self) -> list[int]:
        return [self.features.n_frames(u) for u in self.ids]

    @property
    def has_durations(self) -> bool:
        return len(self._durations) == len(self.ids)

    def reshape_durations(self, weights_for: Callable[[list[list[int]]], list[list[float]]]) -> int:
        """Re-spread each aligned utterance's frames over its ids in proportion to its row of
        `weights_for(ids of every utterance)`, a zero-frame token (stress mark, word boundary
        without a pause) sharing the next token's frames; each token's total stays exactly as
        recorded. For a recipient that learned its alignment (Piper's voices, by MAS), the weights
        are its own predicted frames: forced durations then keep the donor's timing per phoneme in
        the recipient's way of spending time on pads and marks. Returns how many were re-spread."""
        if not hasattr(self.symbols, "layout"):
            return 0
        layouts = {uid: self.symbols.layout(tokens) for uid, (tokens, _) in self._token_frames.items()}
        weights = weights_for([ids for ids, _, _ in layouts.values()])
        for (uid, (_, sources, _)), row in zip(layouts.items(), weights):
            frames = self._token_frames[uid][1]
            self._durations[uid] = np.array(spread(frames, sources, list(row), join_silent=True))
        return len(self._token_frames)

    def phoneme_ends(self, utterance_id: str) -> list[int]:
        """Indices of the ids that end each aligned phoneme of some length: where the model's
        path must cross a true phoneme boundary (empty without an alignment)."""
        tokens, frames = self._token_frames.get(utterance_id, ([], []))
        ends = self.symbols.token_ends(tokens)
        return [end for t, d, end in zip(tokens, frames, ends) if end is not None and d > 0 and t not in SPECIALS]

    def __getitem__(self, index: int) -> Example:
        uid = self.ids[index]
        durations = self._durations.get(uid)
        return Example(
            utterance_id=uid,
            token_ids=torch.tensor(self._tokens[uid], dtype=torch.long),
            spec=torch.from_numpy(np.array(self.features.spec(uid))),
            wav=torch.from_numpy(np.array(self.features.wav(uid))),
            durations=None if durations is None else torch.from_numpy(durations.astype(np.int64)),
        )


@dataclass
class Batch:
    utterance_ids: list[str]
    token_ids: torch.Tensor  # (B, L) padded with pad_id
    token_lengths: torch.Tensor  # (B,)
    token_mask: torch.Tensor  # (B, L) bool
    spec: torch.Tensor  # (B, bins, T) zero-padded
    frame_lengths: torch.Tensor  # (B,)
    frame_mask: torch.Tensor  # (B, T) bool
    wav: torch.Tensor  # (B, samples) zero-padded
    wav_lengths: torch.Tensor  # (B,)
    durations: torch.Tensor | None  # (B, L) zero-padded; None unless every example has them


def _lengths_mask(lengths: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    lens = torch.tensor(lengths, dtype=torch.long)
    mask = torch.arange(int(lens.max()) if len(lens) else 0)[None, :] < lens[:, None]
    return lens, mask


class Collate:
    """Pads a list of Examples into a Batch."""

    def __init__(self, pad_id: int):
        self.pad_id = pad_id

    def __call__(self, examples: list[Example]) -> Batch:
        tok_lens, tok_mask = _lengths_mask([len(e.token_ids) for e in examples])
        frame_lens, frame_mask = _lengths_mask([e.spec.shape[-1] for e in examples])
        wav_lens, _ = _lengths_mask([len(e.wav) for e in examples])
        b = len(examples)
        tokens = torch.full((b, tok_mask.shape[1]), self.pad_id, dtype=torch.long)
        spec = torch.zeros(b, examples[0].spec.shape[0], frame_mask.shape[1])
        wav = torch.zeros(b, int(wav_lens.max()))
        with_durations = all(e.durations is not None for e in examples)
        durations = torch.zeros(b, tok_mask.shape[1], dtype=torch.long) if with_durations else None
        for i, e in enumerate(examples):
            tokens[i, : len(e.token_ids)] = e.token_ids
            spec[i, :, : e.spec.shape[-1]] = e.spec
            wav[i, : len(e.wav)] = e.wav
            if durations is not None:
                durations[i, : len(e.durations)] = e.durations
        return Batch(
            [e.utterance_id for e in examples], tokens, tok_lens, tok_mask, spec, frame_lens, frame_mask, wav, wav_lens, durations
        )


class LengthBucketSampler(Sampler[list[int]]):
    """Batches of similar length, so little of each batch is padding.

    Each epoch: shuffle, cut into pools of `pool_batches` batches, sort each pool by length,
    cut it into batches, shuffle the batches. Deterministic for a given seed and epoch.
    """

    def __init__(self, lengths: list[int], batch_size: int, seed: int = 0, pool_batches: int = 32, drop_last: bool = False):
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.lengths = list(lengths)
        self.batch_size = batch_size
        self.seed = seed
        self.pool_batches = pool_batches
        self.drop_last = drop_last
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _batches(self) -> list[list[int]]:
        rng = random.Random(self.seed * 1_000_003 + self.epoch)
        order = list(range(len(self.lengths)))
        rng.shuffle(order)
        pool = self.batch_size * self.pool_batches
        batches = []
        for start in range(0, len(order), pool):
            chunk = sorted(order[start : start + pool], key=lambda i: self.lengths[i])
            for b in range(0, len(chunk), self.batch_size):
                batch = chunk[b : b + self.batch_size]
                if len(batch) == self.batch_size or not self.drop_last:
                    batches.append(batch)
        rng.shuffle(batches)
        return batches

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self._batches())

    def __len__(self) -> int:
        n = len(self.lengths)
        pool = self.batch_size * self.pool_batches
        full, rest = divmod(n, pool)
        per_pool = [pool] * full + ([rest] if rest else [])
        if self.drop_last:
            return sum(p // self.batch_size for p in per_pool)
        return sum(-(-p // self.batch_size) for p in per_pool)
