"""The Ray Tune trainable: one transplant trial, as a recipe. Read `TransplantTrial` top down.

- `setup`: load the recipient once, graft the trial's style VAE if it asks for one, freeze all
  but the trial's organs, build the planned step and its optimizers, open the donor (whose
  features the driver prepared before the sweep), and continue from Tune's checkpoint when
  the trial is resumed.
- `train`: planned steps on the donor (training/trainer.py's one loop); after each step,
  `after_step` checks the memory budget, rejects a non-finite loss and, every `eval_every`
  steps, calls `evaluate_and_checkpoint`.
- `evaluate_and_checkpoint`: donor-likeness, recipient preservation and rejection
  (evaluate/), an organ-delta checkpoint with the held-out sentences as the transplant speaks
  them, both reported to Tune.
- `fit_memory_budget`: when the first steps exceed the sweep's memory budget the trial halves
  its micro-batch (accumulating gradients, same effective batch) until it fits, and ends with a
  clear error if even micro-batch 1 does not.
A loss that turns non-finite ends the trial as `rejected`: a finding about the transplant, not
a crash.
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

from voxgraft.data.piper_symbols import PiperSymbols, load_model_symbols
from voxgraft.data.symbols import SymbolTable
from voxgraft.evaluate.alignment_error import phoneme_ids, trial_alignment_measures
from voxgraft.evaluate.anchors import Anchors
from voxgraft.evaluate.evaluator import Evaluator
from voxgraft.evaluate.heldout_losses import heldout_losses
from voxgraft.evaluate.judges import Judges, JudgeSettings
from voxgraft.evaluate.registry import OBJECTIVES
from voxgraft.evaluate.render import Utterances, render
from voxgraft.evaluate.style import style_measures
from voxgraft.layout import SAMPLES_SUBDIR, TRANSPLANT_SUBDIR
from voxgraft.models.checkpoints import TRANSPLANT_META, TRANSPLANT_WEIGHTS, load_recipient, load_training_state, save_transplant
from voxgraft.models.discriminator import DiscriminatorConfig
from voxgraft.models.organs import FreezePlan, apply_freeze_plan
from voxgraft.models.style_latents import speak_as_donor
from voxgraft.models.styled_vits import graft_trial_style, has_style
from voxgraft.training.memory import micro_batch_size, peak_memory_mb, release_freed_memory, reset_peak_memory
from voxgraft.training.plan import plan_step
from voxgraft.training.pretrain import DISCRIMINATORS, RECORD_FILE, STATE_FILE
from voxgraft.training.recipient_data import open_for_recipient
from voxgraft.training.trainer import TrainConfig, Trainer, move_batch

TRAINER_STATE = "trainer.pt"
FIT_CHECK_STEPS = 3  # the first steps show whether the trial fits its memory budget
INTEGER_SETTINGS = ("segment_frames", "seed")  # of a sweep's `fixed` overrides


class RecipientChanged(RuntimeError):
    """The recipient's weights are not those the sweep (or a checkpoint) was trained on."""


@dataclass(frozen=True)
class TrialContext:
    """What every trial of a sweep shares (sent to the workers once, via tune.with_parameters)."""

    recipient: str
    donor: str
    heldout: int
    memory_budget_gb: float
    anchors: dict  # evaluate.anchors.Anchors as JSON data: the sweep's transfer anchors
    judges: bool = False  # Whisper and DNSMOS hear every evaluation (a sweep from before them had none)
    asr_model: str | None = None  # their Whisper directory; None: the bundled tiny.en
    recipient_sha256: str | None = None  # the recipient's weights as the sweep began (None: a sweep from before)

    def load_judges(self) -> Judges | None:
        return Judges(JudgeSettings(True, self.asr_model)) if self.judges else None


def recipient_symbols(recipient: Path) -> SymbolTable | PiperSymbols:
    directory = recipient if recipient.is_dir() else recipient.parent
    return load_model_symbols(directory)


def discriminator_config(recipient: Path) -> tuple[DiscriminatorConfig | None, dict | None]:
    """The recipient's own pretraining discriminator when it left one (a warm adversary), else a
    fresh one of the default size."""
    if recipient.is_dir() and (recipient / STATE_FILE).exists():
        record = json.loads((recipient / RECORD_FILE).read_text()) if (recipient / RECORD_FILE).exists() else {}
        state = load_training_state(recipient / STATE_FILE)
        return DISCRIMINATORS.get(record.get("config", "base")), state.get("discriminator")
    return None, None


def fixed_settings(config: dict) -> dict:
    """The sweep's `fixed` overrides of TrainConfig, integers kept integers."""
    return {k: int(v) if k in INTEGER_SETTINGS else float(v) for k, v in config.get("fixed", {}).items()}


@dataclass
class EvalWindow:
    """What happened since the last evaluation: mean losses, each step's total (for spikes)."""

    sums: dict
    totals: list
    started: float

    @classmethod
    def new(cls) -> EvalWindow:
        return cls({}, [], time.perf_counter())

    def add(self, losses: dict[str, float]) -> None:
        for k, v in losses.items():
            self.sums[k] = self.sums.get(k, 0.0) + v
        self.totals.append(losses["total"])

    def means(self) -> dict[str, float]:
        return {f"train_{k}": v / len(self.totals) for k, v in self.sums.items()}


class TransplantTrial:
    def __init__(self, config: dict, context: TrialContext):
        self.config, self.context = config, context
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        self.compute_s = 0.0  # time in steps and evaluations, to measure Tune's bookkeeping against
        self.tried_micro_batches: list[int] = []
        self.window = EvalWindow.new()
        self.finished = False  # restored from the trial's final checkpoint: nothing left to train
        self.setup()

    def setup(self) -> None:
        release_freed_memory()  # a reused worker's earlier trials neither stay resident...
        reset_peak_memory(self.device)  # ...nor count against this one's budget
        recipient_path = Path(self.context.recipient)
        recipient = load_recipient(recipient_path)
        if self.context.recipient_sha256 not in (None, recipient.sha256):
            raise RecipientChanged(f"{recipient_path} is not the recipient this sweep began with (sha256 "
                                   f"{self.context.recipient_sha256[:12]}..., now {recipient.sha256[:12]}...)")
        self.recipient_sha256 = recipient.sha256
        self.symbols = recipient_symbols(recipient_path)
        self.phonemes = phoneme_ids(self.symbols)  # the ids whose frames the alignment-health signs count
        self.data = open_for_recipient(self.context.donor, self.config["alignment"], recipient.model, self.symbols, self.context.heldout)
        self.model = model = recipient.model.to(self.device)
        self.recipient_speech = None  # the untouched recipient's, against which the style latent's separation is measured
        if has_style(model) or self.config.get("vae_latent"):
            self.recipient_speech = render(model, Utterances.from_training_set(self.data, self.data.heldout_indices)).wavs
        fixed = fixed_settings(self.config)
        organs = graft_trial_style(model, self.config["organs"], self.config.get("vae_latent"), int(fixed.get("seed", 0)))
        self.freeze = FreezePlan.for_model(organs, model)
        params = apply_freeze_plan(model, self.freeze)
        self.plan = plan_step(self.freeze.trainable, self.config["alignment"], self.config.get("decoder_input", "posterior"))
        self.train_config = TrainConfig(
            learning_rate=self.config["lr"], batch_size=self.config["batch_size"], style_beta=self.config.get("vae_beta"), **fixed
        )
        disc_config, disc_state = discriminator_config(recipient_path)
        self.trainer = Trainer(model, self.plan, params, self.train_config, disc_config)
        if self.trainer.discriminator is not None and disc_state is not None:
            self.trainer.discriminator.load_state_dict(disc_state)
        self.restore()
        self.heldout = move_batch(self.data.heldout_batch(), self.device)
        self.heldout_phoneme_ends = [self.data.dataset.phoneme_ends(self.data.dataset.ids[i]) for i in self.data.heldout_indices]
        params = self.data.dataset.features.params
        self.frame_ms = 1000 * params.hop_length / params.sample_rate
        self.evaluator = Evaluator(self.data, Anchors.from_dict(self.context.anchors), self.device, self.context.load_judges())

    def restore(self) -> None:
        """Continue from the checkpoint Tune hands a resumed trial, if any."""
        checkpoint = tune.get_checkpoint()
        if checkpoint is None:
            return
        with checkpoint.as_directory() as ckpt:
            trained_on = json.loads((Path(ckpt) / TRANSPLANT_SUBDIR / TRANSPLANT_META).read_text()).get("recipient_sha256")
            if trained_on != self.recipient_sha256:  # its organ deltas mean nothing on other weights
                raise RecipientChanged(f"checkpoint {ckpt} was trained on recipient {str(trained_on)[:12]}..., "
                                       f"not on {self.context.recipient} ({self.recipient_sha256[:12]}...)")
            self.model.load_state_dict(load_file(str(Path(ckpt) / TRANSPLANT_SUBDIR / TRANSPLANT_WEIGHTS)), strict=False)
            state = Path(ckpt) / TRAINER_STATE
            if state.exists():
                self.trainer.load_state_dict(load_training_state(state))
            else:  # only the final checkpoint goes without: the trial had ended when it was written
                self.finished = True

    def train(self) -> None:
        if not self.finished:
            self.trainer.run(self.data, self.config["steps"], self.after_step)

    def after_step(self, losses: dict[str, float], seconds: float) -> bool:
        """True ends the trial (it reported why)."""
        self.compute_s += seconds
        step = self.trainer.step_count
        if step <= FIT_CHECK_STEPS and not self.fit_memory_budget():
            return True
        bad = [k for k, v in losses.items() if not math.isfinite(v)]
        if bad:
            self.report_failure("rejected", f"non-finite {', '.join(bad)} at step {step}", rejected=True)
            return True
        self.window.add(losses)
        if step % self.config["eval_every"] == 0 or step >= self.config["steps"]:
            self.evaluate_and_checkpoint()
        return False

    def fit_memory_budget(self) -> bool:
        """Halve the micro-batch while the peak memory exceeds the budget; False (after an error
        report) when even micro-batch 1 does not fit."""
        budget_mb = self.context.memory_budget_gb * 1024
        peak = peak_memory_mb(self.device)
        if peak <= budget_mb:
            return True
        self.tried_micro_batches.append(micro_batch_size(self.train_config.batch_size, self.trainer.micro_batches))
        if self.tried_micro_batches[-1] == 1:
            self.report_failure(
                "error",
                f"does not fit the memory budget of {budget_mb:.0f} MB even at micro-batch 1 (peak {peak:.0f} MB; "
                f"tried micro-batches {', '.join(map(str, self.tried_micro_batches))})",
                micro_batch=1,
            )
            return False
        self.trainer.micro_batches *= 2  # same effective batch, half the activations at a time
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
        return True

    def report_failure(self, status: str, message: str, **extra) -> None:
        tune.report({
            **{metric: float("nan") for metric in OBJECTIVES},  # searchers need the objective in every report
            "step": self.trainer.step_count,
            "status": status,
            "message": message,
            "peak_memory_mb": peak_memory_mb(self.device),
            **extra,
        })

    def measure(self) -> tuple[dict, object]:
        """Every evaluation metric of the model as it is now, and its rendering of the held-out sentences."""
        model = self.model
        metrics = heldout_losses(model, self.heldout, self.plan, self.symbols.blank_id, self.train_config.segment_frames)
        metrics.update(trial_alignment_measures(
            model, self.heldout, self.heldout_phoneme_ends, self.frame_ms, self.config["alignment"], self.phonemes
        ))
        if has_style(model):
            speak_as_donor(model, self.data)
            metrics.update(style_measures(model, self.heldout, self.recipient_speech))
        return self.evaluator.evaluate(model, self.window.totals, known=metrics)

    def evaluate_and_checkpoint(self) -> None:
        tick = time.perf_counter()
        metrics, rendering = self.measure()
        self.compute_s += time.perf_counter() - tick
        metrics.update(self.window.means())
        metrics.update(
            step=self.trainer.step_count,
            status="running",
            micro_batch=micro_batch_size(self.train_config.batch_size, self.trainer.micro_batches),
            peak_memory_mb=peak_memory_mb(self.device),
            steps_per_s=len(self.window.totals) / (time.perf_counter() - self.window.started),
            compute_s=self.compute_s,
        )
        with tempfile.TemporaryDirectory() as tmp:
            save_transplant(Path(tmp) / TRANSPLANT_SUBDIR, self.model, self.freeze, self.recipient_sha256, self.symbols)
            if self.trainer.step_count < self.config["steps"]:  # the final one would only be resumed to stop
                torch.save(self.trainer.state_dict(), Path(tmp) / TRAINER_STATE)  # hundreds of MB with the discriminator
            rendering.write(Path(tmp) / SAMPLES_SUBDIR, self.evaluator.utterances.utterance_ids)
            tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(tmp))
        self.window = EvalWindow.new()


def transplant_trial(config: dict, context: TrialContext) -> None:
    """The function Tune runs for each trial."""
    TransplantTrial(config, context).train()
