"""Forced against learned alignment on measured ground truth: each trial's phoneme-boundary
errors (evaluate/alignment_error.py) at its last report, for the report's alignment section."""

from __future__ import annotations

import pandas as pd

from voxgraft.analysis.types import Analysis

COLUMNS = ["trial_id", "organs", "alignment", "lr", "step", "mas_boundary_error_ms", "forced_boundary_error_ms"]


def alignment_errors(analysis: Analysis) -> pd.DataFrame | None:
    """One row per trial with a measured boundary error, plus `trained_on_ms`: the error of the
    path the trial actually trained on (MAS for learned alignment, the forced path otherwise).
    None when no trial measured one (donors without alignments)."""
    trials = analysis.trials
    if "mas_boundary_error_ms" not in trials or trials["mas_boundary_error_ms"].isna().all():
        return None
    table = trials[[c for c in COLUMNS if c in trials]].dropna(subset=["mas_boundary_error_ms"]).copy()
    learned = table["alignment"].eq("learned")
    table["trained_on_ms"] = table["mas_boundary_error_ms"].where(learned, table["forced_boundary_error_ms"])
    return table.sort_values(["alignment", "trial_id"]).reset_index(drop=True)
