"""`voxgraft triage` and a sweep's `organs: {triage: K}`: organ triage (training/triage.py) on a
recipient directory and a donor corpus, opened as a trial opens them."""

from __future__ import annotations

import itertools
from pathlib import Path

import torch

from voxgraft.models.checkpoints import load_recipient
from voxgraft.trainables.transplant import recipient_symbols
from voxgraft.training.recipient_data import open_for_recipient
from voxgraft.training.triage import Triage, triage

TRIAGE_HELDOUT = 4  # donor utterances held out for the look-ahead


def triage_recipient(recipient: str | Path, donor: str | Path, objective: str, alignment: str = "forced", batches: int = 3,
                     batch_size: int = 4, seed: int = 0, heldout: int = TRIAGE_HELDOUT) -> Triage:
    torch.manual_seed(seed)
    loaded = load_recipient(Path(recipient))
    data = open_for_recipient(donor, alignment, loaded.model, recipient_symbols(Path(recipient)), heldout)
    return triage(loaded.model, data, objective, alignment, batches, batch_size, seed)


def top_subsets(ranking: list[str], k: int) -> list[str]:
    """Every non-empty subset of the top-k organs, as organ-set strings ('decoder,flow')."""
    top = ranking[:k]
    return [",".join(c) for r in range(1, len(top) + 1) for c in itertools.combinations(top, r)]
