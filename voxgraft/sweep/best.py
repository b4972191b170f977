"""Which reports of a sweep may be called best, and which is best: the one rule that `sweep`,
`report`, `pick` and the demo all use, so they can never name different transplants.

A report is eligible when
- it is a trial's (a knob's row, status `knob`, is what a user has without training: never best),
- its trial never failed (no report of it has status `rejected` or `error`),
- it is not itself rejected (rejection score >= 1),
- the metric ranked by is measured (finite), and
- its checkpoint is kept (Tune keeps `keep_checkpoints` per trial; a pruned one cannot be
  exported, listened to or compared).
Each trial competes with its best eligible report; trials are ranked by it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from voxgraft import storage
from voxgraft.layout import TRANSPLANT_SUBDIR
from voxgraft.sweep.store import KNOB_STATUS

FAILED_STATUSES = ("rejected", "error")


def failed_trials(rows: pd.DataFrame) -> set[str]:
    return set(rows.loc[rows["status"].isin(FAILED_STATUSES), "trial_id"])


def kept(checkpoint: object) -> bool:
    """Its transplant/ is still there (in the sweep's folder or bucket)."""
    if not isinstance(checkpoint, str):
        return False
    if storage.is_uri(checkpoint):
        return storage.is_dir(*storage.resolve(storage.join(checkpoint, TRANSPLANT_SUBDIR)))
    return Path(checkpoint, TRANSPLANT_SUBDIR).is_dir()


def eligible(rows: pd.DataFrame, metric: str | None = None) -> pd.DataFrame:
    """The reports that may be called best (by `metric`, when given)."""
    if rows.empty:
        return rows
    ok = ~rows["trial_id"].isin(failed_trials(rows)) & ~rows["rejected"].fillna(False).astype(bool) & rows["status"].ne(KNOB_STATUS)
    if metric is not None:
        ok &= np.isfinite(rows[metric].astype(float))
    pool = rows[ok]
    return pool[pool["checkpoint"].map(kept).astype(bool)]


def ranked(rows: pd.DataFrame, metric: str, mode: str) -> pd.DataFrame:
    """One row per trial, its best eligible report by `metric`, best trial first."""
    pool = eligible(rows, metric)
    ascending = mode == "min"
    per_trial = pool.sort_values([metric, "step"], ascending=[ascending, False]).groupby("trial_id", sort=False).head(1)
    return per_trial.sort_values(metric, ascending=ascending, kind="stable")


def best(rows: pd.DataFrame, metric: str, mode: str) -> dict | None:
    """The best eligible report as a dict, or None when no report is eligible."""
    top = ranked(rows, metric, mode)
    return None if top.empty else top.iloc[0].to_dict()
