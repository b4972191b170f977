"""`voxgraft recipient recover DIR`: train what an imported voice lacks, record how well.

Runs training/recover.py's steps on the recipient in DIR and rewrites DIR atomically: the
recovered weights, the warmed discriminator (training_state.pt, which trials load as their
adversary), and recipient.json's `recovered` record (what, on what, its measures). Recovering a
recipient that is already recovered changes nothing and returns the record.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import torch

from voxgraft.atomic import atomic_directory
from voxgraft.data.piper_symbols import load_model_symbols
from voxgraft.models.checkpoints import load_recipient
from voxgraft.models.piper_import import PROVENANCE
from voxgraft.training.pretrain import STATE_FILE
from voxgraft.training.recover import (
    RecoverySettings,
    noise_reference_mel_l1,
    round_trip_mel_l1,
    seeded_duration_nll,
    train_duration_posterior,
    train_posterior_encoder,
)
from voxgraft.training.self_speech import self_corpus
from voxgraft.training.warm_discriminator import warm_discriminator


class RecoveryError(ValueError):
    pass


def read_provenance(recipient_dir: Path) -> dict | None:
    path = Path(recipient_dir) / PROVENANCE
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RecoveryError(f"{path}: unreadable ({exc})") from None


def _measures(model, heldout, seed: int) -> dict[str, float]:
    return {"round_trip_mel_l1": round_trip_mel_l1(model, heldout), "duration_nll": seeded_duration_nll(model, heldout, seed)}


def _train(model, symbols, settings: RecoverySettings, discriminator_steps: int, report) -> tuple[dict, dict]:
    started = time.perf_counter()
    corpus = self_corpus(model, symbols, settings.utterances, settings.seed)
    heldout = self_corpus(model, symbols, settings.heldout, settings.seed + 1)
    before = _measures(model, heldout, settings.seed)
    noise = noise_reference_mel_l1(model, heldout, settings.seed + 7)
    train_posterior_encoder(model, corpus, settings, report)
    train_duration_posterior(model, corpus, settings, report)
    discriminator, d_losses = warm_discriminator(model, corpus, discriminator_steps, seed=settings.seed, report=report)
    after = _measures(model, heldout, settings.seed)
    record = {
        "organs": ["posterior_encoder", "duration_predictor (posterior branch and flow 1)", "discriminator"],
        "on": f"{settings.utterances} generated sentences the voice spoke itself (seed {settings.seed}), measured on {settings.heldout} more",
        "settings": settings.__dict__ | {"discriminator_steps": discriminator_steps},
        "before": before,
        "after": after,
        "noise_reference_mel_l1": noise,
        "discriminator_final_loss": d_losses[-1] if d_losses else None,
        "seconds": round(time.perf_counter() - started, 1),
    }
    return record, {"discriminator": discriminator.state_dict()}


def recover_recipient(recipient_dir: str | Path, settings: RecoverySettings = RecoverySettings(), discriminator_steps: int = 60, report=None) -> dict:
    recipient_dir = Path(recipient_dir)
    provenance = read_provenance(recipient_dir)
    if provenance is None or "untrained" not in provenance:
        raise RecoveryError(f"{recipient_dir}: no {PROVENANCE} listing untrained parts: recovery is for imported voices (voxgraft recipient import-piper)")
    if provenance.get("recovered"):
        return provenance["recovered"]
    model = load_recipient(recipient_dir).model.eval()
    if model.config.num_speakers > 1:  # the self-speech and the encoder's conditioning are single-speaker so far
        raise RecoveryError(f"{recipient_dir}: a {model.config.num_speakers}-speaker voice; recovery handles single-speaker voices only (yet)")
    record, state = _train(model, load_model_symbols(recipient_dir), settings, discriminator_steps, report)
    provenance["recovered"] = record
    with atomic_directory(recipient_dir) as tmp:
        model.save_pretrained(str(tmp))
        torch.save(state, tmp / STATE_FILE)
        (tmp / PROVENANCE).write_text(json.dumps(provenance, indent=2, ensure_ascii=False) + "\n")
        _keep_the_rest(recipient_dir, tmp)
    return record


def _keep_the_rest(old: Path, new: Path) -> None:
    """Everything in the directory that recovery did not rewrite moves over unchanged."""
    for path in old.iterdir():
        if not (new / path.name).exists():
            (shutil.copytree if path.is_dir() else shutil.copy2)(path, new / path.name)
