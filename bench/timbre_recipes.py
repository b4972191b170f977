"""Which timbre recipe keeps the words? Trains each recipe on a recipient and donor and hears
every checkpoint with the judges, as a trial would (evaluate/evaluator.py), on one thread.

A recipe is an organ set, a learning rate, steps, what the decoder learns from
(`decoder_input`: posterior or prior, training/plan.py), whether the discriminator is used
(`adversarial`), and the discriminator's warm-up; every `eval_every` steps the checkpoint is
measured, so "which checkpoint" is answered too. Each row is one checkpoint; a checkpoint meets
the bar of the issue "Judged as the field judges speech" when its GE2E transfer is at least 0.3,
it loses no words (`words_lost` <= 0.10) and at most 0.3 of DNSMOS OVRL (`quality_drift`).

    python bench/timbre_recipes.py --recipient demo_out/models/joe --donor demo_out/corpora/timbre_donor \\
        '{"organs": "decoder", "lr": 1e-4, "steps": 60, "eval_every": 15}' \\
        '{"organs": "decoder,flow", "lr": 2e-4, "steps": 60, "eval_every": 15, "decoder_input": "prior"}'
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import time
from datetime import date
from pathlib import Path

import torch

from voxgraft.evaluate.anchors import compute_anchors
from voxgraft.evaluate.evaluator import Evaluator
from voxgraft.evaluate.judges import Judges
from voxgraft.evaluate.speaker import SpeakerEncoder
from voxgraft.models.checkpoints import load_recipient
from voxgraft.models.organs import FreezePlan, apply_freeze_plan
from voxgraft.trainables.transplant import discriminator_config, recipient_symbols
from voxgraft.training.plan import SKIPPED, plan_step
from voxgraft.training.recipient_data import open_for_recipient
from voxgraft.training.trainer import TrainConfig, Trainer

BAR = {"transfer_speaker_sim_donor": (">=", 0.3), "words_lost": ("<=", 0.10), "quality_drift": ("<=", 0.3)}
SHOWN = ("transfer_speaker_sim_donor", "wer", "dnsmos_ovrl", "quality_drift", "f0_median", "mcd")


def meets(metrics: dict) -> bool:
    return all(metrics[m] >= v if s == ">=" else metrics[m] <= v for m, (s, v) in BAR.items())


def trainer_for(recipe: dict, recipient: Path, model) -> Trainer:
    freeze = FreezePlan.for_model(recipe["organs"], model)
    params = apply_freeze_plan(model, freeze)
    plan = plan_step(freeze.trainable, "forced", recipe.get("decoder_input", "posterior"))
    if not recipe.get("adversarial", True):  # mel (and KL) only: no discriminator at all
        plan = dataclasses.replace(plan, losses=tuple(x for x in plan.losses if x not in ("adversarial", "feature_matching")),
                                   modes={**plan.modes, "discriminator": SKIPPED})
    config = TrainConfig(learning_rate=recipe["lr"], batch_size=recipe.get("batch_size", 4), segment_frames=recipe.get("segment_frames", 16))
    disc_config, disc_state = discriminator_config(recipient)
    trainer = Trainer(model, plan, params, config, disc_config)
    if trainer.discriminator is not None and disc_state is not None:
        trainer.discriminator.load_state_dict(disc_state)  # the recipient's warmed discriminator, as a trial loads it
    return trainer


def run(recipe: dict, recipient: Path, donor: Path, judges: Judges, anchors_cache: dict) -> list[dict]:
    model = load_recipient(recipient).model
    data = open_for_recipient(donor, "forced", model, recipient_symbols(recipient), 4)
    if "anchors" not in anchors_cache:
        anchors_cache["anchors"] = compute_anchors(model.eval(), data, SpeakerEncoder.pretrained(), judges=judges)
    evaluator = Evaluator(data, anchors_cache["anchors"], judges=judges)
    trainer = trainer_for(recipe, recipient, model)
    rows, started = [], time.perf_counter()

    def on_step(losses, seconds):
        if trainer.step_count % recipe["eval_every"] == 0:
            metrics, _ = evaluator.evaluate(model)
            rows.append({"step": trainer.step_count, "seconds": time.perf_counter() - started, **{k: float(metrics[k]) for k in (*SHOWN, *BAR)},
                         "rejected": bool(metrics["rejected"])})
        return False

    trainer.run(data, recipe["steps"], on_step)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("recipes", nargs="+", help="JSON: organs, lr, steps, eval_every; optional decoder_input, adversarial")
    parser.add_argument("--recipient", type=Path, default=Path("demo_out/models/joe"))
    parser.add_argument("--donor", type=Path, default=Path("demo_out/corpora/timbre_donor"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    judges, cache = Judges(), {}
    print(f"# bench/timbre_recipes.py  {date.today()}  {platform.machine()}, 1 thread; {args.recipient} <- {args.donor}")
    print("| recipe | step | GE2E transfer | WER | OVRL | OVRL lost | F0 (Hz) | MCD | rejected | meets the bar |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for text in args.recipes:
        recipe = json.loads(text)
        for row in run(recipe, args.recipient, args.donor, judges, cache):
            print(f"| {text} | {row['step']} | {row['transfer_speaker_sim_donor']:.2f} | {row['wer']:.2f} | {row['dnsmos_ovrl']:.2f} | "
                  f"{row['quality_drift']:.2f} | {row['f0_median']:.0f} | {row['mcd']:.2f} | {'yes' if row['rejected'] else ''} | "
                  f"{'**yes**' if meets(row) else ''} |", flush=True)
    anchors = cache["anchors"]
    print(f"\nends: recipient WER {anchors.recipient['wer']:.2f} OVRL {anchors.recipient['dnsmos_ovrl']:.2f}; "
          f"donor WER {anchors.donor['wer']:.2f} OVRL {anchors.donor['dnsmos_ovrl']:.2f}")


if __name__ == "__main__":
    main()
