"""Per-corpus feature cache in an Arrow IPC file, keyed by each audio file's content hash.

One file per corpus and feature parameters (`features-<params key>.arrow`). A row is reused
when its utterance id and the sha256 of its audio bytes both match, so a second run computes
nothing and a changed file recomputes only that file. The file is written as one record batch
and memory-mapped on read: an utterance's arrays are zero-copy slices of the mapping, so a
trial can open a large cache without loading it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import torch

from voxgraft.atomic import atomic_file
from voxgraft.data.audio import load_audio
from voxgraft.data.corpus import Corpus
from voxgraft.data.features import FeatureParams, f0_track, linear_spectrogram, mel_from_linear

CACHE_DIRNAME = ".voxgraft_cache"

SCHEMA = pa.schema(
    [
        ("utterance_id", pa.string()),
        ("content_sha256", pa.string()),
        ("n_samples", pa.int64()),
        ("n_frames", pa.int64()),
        ("wav", pa.large_list(pa.float32())),
        ("spec", pa.large_list(pa.float32())),  # (n_bins, n_frames), row-major
        ("mel", pa.large_list(pa.float32())),  # (n_mels, n_frames)
        ("f0", pa.large_list(pa.float32())),  # (n_frames,), NaN where unvoiced
    ]
)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def compute_row(utterance_id: str, audio_path: Path, sha: str, params: FeatureParams) -> dict:
    wav = load_audio(audio_path, params.sample_rate)
    spec = linear_spectrogram(torch.from_numpy(wav), params)
    mel = mel_from_linear(spec, params)
    return {
        "utterance_id": utterance_id,
        "content_sha256": sha,
        "n_samples": len(wav),
        "n_frames": spec.shape[-1],
        "wav": wav,
        "spec": spec.numpy().ravel(),
        "mel": mel.numpy().ravel(),
        "f0": f0_track(wav, params),
    }


class FeatureStore:
    """Read access to a cache file: arrays per utterance id, zero-copy from a memory map."""

    def __init__(self, path: Path, params: FeatureParams):
        self.path = path
        self.params = params
        self.table = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
        self._row = {uid: i for i, uid in enumerate(self.table.column("utterance_id").to_pylist())}
        self._n_frames = self.table.column("n_frames").to_numpy()
        self._columns = {}
        for name in ("wav", "spec", "mel", "f0"):
            chunks = self.table.column(name).chunks
            arr = chunks[0] if len(chunks) == 1 else pa.concat_arrays(chunks)
            self._columns[name] = (arr.offsets.to_numpy(), arr.values.to_numpy(zero_copy_only=False))

    def __contains__(self, utterance_id: str) -> bool:
        return utterance_id in self._row

    def __len__(self) -> int:
        return len(self._row)

    @property
    def utterance_ids(self) -> list[str]:
        return list(self._row)

    def n_frames(self, utterance_id: str) -> int:
        return int(self._n_frames[self._row[utterance_id]])

    def _values(self, name: str, utterance_id: str) -> np.ndarray:
        offsets, values = self._columns[name]
        i = self._row[utterance_id]
        return values[offsets[i] : offsets[i + 1]]

    def wav(self, utterance_id: str) -> np.ndarray:
        return self._values("wav", utterance_id)

    def spec(self, utterance_id: str) -> np.ndarray:
        return self._values("spec", utterance_id).reshape(self.params.n_bins, -1)

    def mel(self, utterance_id: str) -> np.ndarray:
        return self._values("mel", utterance_id).reshape(self.params.n_mels, -1)

    def f0(self, utterance_id: str) -> np.ndarray:
        return self._values("f0", utterance_id)


def cache_path(corpus_root: Path, params: FeatureParams, cache_dir: Path | None = None) -> Path:
    return (cache_dir or corpus_root / CACHE_DIRNAME) / f"features-{params.key()}.arrow"


def prepare_features(
    corpus: Corpus,
    params: FeatureParams = FeatureParams(),
    cache_dir: str | Path | None = None,
    progress: Callable[[int, int, int], None] | None = None,
) -> FeatureStore:
    """Features for every utterance of `corpus`, computing only what the cache lacks.

    `progress(done, total, computed)` is called after each utterance.
    """
    path = cache_path(corpus.root, params, Path(cache_dir) if cache_dir else None)
    old: pa.Table | None = None
    old_rows: dict[tuple[str, str], int] = {}
    if path.exists():
        try:
            old = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
            keys = zip(old.column("utterance_id").to_pylist(), old.column("content_sha256").to_pylist())
            old_rows = {k: i for i, k in enumerate(keys)}
        except (pa.ArrowInvalid, OSError, KeyError):
            old = None  # a damaged cache is rebuilt, never trusted

    reused: list[int] = []
    new_rows: list[dict] = []
    total = len(corpus.utterances)
    for n, utt in enumerate(corpus.utterances, start=1):
        sha = file_sha256(utt.audio_path)
        hit = old_rows.get((utt.utterance_id, sha))
        if hit is not None:
            reused.append(hit)
        else:
            new_rows.append(compute_row(utt.utterance_id, utt.audio_path, sha, params))
        if progress:
            progress(n, total, len(new_rows))

    if old is not None and not new_rows and len(reused) == old.num_rows:
        return FeatureStore(path, params)

    parts = []
    if reused and old is not None:
        parts.append(old.take(pa.array(reused, pa.int64())).cast(SCHEMA))
    if new_rows:
        parts.append(pa.Table.from_pylist(new_rows, schema=SCHEMA))
    table = pa.concat_tables(parts).combine_chunks() if parts else SCHEMA.empty_table()
    path.parent.mkdir(parents=True, exist_ok=True)
    del old  # release the mapping before replacing the file it maps
    with atomic_file(path) as tmp:
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, SCHEMA) as writer:
            writer.write_table(table, max_chunksize=max(table.num_rows, 1))
    return FeatureStore(path, params)
