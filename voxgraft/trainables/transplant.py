"""The Ray Tune trainable: one transplant trial.

Per trial: load the recipient once, freeze all but the trial's organs, run planned steps on
the donor (whose features the driver prepared before the sweep), and every `eval_every` steps
evaluate (trainables/evaluate: donor-likeness, recipient preservation, rejection), save an
organ-delta checkpoint with the held-out sentences as it speaks them, and report both to Tune. A trial resumed by Tune
continues from its last checkpoint. A loss that turns non-finite ends the trial as `rejected`
(a finding about the transplant, not a crash). When the first steps exceed the sweep's memory
budget, the trial halves its micro-batch (accumulating gradients, same effective batch) until
it fits, and ends with a clear error if even micro-batch 1 does not.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from ray import tune
from safetensors.torch import load_file

from voxgraft.data.symbols import SymbolTable
from voxgraft.data.training_set import open_training_set
from voxgraft.layout import SAMPLES_SUBDIR, TRANSPLANT_SUBDIR
from voxgraft.models.checkpoints import TRANSPLANT_WEIGHTS, load_recipient, save_transplant
from voxgraft.models.discriminator import DiscriminatorConfig
from voxgraft.models.organs import FreezePlan, apply_freeze_plan
from voxgraft.models.styled_vits import has_style
from voxgraft.search_spaces.schema import METRICS
from voxgraft.trainables.evaluate.anchors import Anchors
from voxgraft.trainables.evaluate.evaluator import Evaluator
from voxgraft.trainables.evaluate.render import Utterances, render
from voxgraft.trainables.plan import plan_step
from voxgraft.trainables.pretrain import DISCRIMINATORS, RECORD_FILE, STATE_FILE
from voxgraft.trainables.style_trial import plan_style, speak_as_donor, style_measures
from voxgraft.trainables.trainer import TrainConfig, Trainer, move_batch
from voxgraft.trainables.transplant_metrics import peak_memory_mb, transplant_metrics

TRAINER_STATE = "trainer.pt"
FIT_CHECK_STEPS = 3  # the first steps show whether the trial fits its memory budget
INTEGER_SETTINGS = ("segment_frames", "seed")  # of a sweep's `fixed` overrides


@dataclass(frozen=True)
class TrialContext:
    """What every trial of a sweep shares (sent to the workers once, via tune.with_parameters)."""

    recipient: str
    donor: str
    heldout: int
    memory_budget_gb: float
    anchors: dict  # evaluate.anchors.Anchors as JSON data: the sweep's transfer anchors


def recipient_symbols(recipient: Path) -> SymbolTable:
    directory = recipient if recipient.is_dir() else recipient.parent
    return SymbolTable.load(directory)


def discriminator_config(recipient: Path) -> tuple[DiscriminatorConfig | None, dict | None]:
    """The recipient's own pretraining discriminator when it left one (a warm adversary), else a
    fresh one of the default size."""
    if recipient.is_dir() and (recipient / STATE_FILE).exists():
        record = json.loads((recipient / RECORD_FILE).read_text()) if (recipient / RECORD_FILE).exists() else {}
        state = torch.load(recipient / STATE_FILE, weights_only=True)
        return DISCRIMINATORS.get(record.get("config", "base")), state.get("discriminator")
    return None, None


def micro_batch_size(batch_size: int, micro_batches: int) -> int:
    return -(-batch_size // micro_batches)


def transplant_trial(config: dict, context: TrialContext) -> None:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    recipient_path = Path(context.recipient)
    recipient = load_recipient(recipient_path)
    symbols = recipient_symbols(recipient_path)
    data = open_training_set(context.donor, config["alignment"], symbols=symbols, heldout=context.heldout)
    model = recipient.model.to(device)
    recipient_speech = None  # the untouched recipient's, against which the style latent's separation is measured
    if has_style(model) or config.get("vae_latent"):
        recipient_speech = render(model, Utterances.from_training_set(data, data.heldout_indices)).wavs
    fixed = {k: int(v) if k in INTEGER_SETTINGS else float(v) for k, v in config.get("fixed", {}).items()}
    organs = plan_style(model, config["organs"], config.get("vae_latent"), int(fixed.get("seed", 0)))
    freeze = FreezePlan.for_model(organs, model)
    params = apply_freeze_plan(model, freeze)
    plan = plan_step(freeze.trainable, config["alignment"])
    train_config = TrainConfig(
        learning_rate=config["lr"], batch_size=config["batch_size"], style_beta=config.get("vae_beta"), **fixed
    )
    disc_config, disc_state = discriminator_config(recipient_path)
    trainer = Trainer(model, plan, params, train_config, disc_config)
    if trainer.discriminator is not None and disc_state is not None:
        trainer.discriminator.load_state_dict(disc_state)

    checkpoint = tune.get_checkpoint()
    if checkpoint is not None:
        with checkpoint.as_directory() as ckpt:
            model.load_state_dict(load_file(str(Path(ckpt) / TRANSPLANT_SUBDIR / TRANSPLANT_WEIGHTS)), strict=False)
            trainer.load_state_dict(torch.load(Path(ckpt) / TRAINER_STATE, weights_only=True))

    heldout = move_batch(data.heldout_batch(), device)
    evaluator = Evaluator(data, Anchors.from_dict(context.anchors), device)
    budget_mb = context.memory_budget_gb * 1024
    steps, eval_every = config["steps"], config["eval_every"]
    sums: dict[str, float] = {}
    totals: list[float] = []  # each step's total loss since the last evaluation: spikes
    count, started = 0, time.perf_counter()
    compute_s = 0.0  # time in steps and evaluations, to measure Tune's bookkeeping against
    tried: list[int] = []
    while trainer.step_count < steps:
        for batch in data.loader(train_config.batch_size, train_config.seed, trainer.epoch):
            tick = time.perf_counter()
            losses = trainer.step(batch)
            compute_s += time.perf_counter() - tick
            if trainer.step_count <= FIT_CHECK_STEPS and peak_memory_mb(device) > budget_mb:
                tried.append(micro_batch_size(train_config.batch_size, trainer.micro_batches))
                if tried[-1] == 1:
                    tune.report({
                        **{metric: float("nan") for metric in METRICS},
                        "step": trainer.step_count,
                        "status": "error",
                        "message": f"does not fit the memory budget of {budget_mb:.0f} MB even at micro-batch 1 "
                        f"(peak {peak_memory_mb(device):.0f} MB; tried micro-batches {', '.join(map(str, tried))})",
                        "peak_memory_mb": peak_memory_mb(device),
                        "micro_batch": 1,
                    })
                    return
                trainer.micro_batches *= 2  # same effective batch, half the activations at a time
                if device.type == "cuda":
                    torch.cuda.reset_peak_memory_stats(device)
            bad = [k for k, v in losses.items() if not math.isfinite(v)]
            if bad:
                tune.report({
                    **{metric: float("nan") for metric in METRICS},  # searchers need the objective in every report
                    "step": trainer.step_count,
                    "status": "rejected",
                    "rejected": True,
                    "message": f"non-finite {', '.join(bad)} at step {trainer.step_count}",
                    "peak_memory_mb": peak_memory_mb(device),
                })
                return
            for k, v in losses.items():
                sums[k] = sums.get(k, 0.0) + v
            totals.append(losses["total"])
            count += 1
            if trainer.step_count % eval_every == 0 or trainer.step_count >= steps:
                tick = time.perf_counter()
                metrics = transplant_metrics(model, heldout, plan, symbols.blank_id, train_config.segment_frames)
                if has_style(model):
                    speak_as_donor(model, data)
                    metrics.update(style_measures(model, heldout, recipient_speech))
                metrics, rendering = evaluator.evaluate(model, totals, known=metrics)
                compute_s += time.perf_counter() - tick
                metrics.update({f"train_{k}": v / count for k, v in sums.items()})
                metrics.update(
                    step=trainer.step_count,
                    status="running",
                    micro_batch=micro_batch_size(train_config.batch_size, trainer.micro_batches),
                    peak_memory_mb=peak_memory_mb(device),
                    steps_per_s=count / (time.perf_counter() - started),
                    compute_s=compute_s,
                )
                with tempfile.TemporaryDirectory() as tmp:
                    save_transplant(Path(tmp) / TRANSPLANT_SUBDIR, model, freeze, recipient.sha256, symbols)
                    torch.save(trainer.state_dict(), Path(tmp) / TRAINER_STATE)
                    rendering.write(Path(tmp) / SAMPLES_SUBDIR, evaluator.utterances.utterance_ids)
                    tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(tmp))
                sums, totals, count, started = {}, [], 0, time.perf_counter()
            if trainer.step_count >= steps:
                break
        else:
            trainer.end_epoch()
