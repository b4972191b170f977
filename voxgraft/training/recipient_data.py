"""A donor's training set as a given recipient reads it.

For a recipient that learned its alignment by MAS (an imported Piper voice), forced durations
are re-spread in the recipient's own proportions (data/dataset.py: reshape_durations), so a
cadence transplant changes how long each phoneme lasts, not where the recipient spends time
within one. Voxgraft's own recipients were trained on forced durations and read them as they are.
"""

from __future__ import annotations

from pathlib import Path

import torch

from voxgraft.data.training_set import TrainingSet, open_training_set
from voxgraft.models.inference import predict_durations


def recipient_frames(model, ids: list[int]) -> list[float]:
    """The recipient's own frames per id for `ids`, without noise."""
    device = next(model.parameters()).device
    tokens = torch.tensor([ids], device=device)
    return predict_durations(model, tokens, torch.ones_like(tokens, dtype=torch.bool), 0.0)[0].float().tolist()


def open_for_recipient(donor: str | Path, alignment: str, model, symbols, heldout: int) -> TrainingSet:
    data = open_training_set(donor, alignment, symbols=symbols, heldout=heldout)
    if hasattr(symbols, "layout"):
        was_training = model.training
        model.eval()
        data.dataset.reshape_durations(lambda ids: recipient_frames(model, ids))
        model.train(was_training)
    return data
