"""Train a recipient VITS voice from scratch on a corpus, or continue one.

The output directory is a `VitsModel.save_pretrained` directory plus `symbols.json`,
`pretrain.json` (settings and held-out measures) and `training_state.pt` (optimizer and
discriminator state, for resuming). Every checkpoint replaces the directory atomically, so an
interrupted run leaves the last complete checkpoint, and running the same command again resumes
from it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from transformers import VitsModel

from voxgraft.atomic import atomic_directory
from voxgraft.data.symbols import SymbolTable
from voxgraft.data.training_set import open_training_set
from voxgraft.data.voice_mix import open_voice_mix
from voxgraft.models.checkpoints import CheckpointError, load_recipient, load_training_state
from voxgraft.models.configs import named_config
from voxgraft.models.discriminator import DiscriminatorConfig
from voxgraft.models.organs import FreezePlan, apply_freeze_plan
from voxgraft.models.style_latents import first_voice_rows, voice_centroid
from voxgraft.models.styled_vits import DEFAULT_ANNEAL_STEPS, DEFAULT_BETA, EMBEDDING_SIZE, StyledVitsModel, add_style_to_config, has_style
from voxgraft.training.heldout import duration_correlation, mel_reconstruction_l1
from voxgraft.training.plan import plan_step
from voxgraft.training.trainer import TrainConfig, Trainer

STATE_FILE = "training_state.pt"
RECORD_FILE = "pretrain.json"
# the tiny config trains against a discriminator with 1/8 of the channels, to fit a CPU
DISCRIMINATORS = {"tiny": DiscriminatorConfig(channel_divisor=8), "base": DiscriminatorConfig()}


@dataclass(frozen=True)
class PretrainSettings:
    config: str = "tiny"
    alignment: str = "forced"
    steps: int = 300
    checkpoint_every: int = 100
    heldout: int = 4
    train: TrainConfig = TrainConfig(learning_rate=1e-3)
    # After the joint phase, the duration predictor alone is fit to the final (frozen) text
    # encoder. Jointly it chases a text encoder that keeps moving and lags behind; alone, with
    # the planned step, it costs about 1/50 of a joint step.
    duration_steps: int = 300
    duration_learning_rate: float = 3e-4
    # > 0: a new model carries a style VAE with this latent size (a multi-voice recipient)
    style_latent: int = 0
    style_beta: float = DEFAULT_BETA
    style_anneal_steps: int = DEFAULT_ANNEAL_STEPS


@dataclass
class PretrainResult:
    out_dir: Path
    steps: int
    resumed_from: int
    initial: dict[str, float]
    final: dict[str, float]
    last_losses: dict[str, float]


def heldout_measures(model: VitsModel, batch, blank_id: int) -> dict[str, float]:
    measures = {"heldout_mel_l1": mel_reconstruction_l1(model, batch)}
    if batch.durations is not None:
        measures["duration_pearson_r"] = duration_correlation(model, batch, blank_id)
    return measures


def _save(out_dir: Path, model: VitsModel, symbols: SymbolTable, trainer: Trainer, record: dict) -> None:
    with atomic_directory(out_dir) as tmp:
        model.save_pretrained(str(tmp))
        symbols.save(tmp)
        torch.save(trainer.state_dict(), tmp / STATE_FILE)
        (tmp / RECORD_FILE).write_text(json.dumps(record, indent=2) + "\n")


def _fit_durations(model: VitsModel, data, settings: PretrainSettings, steps: int) -> None:
    plan = FreezePlan.for_model("cadence", model)
    params = apply_freeze_plan(model, plan)
    config = replace(settings.train, learning_rate=settings.duration_learning_rate)
    trainer = Trainer(model, plan_step(plan.trainable, settings.alignment), params, config)
    trainer.run(data, steps)


def _new_model(settings: PretrainSettings, vocab_size: int) -> StyledVitsModel:
    config = named_config(settings.config, vocab_size)
    if settings.style_latent:
        add_style_to_config(
            config, settings.style_latent, EMBEDDING_SIZE[settings.config], settings.style_beta, settings.style_anneal_steps
        )
    return StyledVitsModel(config)


def _open_data(corpus_dirs: list, settings: PretrainSettings, symbols: SymbolTable | None):
    if len(corpus_dirs) == 1:
        return open_training_set(corpus_dirs[0], settings.alignment, symbols=symbols, heldout=settings.heldout)
    return open_voice_mix(corpus_dirs, settings.alignment, symbols=symbols, heldout=settings.heldout)


def _open_model(out_dir: Path, settings: PretrainSettings, vocab: int, existing: bool) -> tuple[StyledVitsModel, dict]:
    """The model to continue (with its pretraining record) or a new one (with an empty record)."""
    if not existing:
        return _new_model(settings, vocab), {}
    model = load_recipient(out_dir).model
    if model.config.vocab_size < vocab:
        raise CheckpointError(f"{out_dir}: vocabulary of {model.config.vocab_size} cannot hold {vocab} symbols")
    record = json.loads((out_dir / RECORD_FILE).read_text()) if (out_dir / RECORD_FILE).exists() else {}
    return model, record


def pretrain(
    corpus_dirs: str | Path | list[str | Path],
    out_dir: str | Path,
    settings: PretrainSettings = PretrainSettings(),
    progress: Callable[[int, int, dict[str, float]], None] | None = None,
) -> PretrainResult:
    """Train (or resume) until `settings.steps` optimizer steps; returns held-out measures before
    and after. Several corpora train one multi-voice model (held-out utterances per voice)."""
    out_dir = Path(out_dir)
    corpus_dirs = [corpus_dirs] if isinstance(corpus_dirs, (str, Path)) else list(corpus_dirs)
    existing = (out_dir / "config.json").exists()
    data = _open_data(corpus_dirs, settings, SymbolTable.load(out_dir) if existing else None)
    torch.manual_seed(settings.train.seed)
    model, record = _open_model(out_dir, settings, len(data.symbols), existing)
    config_name = record.get("config", settings.config)
    plan = FreezePlan.for_model("full", model)
    params = apply_freeze_plan(model, plan)
    trainer = Trainer(model, plan_step(plan.trainable, settings.alignment), params, settings.train, DISCRIMINATORS.get(config_name))
    if existing and (out_dir / STATE_FILE).exists():
        trainer.load_state_dict(load_training_state(out_dir / STATE_FILE))
    resumed_from = trainer.step_count

    heldout = data.heldout_batch() if data.heldout_indices else None
    initial = record.get("initial") or (heldout_measures(model, heldout, data.symbols.blank_id) if heldout else {})
    record.update(
        corpus=[str(Path(d).resolve()) for d in corpus_dirs],
        config=config_name,
        alignment=settings.alignment,
        train=settings.train.to_dict(),
        initial=initial,
    )

    def after_step(losses: dict[str, float], _seconds: float) -> bool:
        if progress:
            progress(trainer.step_count, settings.steps, losses)
        if trainer.step_count % settings.checkpoint_every == 0 or trainer.step_count >= settings.steps:
            record["steps"] = trainer.step_count
            _save(out_dir, model, data.symbols, trainer, record)
        return False

    last = trainer.run(data, settings.steps, after_step)

    done = record.get("duration_steps", 0)
    if settings.duration_steps > done:
        _fit_durations(model, data, settings, settings.duration_steps - done)
        record["duration_steps"] = settings.duration_steps

    if has_style(model):  # it speaks, by default, as the first corpus's voice
        model.style.default_latent.copy_(voice_centroid(model, data, first_voice_rows(data)))
    final = heldout_measures(model, heldout, data.symbols.blank_id) if heldout else {}
    record.update(steps=trainer.step_count, final=final, last_losses=last)
    _save(out_dir, model, data.symbols, trainer, record)
    return PretrainResult(out_dir, trainer.step_count, resumed_from, initial, final, last)
