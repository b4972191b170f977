"""How far an alignment's phoneme boundaries fall from the true ones, in milliseconds.

Synthetic donors carry their exact alignment, so forced and learned alignment can be compared on
measured ground truth: `mas_boundary_error_ms` is monotonic alignment search on the model as it
is now (what a learned-alignment trial trains on), `forced_boundary_error_ms` the forced path
after its one-frame-per-token fix-up (what a forced trial trains on). Both are means over the
held-out utterances' phoneme ends, against the aligned frames.
"""

from __future__ import annotations

import torch

from voxgraft.data.dataset import Batch
from voxgraft.data.symbols import SPECIALS
from voxgraft.models.inference import evaluation_mode
from voxgraft.models.mas import ensure_min_one_frame, path_durations
from voxgraft.models.training_forward import encode_posterior, encode_text, learned_path, speaker_conditioning


@torch.no_grad()
def mas_durations(model, batch: Batch) -> torch.Tensor:
    """(B, L) frames per id that MAS finds on the model's prior and posterior."""
    with evaluation_mode(model):
        speaker = speaker_conditioning(model, None, len(batch.utterance_ids), batch.spec.device)
        text = encode_text(model, batch.token_ids, batch.token_mask)
        means = encode_posterior(model, batch.spec, batch.frame_mask, speaker).means
        return path_durations(learned_path(model, text, means, batch.token_mask, batch.frame_mask, speaker))


def _mean_error(durations: torch.Tensor, truth: torch.Tensor, ends: list[list[int]]) -> float:
    errors = []
    for row, row_ends in enumerate(ends):
        if row_ends:
            index = torch.tensor(row_ends)
            errors.append((durations[row].cumsum(0)[index] - truth[row].cumsum(0)[index]).abs().float())
    return float(torch.cat(errors).mean()) if errors else float("nan")


def boundary_errors(model, batch: Batch, ends: list[list[int]], frame_ms: float, mas: torch.Tensor | None = None) -> dict[str, float]:
    """Both errors in ms; empty when the held-out utterances have no alignment. `mas`: the
    MAS path when the caller has it already."""
    if batch.durations is None or not any(ends):
        return {}
    truth = batch.durations.to(torch.long)
    forced = ensure_min_one_frame(batch.durations, batch.token_lengths)
    mas = mas_durations(model, batch) if mas is None else mas
    return {
        "mas_boundary_error_ms": _mean_error(mas.long(), truth, ends) * frame_ms,
        "forced_boundary_error_ms": _mean_error(forced.long(), truth, ends) * frame_ms,
    }


def phoneme_ids(symbols) -> torch.Tensor:
    """Ids of the symbols that are phonemes (not pads, blanks, stress, boundaries, punctuation)."""
    silent = {*SPECIALS, "^", "$"}
    return torch.tensor([i for i, s in enumerate(symbols.symbols) if s not in silent and s.strip()], dtype=torch.long)


def alignment_health(durations: torch.Tensor, token_ids: torch.Tensor, token_lengths: torch.Tensor, phonemes: torch.Tensor) -> dict[str, float]:
    """Signs that an alignment path has degenerated (thresholds in evaluate/artifacts.py):
    `one_frame_token_share`, the share of phoneme ids given exactly one frame (MAS's collapse:
    the tiny recipient gave 97% of a donor's tokens one frame, the true path 8%), and
    `token_frame_share_max`, the largest share of an utterance's frames held by one id (one
    token absorbed 185 of 310 frames)."""
    one_frame, voiced, largest = 0, 0, 0.0
    for row, ids, length in zip(durations.long(), token_ids, token_lengths.tolist()):
        d = row[:length]
        held = d[torch.isin(ids[:length], phonemes.to(ids.device))]  # phonemes live on the CPU; a batch may not
        one_frame += int((held == 1).sum())
        voiced += len(held)
        if d.sum() > 0:
            largest = max(largest, float(d.max()) / float(d.sum()))
    return {"one_frame_token_share": one_frame / voiced if voiced else float("nan"), "token_frame_share_max": largest}


def trial_alignment_health(model, batch: Batch, alignment: str, phonemes: torch.Tensor, mas: torch.Tensor | None = None) -> dict[str, float]:
    """Health of the path a trial trains on: MAS's for learned alignment, the forced one else."""
    if alignment == "learned":
        path = mas_durations(model, batch) if mas is None else mas
    elif batch.durations is not None:
        path = ensure_min_one_frame(batch.durations, batch.token_lengths)
    else:
        return {}
    return alignment_health(path, batch.token_ids, batch.token_lengths, phonemes)


def trial_alignment_measures(
    model, batch: Batch, ends: list[list[int]], frame_ms: float, alignment: str, phonemes: torch.Tensor
) -> dict[str, float]:
    """Boundary errors and the health of the trial's path, running MAS once for both."""
    needs_mas = alignment == "learned" or (batch.durations is not None and any(ends))
    mas = mas_durations(model, batch) if needs_mas else None
    return boundary_errors(model, batch, ends, frame_ms, mas) | trial_alignment_health(model, batch, alignment, phonemes, mas)
