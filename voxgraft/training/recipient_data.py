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

BATCH = 16  # utterances per duration prediction, of similar length so padding stays small


def recipient_frames(model, id_lists: list[list[int]]) -> list[list[float]]:
    """The recipient's own frames per id for each list of ids, without noise, predicted in
    batches (padding masked): one utterance at a time took 1.5 s of every joe trial's start."""
    device = next(model.parameters()).device
    order = sorted(range(len(id_lists)), key=lambda i: len(id_lists[i]))
    out: list[list[float]] = [[] for _ in id_lists]
    for start in range(0, len(order), BATCH):
        chunk = order[start : start + BATCH]
        longest = max(len(id_lists[i]) for i in chunk)
        tokens = torch.zeros((len(chunk), longest), dtype=torch.long, device=device)
        mask = torch.zeros((len(chunk), longest), dtype=torch.bool, device=device)
        for row, i in enumerate(chunk):
            tokens[row, : len(id_lists[i])] = torch.tensor(id_lists[i], device=device)
            mask[row, : len(id_lists[i])] = True
        frames = predict_durations(model, tokens, mask, 0.0).float()
        for row, i in enumerate(chunk):
            out[i] = frames[row, : len(id_lists[i])].tolist()
    return out


def open_for_recipient(donor: str | Path, alignment: str, model, symbols, heldout: int) -> TrainingSet:
    data = open_training_set(donor, alignment, symbols=symbols, heldout=heldout)
    if hasattr(symbols, "layout"):
        was_training = model.training
        model.eval()
        data.dataset.reshape_durations(lambda id_lists: recipient_frames(model, id_lists))
        model.train(was_training)
    return data
