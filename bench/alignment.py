"""pocketsphinx (`voxgraft corpus align`) against eSpeak NG's exact phoneme timings, on every
synthetic preset: boundary error and time per second of audio (run it alone on the machine).

    python bench/alignment.py [--count 12] [--seed 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import soundfile as sf

from voxgraft.data.align_corpus import align_corpus, phone_source
from voxgraft.data.alignment import read_alignments
from voxgraft.data.compare_alignments import compare_alignments
from voxgraft.data.synth import synthesize_corpus
from voxgraft.data.voices import VOICE_PRESETS


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=12)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    find = phone_source("pocketsphinx", None)
    print("| preset | boundaries | mean ms | median ms | p90 ms | within 20 ms | labels | s per s of audio | notes |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for preset in VOICE_PRESETS:
            corpus = synthesize_corpus(preset, args.count, args.seed, Path(tmp) / preset)
            audio_s = sum(sf.info(str(p)).duration for p in (corpus / "wavs").glob("*.wav"))
            tick = time.perf_counter()
            report = align_corpus(corpus, find, Path(tmp) / f"{preset}.parquet")
            took = time.perf_counter() - tick
            c = compare_alignments(read_alignments(report.path), read_alignments(corpus / "alignments.parquet"))
            print(f"| {preset} | {c.boundaries} | {c.mean_ms:.1f} | {c.median_ms:.1f} | {c.p90_ms:.1f} | "
                  f"{c.within_20ms:.0%} | {c.label_agreement:.1%} | {took / audio_s:.3f} | {len(report.notes)} second-pass |")


if __name__ == "__main__":
    main()
