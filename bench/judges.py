"""What the judges cost and how steady they are, side by side in one run, on one thread.

For each folder of held-out sentences (wavs named by utterance id; texts from the corpus's
metadata.csv), on the same audio:
- Whisper tiny.en three ways: the sentences joined into one window and decoded greedily (the
  cheapest), each sentence greedily, each sentence by beam search (what voxgraft does); each
  with its WER, and its spread when noise 80 dB below the speech is added (five draws), which
  no listener hears and no judge should;
- DNSMOS: speechmos's own per-clip scoring (each clip repeated to 9 s, every 1 s hop scored),
  against voxgraft's (the set as one recording, as few 9.01 s windows as cover it).
Medians of the repeats after a warm-up; the first folder also gets the per-part times.

    python bench/judges.py --texts demo_out/corpora/timbre_donor/metadata.csv \\
        demo_out/sweeps/smoke_timbre/references/recipient demo_out/sweeps/smoke_timbre/references/donor
"""

from __future__ import annotations

import argparse
import csv
import platform
import statistics
from datetime import date
from pathlib import Path

import jiwer
import librosa
import numpy as np
import soundfile as sf
import torch
from evaluate import median_seconds  # bench/evaluate.py's: a warm-up, then the median
from threadpoolctl import threadpool_limits

from voxgraft.evaluate.intelligibility import SAMPLE_RATE, Whisper
from voxgraft.evaluate.quality import Dnsmos

NOISE = 1e-4  # about 80 dB below the speech
DRAWS = 5


def load(folder: Path, texts: dict[str, str]) -> tuple[list[np.ndarray], list[str]]:
    paths = sorted(folder.glob("*.wav"))
    wavs = [librosa.resample(sf.read(str(p), dtype="float32")[0], orig_sr=sf.info(str(p)).samplerate, target_sr=SAMPLE_RATE) for p in paths]
    return wavs, [texts[p.stem] for p in paths]


def transcribe(whisper: Whisper, audio: np.ndarray, beam: int) -> str:
    segments, _ = whisper.model.transcribe(audio, language="en", beam_size=beam, temperature=0.0, condition_on_previous_text=False,
                                           vad_filter=False, without_timestamps=True, max_new_tokens=200)
    return " ".join(s.text.strip() for s in segments)


def whisper_ways(whisper: Whisper):
    pause = np.zeros(int(0.3 * SAMPLE_RATE), np.float32)

    def joined(wavs, texts):
        audio = np.concatenate([x for w in wavs for x in (pause, w)][1:])
        return [transcribe(whisper, audio, 1)], [" ".join(texts)]

    return {
        "joined, greedy": joined,
        "each, greedy": lambda wavs, texts: ([transcribe(whisper, w, 1) for w in wavs], texts),
        "each, beam 5 (voxgraft)": lambda wavs, texts: ([transcribe(whisper, w, 5) for w in wavs], texts),
    }


def wer(whisper: Whisper, heard: list[str], texts: list[str]) -> float:
    return float(jiwer.wer([whisper.normalize(t) for t in texts], [whisper.normalize(h) for h in heard]))


def speechmos_ovrl(wavs: list[np.ndarray]) -> float:
    from speechmos import dnsmos  # imports requests and tqdm: fine here, never in voxgraft

    return float(np.mean([dnsmos.run(np.clip(w, -1, 1), SAMPLE_RATE)["ovrl_mos"] for w in wavs]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--texts", type=Path, required=True, help="a corpus's metadata.csv (id|text|...)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    texts = {row[0]: row[1] for row in csv.reader(args.texts.open(encoding="utf-8"), delimiter="|") if len(row) > 1}
    whisper, dnsmos = Whisper(), Dnsmos()
    ways = whisper_ways(whisper)
    print(f"# bench/judges.py  {date.today()}  {platform.machine()}, 1 thread, Whisper {whisper.model_dir.parent.name}")
    print("| speech | Whisper way | WER | WER under -80 dB noise (min..max of 5) | seconds |")
    print("|---|---|---|---|---|")
    costs = {}
    with threadpool_limits(limits=1):
        for folder in args.folders:
            wavs, said = load(folder, texts)
            rng = np.random.default_rng(0)
            noisy = [[w + rng.standard_normal(len(w)).astype(np.float32) * NOISE for w in wavs] for _ in range(DRAWS)]
            for name, way in ways.items():
                seconds = median_seconds(lambda way=way, wavs=wavs, said=said: way(wavs, said), args.repeats)
                spread = [wer(whisper, *way(n, said)) for n in noisy]
                print(f"| {folder.parent.name}/{folder.name} | {name} | {wer(whisper, *way(wavs, said)):.3f} | "
                      f"{min(spread):.3f}..{max(spread):.3f} | {seconds:.2f} |")
                costs.setdefault(name, []).append(seconds)
        print("\n| speech | DNSMOS | OVRL | seconds |\n|---|---|---|---|")
        for folder in args.folders:
            wavs, _ = load(folder, texts)
            ours = dnsmos.score(wavs, SAMPLE_RATE)["dnsmos_ovrl"]
            print(f"| {folder.parent.name}/{folder.name} | speechmos, per clip | {speechmos_ovrl(wavs):.2f} | "
                  f"{median_seconds(lambda wavs=wavs: speechmos_ovrl(wavs), args.repeats):.2f} |")
            print(f"| {folder.parent.name}/{folder.name} | voxgraft, the set as one recording | {ours:.2f} | "
                  f"{median_seconds(lambda wavs=wavs: dnsmos.score(wavs, SAMPLE_RATE), args.repeats):.2f} |")
    print("\nmedian seconds per way over the folders: " + ", ".join(f"{k} {statistics.median(v):.2f}" for k, v in costs.items()))


if __name__ == "__main__":
    main()
