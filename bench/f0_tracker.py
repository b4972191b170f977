"""Evaluation's F0 tracker (pYIN decoded over its transition band, data/pyin_banded.py) against
librosa.pyin, the reference, on every synthetic preset and, given --joe, on wavs of the joe
voice: median F0 and 5–95% range of each set, their differences, the share of frames with the
same voicing, and the time of each (median of repeats, side by side in one run; run it alone).
Issue 18's bar: median within 2% and range within 1 semitone on every set.

    python bench/f0_tracker.py [--count 4] [--joe DIR_OF_WAVS]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from voxgraft.data.audio import load_audio
from voxgraft.data.features import pyin_f0, reference_pyin_f0
from voxgraft.data.synth import synthesize_corpus
from voxgraft.data.voices import VOICE_PRESETS
from voxgraft.evaluate.prosody import F0_FRAME, F0_MAX, F0_MIN, F0_SAMPLE_RATE


def summary(tracks: list[np.ndarray]) -> tuple[float, float]:
    voiced = np.concatenate([t[np.isfinite(t)] for t in tracks])
    if len(voiced) < 10:
        return float("nan"), float("nan")
    low, high = np.percentile(voiced, [5, 95])
    return float(np.median(voiced)), float(12 * np.log2(high / low))


def timed(tracker, wavs: list[np.ndarray], repeats: int) -> tuple[list[np.ndarray], float]:
    track = lambda w: tracker(w, F0_SAMPLE_RATE, F0_FRAME, F0_FRAME // 4, F0_MIN, F0_MAX)  # noqa: E731
    out = [track(w) for w in wavs]  # warm-up (the banded decoder's compiled code loads once)
    times = []
    for _ in range(repeats):
        tick = time.perf_counter()
        out = [track(w) for w in wavs]
        times.append(time.perf_counter() - tick)
    return out, statistics.median(times)


def sets(count: int, seed: int, tmp: Path, joe: str | None) -> dict[str, list[np.ndarray]]:
    out = {}
    for preset in VOICE_PRESETS:
        corpus = synthesize_corpus(preset, count, seed, tmp / preset)
        out[preset] = [load_audio(p, F0_SAMPLE_RATE) for p in sorted((corpus / "wavs").glob("*.wav"))]
    if joe:
        out["joe"] = [load_audio(p, F0_SAMPLE_RATE) for p in sorted(Path(joe).glob("*.wav"))[:count]]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=4)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--joe", default=None, help="a folder of wavs the joe voice spoke")
    args = parser.parse_args()
    print("| set | librosa median Hz | range st | banded median (diff) | range (diff) | same voicing | librosa s | banded s | ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, wavs in sets(args.count, args.seed, Path(tmp), args.joe).items():
            ref_tracks, ref_s = timed(reference_pyin_f0, wavs, args.repeats)
            tracks, took = timed(pyin_f0, wavs, args.repeats)
            ref_median, ref_range = summary(ref_tracks)
            median, spread = summary(tracks)
            same = np.mean(np.isfinite(np.concatenate(tracks)) == np.isfinite(np.concatenate(ref_tracks)))
            print(f"| {name} | {ref_median:.1f} | {ref_range:.2f} | {median:.1f} ({100 * (median / ref_median - 1):+.2f}%) | "
                  f"{spread:.2f} ({spread - ref_range:+.2f}) | {same:.1%} | {ref_s:.3f} | {took:.3f} | {ref_s / took:.1f}x |")


if __name__ == "__main__":
    main()
