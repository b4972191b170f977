"""Hard text-to-frame alignments for VITS training: learned (monotonic alignment search) or
forced (frame durations from the data layer).

Shapes: L tokens, T frames, F flow channels. A path is (B, L, T) with path[b, i, t] = 1 when
frame t belongs to token i; every frame belongs to exactly one token, in order.
"""

from __future__ import annotations

import math

import torch
from monotonic_alignment_search import maximum_path

STRATEGIES = ("forced", "learned")


class AlignmentError(ValueError):
    pass


def check_strategy(strategy: str) -> str:
    if strategy not in STRATEGIES:
        raise AlignmentError(f"unknown alignment strategy {strategy!r}; choose one of: {', '.join(STRATEGIES)}")
    return strategy


def prior_log_likelihood(z_p: torch.Tensor, prior_means: torch.Tensor, prior_log_std: torch.Tensor) -> torch.Tensor:
    """log N(z_p[:, :, t] | mean[:, i], std[:, i]) summed over channels: (B, F, T), (B, L, F) x2 -> (B, L, T).

    Expanded into matrix products so it never materialises a (B, L, F, T) tensor.
    """
    z_p = z_p.float()
    means, log_std = prior_means.float(), prior_log_std.float()
    inv_var = torch.exp(-2.0 * log_std)  # (B, L, F)
    constant = torch.sum(-0.5 * math.log(2 * math.pi) - log_std - 0.5 * means**2 * inv_var, dim=2, keepdim=True)
    quadratic = torch.matmul(inv_var, -0.5 * z_p**2)  # (B, L, T)
    cross = torch.matmul(means * inv_var, z_p)  # (B, L, T)
    return constant + quadratic + cross


def search_alignment(log_likelihood: torch.Tensor, token_mask: torch.Tensor, frame_mask: torch.Tensor) -> torch.Tensor:
    """Monotonic alignment search (Glow-TTS/VITS) on a (B, L, T) log-likelihood -> a (B, L, T) path.

    Every token gets at least one frame, which needs T >= L for each utterance.
    """
    token_lengths, frame_lengths = token_mask.sum(1), frame_mask.sum(1)
    too_short = (frame_lengths < token_lengths).nonzero().flatten().tolist()
    if too_short:
        b = too_short[0]
        raise AlignmentError(
            f"utterance {b} of the batch has {int(frame_lengths[b])} frames for {int(token_lengths[b])} tokens; "
            "learned alignment needs at least one frame per token"
        )
    mask = (token_mask[:, :, None] & frame_mask[:, None, :]).to(log_likelihood.dtype)
    return maximum_path(log_likelihood.detach(), mask).to(log_likelihood.dtype)


def ensure_min_one_frame(durations: torch.Tensor, token_lengths: torch.Tensor) -> torch.Tensor:
    """Give every token at least one frame, keeping each utterance's total.

    Forced durations give blanks, stress marks and unspoken word boundaries zero frames, but
    VITS inference rounds durations up (`ceil(exp(log_w))`), so it can never produce zero:
    trained on zeros it would pad every blank. Each zero-frame token takes one frame from its
    nearest neighbour that has two or more (the longer one on a tie), which moves a boundary
    by one frame (11.6 ms) and leaves the speaking rate exactly as recorded.
    """
    out = durations.clone()
    for b in range(out.shape[0]):
        n = int(token_lengths[b])
        d = out[b, :n].tolist()
        if sum(d) < n:
            raise AlignmentError(f"utterance {b} of the batch has {sum(d)} frames for {n} tokens; every token needs a frame")
        for i in range(n):
            if d[i] > 0:
                continue
            for dist in range(1, n):
                donors = [j for j in (i - dist, i + dist) if 0 <= j < n and d[j] >= 2]
                if donors:
                    j = max(donors, key=lambda k: d[k])
                    d[j] -= 1
                    d[i] += 1
                    break
        out[b, :n] = torch.tensor(d, dtype=out.dtype)
    return out


def durations_to_path(durations: torch.Tensor, frames: int) -> torch.Tensor:
    """(B, L) integer frame counts -> (B, L, T) hard path; frames past each total stay unassigned."""
    ends = torch.cumsum(durations, dim=1)  # (B, L)
    starts = ends - durations
    t = torch.arange(frames, device=durations.device)[None, None, :]
    return ((t >= starts[:, :, None]) & (t < ends[:, :, None])).float()


def path_durations(path: torch.Tensor) -> torch.Tensor:
    """(B, L, T) path -> (B, L) frames per token (float, exact integers)."""
    return path.sum(dim=2)
