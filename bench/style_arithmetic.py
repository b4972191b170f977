"""Voice arithmetic and style clustering where the truth is known, per style-latent size.

For each latent size: pretrain a tiny multi-voice recipient with a style VAE on the four
presets man, woman, man_whisper, woman_whisper, then measure
  - silhouette of the training utterances' style vectors against their voices;
  - retrieval: rank of man_whisper's centroid nearest to man + (woman_whisper - woman), and
    how well the two whisper offsets (man -> man_whisper, woman -> woman_whisper) agree:
    their cosine and length ratio;
  - speech: GE2E similarity to real man_whisper held-out recordings of the held-out sentences
    spoken with the arithmetic vector, against the same sentences spoken as plain man;
  - the adapter (GE2E -> style latent), leave one of all 7 presets out: distance of the
    predicted latent (from 3 utterances) to the held-out voice's true centroid, against the
    distance of the training voices' mean latent.

  .venv/bin/python bench/style_arithmetic.py --latents 8,16,64 --steps 600 --work /tmp/style_bench

With --seeds N, instead: N recipients of one latent size, pretrained from seeds 0..N-1 on the
same corpora, and for each the retrieval rank of man_whisper for plain and for scaled
arithmetic (style/space.py's `scaled_combine`), with both offsets' length ratios.

  .venv/bin/python bench/style_arithmetic.py --latents 16 --steps 300 --seeds 10 --work /tmp/style_seeds
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from voxgraft.data.symbols import SymbolTable
from voxgraft.data.synth import synthesize_corpus
from voxgraft.data.training_set import open_training_set
from voxgraft.data.voices import VOICE_PRESETS
from voxgraft.evaluate.render import Utterances, render
from voxgraft.evaluate.speaker import SpeakerEncoder, centroid, similarity
from voxgraft.evaluate.style import silhouette
from voxgraft.models.checkpoints import load_recipient
from voxgraft.models.style_latents import training_set_latents, wav_latents
from voxgraft.style.adapter import leave_one_voice_out
from voxgraft.style.space import centroids, combine, compare_offsets, retrieval_rank, retrieval_ranking, scaled_combine, spreads
from voxgraft.style.vectors import corpus_wavs
from voxgraft.training.pretrain import PretrainSettings, pretrain
from voxgraft.training.trainer import TrainConfig

VOICES = ("man", "woman", "man_whisper", "woman_whisper")
EXPRESSION = "man + woman_whisper - woman"
HELDOUT = 8


def measure(model_dir: Path, corpora: Path, encoder: SpeakerEncoder) -> dict:
    model = load_recipient(model_dir).model.eval()
    symbols = SymbolTable.load(model_dir)
    sets = {v: open_training_set(corpora / v, "forced", symbols=symbols, heldout=HELDOUT) for v in VOICES}
    latents, labels = [], []
    for voice, data in sets.items():
        x = training_set_latents(model, data, data.train_indices)
        latents.append(x)
        labels += [voice] * len(x)
    latents = np.concatenate(latents)
    cents = centroids(latents, labels)
    vector = combine(EXPRESSION, cents)
    ranking = retrieval_ranking(vector, cents)
    cosine, ratio, _ = compare_offsets(cents, ("man", "man_whisper"), ("woman", "woman_whisper"))
    target = sets["man_whisper"]
    utterances = Utterances.from_training_set(target, target.heldout_indices)
    real = centroid(encoder.embed(utterances.recordings, utterances.sample_rate))
    speech = {}
    for name, latent in (("arithmetic", vector), ("man", cents["man"]), ("man_whisper", cents["man_whisper"])):
        wavs = render(model, utterances, style_latent=torch.tensor(latent, dtype=torch.float32)).wavs
        speech[name] = similarity(encoder.embed(wavs, utterances.sample_rate), real)
    return {
        "silhouette": silhouette(latents, labels),
        "retrieval": [(n, round(d, 4)) for n, d in ranking],
        "retrieval_rank": retrieval_rank(vector, cents, "man_whisper"),
        "whisper_offset_cosine": cosine,
        "whisper_offset_ratio": ratio,
        "sim_to_real_man_whisper": speech,
        "similarity_gain": speech["arithmetic"] - speech["man"],
        "adapter": adapter_leave_one_out(model, corpora, encoder),
    }


def retrieval_plain_and_scaled(model_dir: Path, corpora: Path) -> dict:
    """man_whisper's rank for man + woman_whisper - woman, plain and scaled, over the training
    utterances' style vectors."""
    model = load_recipient(model_dir).model.eval()
    symbols = SymbolTable.load(model_dir)
    latents, labels = [], []
    for voice in VOICES:
        data = open_training_set(corpora / voice, "forced", symbols=symbols, heldout=HELDOUT)
        x = training_set_latents(model, data, data.train_indices)
        latents.append(x)
        labels += [voice] * len(x)
    latents = np.concatenate(latents)
    cents, spread = centroids(latents, labels), spreads(latents, labels)
    agreement = compare_offsets(cents, ("man", "man_whisper"), ("woman", "woman_whisper"), spread)
    return {"plain_rank": retrieval_rank(combine(EXPRESSION, cents), cents, "man_whisper"),
            "scaled_rank": retrieval_rank(scaled_combine(EXPRESSION, cents, spread), cents, "man_whisper"),
            "cosine": agreement.cosine, "ratio": agreement.ratio, "scaled_ratio": agreement.scaled_ratio,
            "spread_man_over_woman": spread["man"] / spread["woman"]}


def over_seeds(args, corpora: Path) -> None:
    size = int(args.latents.split(",")[0])
    rows = []
    for seed in range(args.seeds):
        model_dir = args.work / f"latent{size}_seed{seed}"
        settings = PretrainSettings(
            steps=args.steps, checkpoint_every=args.steps, heldout=HELDOUT, duration_steps=0, style_latent=size,
            train=TrainConfig(learning_rate=1e-3, batch_size=8, seed=seed),
        )
        tick = time.perf_counter()
        pretrain([corpora / v for v in VOICES], model_dir, settings)
        rows.append({"seed": seed, "pretrain_s": time.perf_counter() - tick, **retrieval_plain_and_scaled(model_dir, corpora)})
        r = rows[-1]
        print(f"seed {seed}: rank plain {r['plain_rank']}, scaled {r['scaled_rank']}; offsets cosine {r['cosine']:.3f}, "
              f"woman/man length {r['ratio']:.2f}, after scaling {r['scaled_ratio']:.2f} (spread man/woman "
              f"{r['spread_man_over_woman']:.2f}); pretrain {r['pretrain_s']:.0f} s", flush=True)
    plain, scaled = sum(r["plain_rank"] == 1 for r in rows), sum(r["scaled_rank"] == 1 for r in rows)
    print(f"latent {size}, {args.steps} steps, {len(rows)} seeds: rank 1 plain {plain}/{len(rows)}, scaled {scaled}/{len(rows)}")
    (args.work / "seeds.json").write_text(json.dumps(rows, indent=2))


def adapter_leave_one_out(model, corpora: Path, encoder: SpeakerEncoder, per_voice: int = 24) -> dict:
    embeddings, latents, labels = [], [], []
    for preset in VOICE_PRESETS:
        wavs = corpus_wavs(corpora / preset, 22050, per_voice)
        embeddings.append(encoder.embed(wavs, 22050))
        latents.append(wav_latents(model, wavs))
        labels += [preset] * len(wavs)
    distances = leave_one_voice_out(np.concatenate(embeddings), np.concatenate(latents), np.array(labels))
    return {v: {"adapter_distance": a, "mean_voice_distance": g} for v, (a, g) in distances.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latents", default="8,16,64")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--count", type=int, default=48)
    parser.add_argument("--work", type=Path, default=Path("/tmp/style_bench"))
    parser.add_argument("--seeds", type=int, default=0, help="retrieval only, over this many pretraining seeds")
    args = parser.parse_args()
    corpora = args.work / "corpora"
    for preset in VOICE_PRESETS:
        if not (corpora / preset).exists():
            synthesize_corpus(preset, args.count, 0, corpora / preset)
    if args.seeds:
        return over_seeds(args, corpora)
    encoder = SpeakerEncoder.pretrained()
    results = {}
    for size in [int(s) for s in args.latents.split(",")]:
        model_dir = args.work / f"latent{size}"
        started = time.perf_counter()
        settings = PretrainSettings(
            steps=args.steps, checkpoint_every=args.steps, heldout=HELDOUT, duration_steps=0, style_latent=size,
            train=TrainConfig(learning_rate=1e-3, batch_size=8),
        )
        pretrain([corpora / v for v in VOICES], model_dir, settings)
        results[size] = {"pretrain_s": time.perf_counter() - started, **measure(model_dir, corpora, encoder)}
        r = results[size]
        adapter_wins = sum(v["adapter_distance"] < v["mean_voice_distance"] for v in r["adapter"].values())
        print(
            f"latent {size}: pretrain {r['pretrain_s']:.0f} s, silhouette {r['silhouette']:.3f}, retrieval rank {r['retrieval_rank']} "
            f"{r['retrieval']}, whisper offsets: cosine {r['whisper_offset_cosine']:.3f}, woman/man length "
            f"{r['whisper_offset_ratio']:.2f}; "
            f"sim to real man_whisper: arithmetic {r['sim_to_real_man_whisper']['arithmetic']:.3f} vs man "
            f"{r['sim_to_real_man_whisper']['man']:.3f} (gain {r['similarity_gain']:+.3f}; man_whisper centroid "
            f"{r['sim_to_real_man_whisper']['man_whisper']:.3f}); adapter beats the mean voice on {adapter_wins}/7 held-out presets",
            flush=True,
        )
    (args.work / "results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
