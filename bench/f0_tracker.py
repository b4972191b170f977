"""pYIN (evaluation's F0 tracker) against the YIN candidate in bench/yin_candidate.py, on every
synthetic preset and, given --joe, on wavs of the joe voice: median F0 and 5–95% range of each
set, their differences, and the time of each tracker (median of repeats, run alone).
Issue 18's bar: median within 2% and range within 1 semitone on every set.

    python bench/f0_tracker.py [--count 4] [--thresholds 0.36 0.4 0.45] [--joe DIR_OF_WAVS]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from yin_candidate import yin_f0  # noqa: E402

from voxgraft.data.audio import load_audio  # noqa: E402
from voxgraft.data.features import pyin_f0  # noqa: E402
from voxgraft.data.synth import synthesize_corpus  # noqa: E402
from voxgraft.data.voices import VOICE_PRESETS  # noqa: E402
from voxgraft.evaluate.prosody import F0_FRAME, F0_MAX, F0_MIN, F0_SAMPLE_RATE  # noqa: E402


def summary(tracks: list[np.ndarray]) -> tuple[float, float]:
    voiced = np.concatenate([t[np.isfinite(t)] for t in tracks])
    if len(voiced) < 10:
        return float("nan"), float("nan")
    low, high = np.percentile(voiced, [5, 95])
    return float(np.median(voiced)), float(12 * np.log2(high / low))


def timed(track, wavs: list[np.ndarray], repeats: int) -> tuple[list[np.ndarray], float]:
    times, out = [], []
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
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=4)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.36, 0.4, 0.45])
    parser.add_argument("--joe", default=None, help="a folder of wavs the joe voice spoke")
    args = parser.parse_args()
    pyin = lambda w: pyin_f0(w, F0_SAMPLE_RATE, F0_FRAME, F0_FRAME // 4, F0_MIN, F0_MAX)  # noqa: E731
    print("| set | pYIN median Hz | pYIN range st | YIN threshold | YIN median (diff) | YIN range (diff) | time pYIN / YIN |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, wavs in sets(args.count, args.seed, Path(tmp), args.joe).items():
            ref_tracks, ref_s = timed(pyin, wavs, args.repeats)
            ref_median, ref_range = summary(ref_tracks)
            for threshold in args.thresholds:
                yin = lambda w, t=threshold: yin_f0(w, F0_SAMPLE_RATE, F0_FRAME, F0_FRAME // 4, F0_MIN, F0_MAX, t)  # noqa: E731
                tracks, took = timed(yin, wavs, args.repeats)
                median, spread = summary(tracks)
                print(f"| {name} | {ref_median:.1f} | {ref_range:.2f} | {threshold} | {median:.1f} ({100 * (median / ref_median - 1):+.2f}%) | "
                      f"{spread:.2f} ({spread - ref_range:+.2f}) | {ref_s / took:.0f}x |")


if __name__ == "__main__":
    main()
