"""Recipient models in, organ-delta transplant checkpoints out, and merging them back.

The recipient is a `VitsModel.save_pretrained` directory (the hub's layout, so MMS-TTS and
other VITS checkpoints work), or one safetensors file of its weights plus a config.json, and is
only ever read. Its identity is the sha256 of its weight files. A transplant checkpoint holds
only the trained organs' tensors (safetensors; a styled model's also the style latent it speaks
with), the recipient's hash, the plan and the symbol table: a few MB for a cadence transplant
instead of a whole model. `merge` rebuilds a full model directory from recipient + transplant.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from transformers import VitsConfig, VitsModel
from transformers.utils import logging as transformers_logging

from voxgraft.atomic import atomic_directory
from voxgraft.console import first_line
from voxgraft.data.symbols import FILENAME as SYMBOLS_FILENAME
from voxgraft.data.symbols import SymbolTable
from voxgraft.models.organs import ORGAN_MODULES, FreezePlan
from voxgraft.models.styled_vits import StyledVitsModel, graft_style, has_style

# voxgraft shows its own progress; transformers' per-shard bars would interleave with it
transformers_logging.disable_progress_bar()

TRANSPLANT_WEIGHTS = "organs.safetensors"
TRANSPLANT_META = "transplant.json"
FORMAT_VERSION = 1
# a styled model's checkpoints always carry the latent it speaks with (the donor's style), even
# when the style VAE itself stayed frozen
STYLE_LATENT_KEY = "style.default_latent"


class CheckpointError(ValueError):
    pass


class CorruptCheckpointError(CheckpointError):
    """The checkpoint itself is damaged (not a wrong recipient or a wrong argument)."""


def weight_files(model_path: Path) -> list[Path]:
    if model_path.is_file():
        return [model_path]
    files = sorted(model_path.glob("*.safetensors"))
    if not files:
        raise CheckpointError(f"{model_path}: no *.safetensors weights (expected a VitsModel.save_pretrained directory)")
    return files


def recipient_sha256(model_path: str | Path) -> str:
    """sha256 over the recipient's weight files, in name order."""
    h = hashlib.sha256()
    for path in weight_files(Path(model_path)):
        h.update(path.name.encode())
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


@dataclass
class Recipient:
    model: VitsModel
    path: Path
    sha256: str


def _load_weights_file(weights: Path, config_path: Path | None) -> VitsModel:
    """A bare safetensors file of VitsModel weights plus its config.json."""
    config_path = config_path or weights.with_name("config.json")
    if not config_path.exists():
        raise CheckpointError(f"{weights}: a weights file needs its config: pass config_path, or put config.json beside it")
    try:
        config = VitsConfig.from_json_file(str(config_path))
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{config_path}: not a VitsConfig ({exc})") from None
    model = StyledVitsModel(config)
    try:
        tensors = load_file(str(weights))
    except (OSError, SafetensorError) as exc:  # safetensors raises its own error type for damaged files
        raise CheckpointError(f"{weights}: unreadable safetensors file ({exc})") from None
    state = model.state_dict()
    missing = sorted(set(state) - set(tensors))
    unexpected = sorted(set(tensors) - set(state))
    if missing or unexpected:
        raise CheckpointError(
            f"{weights}: does not match {config_path.name} ({len(missing)} missing tensors, e.g. {missing[:1]}; "
            f"{len(unexpected)} unexpected, e.g. {unexpected[:1]})"
        )
    for key, value in tensors.items():
        if value.shape != state[key].shape:
            raise CheckpointError(f"{weights}: {key} has shape {tuple(value.shape)}, the config wants {tuple(state[key].shape)}")
    model.load_state_dict(tensors)
    return model.eval()


def load_recipient(model_path: str | Path, config_path: str | Path | None = None) -> Recipient:
    """A `save_pretrained` directory, or a safetensors weights file plus config.json; only read."""
    model_path = Path(model_path)
    if model_path.is_file():
        sha = recipient_sha256(model_path)
        return Recipient(_load_weights_file(model_path, Path(config_path) if config_path else None), model_path, sha)
    if not (model_path / "config.json").exists():
        raise CheckpointError(f"{model_path}: no config.json (expected a VitsModel.save_pretrained directory)")
    sha = recipient_sha256(model_path)
    try:
        model = StyledVitsModel.from_pretrained(str(model_path), local_files_only=True)
    except (OSError, ValueError, RuntimeError) as exc:  # RuntimeError: weights of other sizes than config.json says
        raise CheckpointError(f"{model_path}: cannot load as VitsModel ({first_line(exc)})") from None
    return Recipient(model, model_path, sha)


def check_symbols_fit(model: VitsModel, symbols, where: str | Path) -> None:
    """A symbol table with more ids than the text encoder has embedding rows would index past
    them in the first forward pass: one line here instead."""
    rows = model.text_encoder.embed_tokens.num_embeddings
    if len(symbols) > rows:
        raise CheckpointError(f"{where}: its symbols.json has {len(symbols)} ids, but the model's text encoder embeds only {rows} "
                              "(config.json's vocab_size): they belong to different models")


def _organ_prefixes(organs: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(ORGAN_MODULES[o] + "." for o in organs)


def save_transplant(out_dir: str | Path, model: VitsModel, plan: FreezePlan, recipient_hash: str, symbols: SymbolTable) -> Path:
    """Write the plan's organs of `model` as a transplant checkpoint (atomically)."""
    out_dir = Path(out_dir)
    prefixes = _organ_prefixes(plan.trainable)
    tensors = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items() if k.startswith(prefixes) or k == STYLE_LATENT_KEY}
    with atomic_directory(out_dir) as tmp:
        save_file(tensors, str(tmp / TRANSPLANT_WEIGHTS))
        meta = {"version": FORMAT_VERSION, "organs": list(plan.trainable), "recipient_sha256": recipient_hash}
        if has_style(model):  # a trial may have grafted a style VAE of another size (the vae_latent axis)
            meta["style_latent_size"] = model.style.latent_size
        (tmp / TRANSPLANT_META).write_text(json.dumps(meta, indent=2) + "\n")
        symbols.save(tmp)
    return out_dir


def merged_model(transplant_dir: str | Path, recipient_dir: str | Path) -> tuple[VitsModel, dict]:
    """The recipient with the transplant's organs loaded in, and the transplant's metadata.
    Refuses a transplant trained on another recipient or whose tensors do not fit."""
    transplant_dir = Path(transplant_dir)
    try:
        meta = json.loads((transplant_dir / TRANSPLANT_META).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise CorruptCheckpointError(f"{transplant_dir}: not a transplant checkpoint ({exc})") from None
    recipient = load_recipient(recipient_dir)
    if meta.get("recipient_sha256") != recipient.sha256:
        raise CheckpointError(
            f"{transplant_dir} was trained on recipient {str(meta.get('recipient_sha256'))[:12]}..., "
            f"but {recipient_dir} is {recipient.sha256[:12]}...: merge it with the recipient it was trained on"
        )
    try:
        tensors = load_file(str(transplant_dir / TRANSPLANT_WEIGHTS))
    except (OSError, SafetensorError) as exc:  # missing, truncated or not safetensors at all
        raise CorruptCheckpointError(f"{transplant_dir / TRANSPLANT_WEIGHTS}: unreadable transplant weights ({exc}); this checkpoint cannot be exported") from None
    size = meta.get("style_latent_size")
    if size and (not has_style(recipient.model) or recipient.model.style.latent_size != size):
        if "style" not in meta["organs"]:
            raise CheckpointError(f"{transplant_dir}: a {size}-dim style latent without its style VAE")
        graft_style(recipient.model, size)
    state = recipient.model.state_dict()
    expected = {k for k in state if k.startswith(_organ_prefixes(tuple(meta["organs"]))) or k == STYLE_LATENT_KEY}
    if set(tensors) != expected:
        raise CorruptCheckpointError(f"{transplant_dir}: its tensors do not match organs {meta['organs']} of the recipient")
    for key, value in tensors.items():
        if value.shape != state[key].shape:
            raise CorruptCheckpointError(f"{transplant_dir}: {key} has shape {tuple(value.shape)}, recipient {tuple(state[key].shape)}")
    recipient.model.load_state_dict(tensors, strict=False)
    return recipient.model, meta


def merge(transplant_dir: str | Path, recipient_dir: str | Path, out_dir: str | Path) -> Path:
    """Recipient + transplanted organs -> a full model directory `VitsModel.from_pretrained` loads."""
    model, _ = merged_model(transplant_dir, recipient_dir)
    with atomic_directory(Path(out_dir)) as tmp:
        model.save_pretrained(str(tmp))
        shutil.copy2(Path(transplant_dir) / SYMBOLS_FILENAME, tmp / SYMBOLS_FILENAME)
    return Path(out_dir)


def load_training_state(path: str | Path) -> dict:
    """A training state voxgraft saved (optimizers, discriminator), read with torch's
    weights-only loader: anything else, a pickle that would run code included, is refused."""
    try:
        state = torch.load(path, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{path}: not a training state voxgraft can read ({first[:200]}); move it away to start without it") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: not a training state voxgraft wrote (a {type(state).__name__}, not a mapping)")
    return state
