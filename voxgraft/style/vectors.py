"""What the `voxgraft style` commands do: style vectors of corpora as an Arrow table (embed),
speech from a combination of them (arith), and the adapter from speaker embeddings to style
latents (adapt, clone).

The table (Arrow IPC file) has one row per utterance and one per voice (its centroid):

  kind          string   "utterance" or "voice"
  voice         string   the corpus's voice (voice.json preset, else the directory name)
  utterance_id  string   null on voice rows
  corpus        string   the corpus directory
  vector        fixed_size_list<float32>[latent]   the style VAE's posterior mean (voice: mean)

Its schema metadata names the model (path, weights sha256), the latent size and the silhouette
of the utterance vectors against their voices.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.ipc

from voxgraft.atomic import atomic_file
from voxgraft.data.audio import load_audio
from voxgraft.data.corpus import read_corpus
from voxgraft.data.voice_mix import repeated_voice, voice_name
from voxgraft.evaluate.style import silhouette
from voxgraft.models.style_latents import wav_latents
from voxgraft.style.space import centroids, spreads


class StyleVectorsError(ValueError):
    pass


@dataclass
class StyleVectors:
    voices: list[str]  # per utterance
    utterance_ids: list[str]
    corpora: list[str]
    latents: np.ndarray  # (n, latent)
    meta: dict

    def centroids(self) -> dict[str, np.ndarray]:
        return centroids(self.latents, self.voices)

    @property
    def silhouette(self) -> float:
        return silhouette(self.latents, self.voices)


def embed_corpora(model, model_path: str, model_sha: str, corpus_dirs: list[str | Path], limit: int | None = None) -> StyleVectors:
    """Style vectors of every utterance (or the first `limit`) of each corpus; one corpus is one voice."""
    voices, ids, corpora, latents = [], [], [], []
    names = [voice_name(d) for d in corpus_dirs]
    if repeated := repeated_voice(names):
        raise StyleVectorsError(f"two corpora are the same voice {repeated!r}: give each voice once")
    for name, corpus_dir in zip(names, corpus_dirs):
        utterances = corpus_utterances(corpus_dir, limit)
        latents.append(wav_latents(model, [load_audio(u.audio_path, model.config.sampling_rate) for u in utterances]))
        voices += [name] * len(utterances)
        ids += [u.utterance_id for u in utterances]
        corpora += [str(Path(corpus_dir))] * len(utterances)
    all_latents = np.concatenate(latents)
    meta = {"model": model_path, "model_sha256": model_sha, "latent_size": int(all_latents.shape[1])}
    vectors = StyleVectors(voices, ids, corpora, all_latents, meta)
    vectors.meta["silhouette"] = vectors.silhouette
    return vectors


def write_vectors(vectors: StyleVectors, path: str | Path) -> Path:
    """The Arrow table described above, written atomically."""
    path = Path(path)
    size = vectors.latents.shape[1]
    cents = vectors.centroids()
    corpus_of = dict(zip(vectors.voices, vectors.corpora))
    rows = len(vectors.voices) + len(cents)
    flat = np.concatenate([vectors.latents.astype(np.float32).ravel()] + [c.astype(np.float32) for c in cents.values()])
    table = pa.table(
        {
            "kind": ["utterance"] * len(vectors.voices) + ["voice"] * len(cents),
            "voice": vectors.voices + list(cents),
            "utterance_id": vectors.utterance_ids + [None] * len(cents),
            "corpus": vectors.corpora + [corpus_of[v] for v in cents],
            "vector": pa.FixedSizeListArray.from_arrays(pa.array(flat, pa.float32()), size),
        }
    )
    assert table.num_rows == rows
    table = table.replace_schema_metadata({"voxgraft": json.dumps(vectors.meta)})
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as tmp:
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
    return path


def read_voice_vectors(path: str | Path) -> tuple[dict[str, np.ndarray], dict]:
    """Voice centroids (name -> vector) and metadata of a table `write_vectors` wrote."""
    path = Path(path)
    try:
        with pa.memory_map(str(path)) as source:
            table = pa.ipc.open_file(source).read_all()
    except (OSError, pa.ArrowInvalid) as exc:
        raise StyleVectorsError(f"{path}: not a style-vector table ({exc})") from None
    missing = {"kind", "voice", "vector"} - set(table.column_names)
    if missing:
        raise StyleVectorsError(f"{path}: not a style-vector table (no column {sorted(missing)[0]!r})")
    meta = json.loads((table.schema.metadata or {}).get(b"voxgraft", b"{}"))
    voices = {}
    for kind, voice, vector in zip(table["kind"].to_pylist(), table["voice"].to_pylist(), table["vector"].to_pylist()):
        if kind == "voice":
            voices[voice] = np.asarray(vector, dtype=np.float64)
    return voices, meta


def read_voice_spreads(path: str | Path) -> dict[str, float]:
    """Each voice's spread (style/space.py's `spreads`) from the utterance rows of a table
    `write_vectors` wrote (read after `read_voice_vectors` has checked it)."""
    with pa.memory_map(str(path)) as source:
        table = pa.ipc.open_file(source).read_all()
    rows = [(voice, vector) for kind, voice, vector in zip(table["kind"].to_pylist(), table["voice"].to_pylist(),
                                                          table["vector"].to_pylist()) if kind == "utterance"]
    if not rows:
        raise StyleVectorsError(f"{path}: holds no utterance vectors, so no voice's spread is known (embed again)")
    return spreads(np.asarray([v for _, v in rows], dtype=np.float64), [voice for voice, _ in rows])


def corpus_utterances(corpus_dir: str | Path, limit: int | None = None) -> list:
    """A checked corpus's utterances (the first `limit`)."""
    corpus = read_corpus(corpus_dir)
    if corpus.errors:
        raise StyleVectorsError(f"{corpus_dir}: {corpus.errors[0]} (run `voxgraft corpus check {corpus_dir}`)")
    utterances = corpus.utterances[:limit] if limit else corpus.utterances
    if not utterances:
        raise StyleVectorsError(f"{corpus_dir}: no utterances")
    return utterances


def corpus_wavs(corpus_dir: str | Path, sample_rate: int, limit: int | None = None) -> list[np.ndarray]:
    return [load_audio(u.audio_path, sample_rate) for u in corpus_utterances(corpus_dir, limit)]


def train_adapter(model, corpus_dirs: list[str | Path], encoder, limit: int | None = None, settings=None):
    """An adapter from the speaker encoder's embeddings to this model's style latents, fit on
    every utterance (or the first `limit`) of the corpora; returns it and its fit data size."""
    from voxgraft.style.adapter import AdapterSettings, fit_adapter

    embeddings, latents = [], []
    for corpus_dir in corpus_dirs:
        wavs = corpus_wavs(corpus_dir, model.config.sampling_rate, limit)
        embeddings.append(encoder.embed(wavs, model.config.sampling_rate))
        latents.append(wav_latents(model, wavs))
    adapter = fit_adapter(np.concatenate(embeddings), np.concatenate(latents), settings or AdapterSettings())
    return adapter, sum(len(e) for e in embeddings)


def latent_from_audio(adapter, encoder, wav_paths: list[str | Path], sample_rate: int) -> np.ndarray:
    """A style latent for the voice in a few recordings, through the adapter."""
    from voxgraft.style.adapter import predict_latent

    if not wav_paths:
        raise StyleVectorsError("give at least one reference recording")
    wavs = [load_audio(p, sample_rate) for p in wav_paths]
    return predict_latent(adapter, encoder.embed(wavs, sample_rate))
