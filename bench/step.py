"""Planned vs naive VITS training step, per freeze-plan preset, on the tiny and base configs.

The naive step is what a trainer with freeze flags does (Coqui's VITS): every module with
autograd, every loss, the discriminator step. The planned step runs what the plan needs
(training/plan.py). Both run side by side on the same batches, on one machine, in one run;
printed are median step times over the repeats and their ratio. The first step of each is
a warm-up (it also fills the planned step's cache) and is not timed.

    python bench/step.py --configs tiny,base --repeats 5
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import torch
from transformers import VitsModel

from voxgraft.data.synth import synthesize_corpus
from voxgraft.data.training_set import open_training_set
from voxgraft.models.configs import named_config
from voxgraft.models.organs import FreezePlan, apply_freeze_plan
from voxgraft.training.plan import naive_plan, plan_step
from voxgraft.training.pretrain import DISCRIMINATORS
from voxgraft.training.trainer import TrainConfig, Trainer

BENCH_PLANS = ("cadence", "timbre", "full")


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def time_steps(model, plan_fn, organs, alignment, config_name, batches, device, train_config) -> float:
    freeze = FreezePlan.for_model(organs, model)
    params = apply_freeze_plan(model, freeze)
    trainer = Trainer(model, plan_fn(freeze.trainable, alignment), params, train_config, DISCRIMINATORS[config_name])
    trainer.step(batches[0])  # warm-up
    times = []
    for batch in batches[1:]:
        _sync(device)
        start = time.perf_counter()
        trainer.step(batch)
        _sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default="tiny,base")
    parser.add_argument("--alignment", default="forced")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--corpus", default=None, help="an aligned corpus (default: a synthetic one made here)")
    args = parser.parse_args(argv)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    corpus = args.corpus or synthesize_corpus("recipient", 4 * args.batch_size, 0, Path(tempfile.mkdtemp()) / "corpus")
    data = open_training_set(corpus, args.alignment)
    loader = list(data.loader(args.batch_size, seed=0))
    batches = [loader[i % len(loader)] for i in range(args.repeats + 1)]
    train_config = TrainConfig(batch_size=args.batch_size)
    machine = torch.cuda.get_device_name() if device.type == "cuda" else f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"
    print(f"# bench/step.py, {date.today()}, {machine}, torch {torch.__version__}, batch {args.batch_size}, "
          f"{args.alignment} alignment, median of {args.repeats}")
    print("| config | preset | naive step (s) | planned step (s) | naive / planned |")
    print("|---|---|---|---|---|")
    for config_name in args.configs.split(","):
        for preset in BENCH_PLANS:
            timings = {}
            for name, plan_fn in (("naive", naive_plan), ("planned", plan_step)):
                torch.manual_seed(0)
                model = VitsModel(named_config(config_name, len(data.symbols))).to(device)
                timings[name] = time_steps(model, plan_fn, preset, args.alignment, config_name, batches, device, train_config)
                del model
            ratio = timings["naive"] / timings["planned"]
            print(f"| {config_name} | {preset} | {timings['naive']:.4f} | {timings['planned']:.4f} | {ratio:.1f}x |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
