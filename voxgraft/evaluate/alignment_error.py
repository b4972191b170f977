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


def boundary_errors(model, batch: Batch, ends: list[list[int]], frame_ms: float) -> dict[str, float]:
    """Both errors in ms; empty when the held-out utterances have no alignment."""
    if batch.durations is None or not any(ends):
        return {}
    truth = batch.durations.to(torch.long)
    forced = ensure_min_one_frame(batch.durations, batch.token_lengths)
    return {
        "mas_boundary_error_ms": _mean_error(mas_durations(model, batch).long(), truth, ends) * frame_ms,
        "forced_boundary_error_ms": _mean_error(forced.long(), truth, ends) * frame_ms,
    }
