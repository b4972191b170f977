"""How long one transplant evaluation takes, and where the time goes.

One evaluation speaks the donor's held-out sentences with the checkpoint and measures them
(evaluate/). Side by side in one run, on the same model and sentences: the whole evaluation
without the judges and with them (Whisper and DNSMOS: what they add), each of its parts, and one
planned training step of the cadence and timbre presets, so the evaluation's cost reads as a
number of training steps. Medians over the repeats; the first call of each is a warm-up. Run it
with `taskset -c 0` (or on an idle machine) so every part has one core, as a trial does.

    python bench/evaluate.py --recipient demo_out/models/recipient --donor demo_out/corpora/cadence_donor
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import librosa
import torch
from threadpoolctl import threadpool_limits

from voxgraft.data.features import reference_pyin_f0
from voxgraft.data.training_set import open_training_set
from voxgraft.evaluate.anchors import compute_anchors
from voxgraft.evaluate.artifacts import audio_signs
from voxgraft.evaluate.evaluator import Evaluator
from voxgraft.evaluate.judges import Judges
from voxgraft.evaluate.mcd import mcd_dtw
from voxgraft.evaluate.prosody import F0_FRAME, F0_MAX, F0_MIN, F0_SAMPLE_RATE, f0_stats
from voxgraft.evaluate.render import render
from voxgraft.evaluate.speaker import SpeakerEncoder
from voxgraft.models.checkpoints import load_recipient
from voxgraft.models.organs import FreezePlan, apply_freeze_plan
from voxgraft.trainables.transplant import discriminator_config, recipient_symbols
from voxgraft.training.plan import plan_step
from voxgraft.training.trainer import TrainConfig, Trainer


def reference_f0(wav, sample_rate: int):
    """What evaluation's F0 cost before the banded decoder: librosa.pyin on the same frames."""
    wav = librosa.resample(wav, orig_sr=sample_rate, target_sr=F0_SAMPLE_RATE)
    return reference_pyin_f0(wav, F0_SAMPLE_RATE, F0_FRAME, F0_FRAME // 4, F0_MIN, F0_MAX)


def median_seconds(fn, repeats: int) -> float:
    """Median after a warm-up; numpy's BLAS on one thread, as evaluation runs its measures."""
    with threadpool_limits(limits=1, user_api="blas"):
        fn()
        times = []
        for _ in range(repeats):
            tick = time.perf_counter()
            fn()
            times.append(time.perf_counter() - tick)
    return statistics.median(times)


def step_seconds(recipient: str, data, preset: str, repeats: int) -> float:
    model = load_recipient(recipient).model
    freeze = FreezePlan.for_model(preset, model)
    params = apply_freeze_plan(model, freeze)
    disc_config, disc_state = discriminator_config(Path(recipient))  # as a trial builds it
    trainer = Trainer(model, plan_step(freeze.trainable, "forced"), params, TrainConfig(batch_size=8), disc_config)
    if trainer.discriminator is not None and disc_state is not None:
        trainer.discriminator.load_state_dict(disc_state)
    batch = next(iter(data.loader(8, seed=0)))
    return median_seconds(lambda: trainer.step(batch), repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipient", default="demo_out/models/recipient")
    parser.add_argument("--donor", default="demo_out/corpora/cadence_donor")
    parser.add_argument("--heldout", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)  # one thread, as a trial of `resources: {cpu: 1}` has

    data = open_training_set(args.donor, "forced", symbols=recipient_symbols(Path(args.recipient)), heldout=args.heldout)
    model = load_recipient(args.recipient).model.eval()
    judges = Judges()
    tick = time.perf_counter()
    encoder = SpeakerEncoder.pretrained()
    anchors = compute_anchors(model, data, encoder, judges=judges)
    anchors_s = time.perf_counter() - tick
    unjudged = replace(anchors, recipient={k: v for k, v in anchors.recipient.items() if k != "wer"})
    evaluator = Evaluator(data, unjudged)
    judged = Evaluator(data, anchors, judges=judges)
    utts = evaluator.utterances
    rendering = render(model, utts)
    sr = rendering.sample_rate

    timings = {
        "whole evaluation": median_seconds(lambda: evaluator.evaluate(model), args.repeats),
        "whole, with the judges": median_seconds(lambda: judged.evaluate(model), args.repeats),
        "  Whisper (judge)": median_seconds(lambda: judges.whisper.score(rendering.wavs, sr, utts.texts), args.repeats),
        "  DNSMOS (judge)": median_seconds(lambda: judges.dnsmos.score(rendering.wavs, sr), args.repeats),
        "  speak the sentences": median_seconds(lambda: render(model, utts), args.repeats),
        "  speaker embeddings": median_seconds(lambda: encoder.embed(rendering.wavs, sr), args.repeats),
        "  F0 (pYIN, banded)": median_seconds(lambda: f0_stats(rendering.wavs, sr), args.repeats),
        "  F0 (librosa.pyin)": median_seconds(lambda: [reference_f0(w, sr) for w in rendering.wavs], args.repeats),
        "  MCD with DTW": median_seconds(lambda: [mcd_dtw(a, b, sr) for a, b in zip(utts.recordings, rendering.wavs)], args.repeats),
        "  artifact signs": median_seconds(lambda: audio_signs(rendering.wavs, sr), args.repeats),
    }
    steps = {preset: step_seconds(args.recipient, data, preset, args.repeats) for preset in ("cadence", "timbre")}
    whole = timings["whole evaluation"]
    seconds_of_audio = sum(len(w) for w in rendering.wavs) / sr
    print(f"# bench/evaluate.py  {date.today()}  {platform.machine()} {torch.get_num_threads()} threads  {torch.__version__}")
    print(f"# {args.recipient}, {args.heldout} held-out sentences of {args.donor} ({seconds_of_audio:.1f} s of speech), median of {args.repeats}")
    print(f"{'part':<24}{'seconds':>9}{'share':>8}")
    for name, seconds in timings.items():
        print(f"{name:<24}{seconds:9.2f}{seconds / whole:8.0%}")
    print(f"the judges add {timings['whole, with the judges'] - whole:.2f} s to an evaluation")
    print(f"anchors, once per sweep {anchors_s:9.2f}")
    for preset, seconds in steps.items():
        print(f"one evaluation = {whole / seconds:6.1f} planned {preset} steps at batch 8 ({seconds:.3f} s each)")


if __name__ == "__main__":
    main()
