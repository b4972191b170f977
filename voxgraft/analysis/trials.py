"""From the results store to one row per trial: its factors and its last report.

A trial's outcome is its last report (what its last checkpoint measured), so a trial that ASHA
stopped early counts with what it reached. Factors are what a sweep varies: the organ set, each
single organ (in the set or not), alignment, learning rate (and its band: decades), VAE size.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from voxgraft.console import err_console
from voxgraft.layout import RESULTS_DIR
from voxgraft.models.organs import ORGAN_MODULES, ORGAN_PRESETS
from voxgraft.sweep.store import KNOB_STATUS, ResultsStore
from voxgraft.sweep.unusable import without_unusable

FACTORS = ("organs", "alignment", "decoder_input", "lr_band", "vae_latent", "vae_beta")
FAILED = ("rejected", "error")


def expand_organs(organ_set: str) -> tuple[str, ...]:
    """'cadence,decoder' -> the single organs it names (presets expanded), in registry order."""
    names = set()
    for name in str(organ_set).split(","):
        names.update(ORGAN_PRESETS.get(name, (name,)))
    return tuple(o for o in ORGAN_MODULES if o in names)


def lr_band(lr: float) -> str:
    """The learning rate's decade, e.g. 3e-4 -> '1e-4..1e-3'."""
    if lr is None or not math.isfinite(lr) or lr <= 0:
        return "?"
    low = math.floor(math.log10(lr) + 1e-9)
    return f"1e{low}..1e{low + 1}"


def read_store(sweep_dir: str | Path, skip_corrupt: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(every trial report of a sweep directory, oldest step first; the knobs' rows). A
    checkpoint `pick` found unusable is no longer offered (sweep/unusable.py)."""
    store = ResultsStore(Path(sweep_dir) / RESULTS_DIR)
    rows = store.table(skip_corrupt).to_pandas()
    if store.ignored:
        shown = ", ".join(store.ignored[:3]) + (f" and {len(store.ignored) - 3} more" if len(store.ignored) > 3 else "")
        err_console.print(f"warning: {store.root} holds {len(store.ignored)} file(s) the results store did not write, left out: {shown}",
                          highlight=False, markup=False)
    knob = rows["status"].eq(KNOB_STATUS)
    return without_unusable(rows[~knob].reset_index(drop=True), Path(sweep_dir)), rows[knob].reset_index(drop=True)


def read_rows(sweep_dir: str | Path, skip_corrupt: bool = False) -> pd.DataFrame:
    """Every trial report of a sweep directory (the knobs left out: they are not trials)."""
    return read_store(sweep_dir, skip_corrupt)[0]


def trial_table(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per trial: its last report, factor columns, whether it failed, ended rejected or
    had any report rejected."""
    if rows.empty:
        return rows.assign(organs=[], alignment=[], decoder_input=[], lr=[], lr_band=[], vae_latent=[], vae_beta=[], failed=[],
                           ever_rejected=[], ends_rejected=[])
    ordered = rows.sort_values(["trial_id", "step", "report"])
    last = ordered.groupby("trial_id", sort=True).tail(1).set_index("trial_id")
    ever_rejected = ordered.groupby("trial_id")["rejected"].apply(lambda s: bool(s.fillna(False).any()))
    trials = last.assign(
        organs=last["config.organs"],
        alignment=last["config.alignment"],
        decoder_input=last["config.decoder_input"].fillna("posterior"),  # stores from before the choice: VITS's
        lr=last["config.lr"],
        lr_band=[lr_band(v) for v in last["config.lr"]],
        vae_latent=last["config.vae_latent"],
        vae_beta=last["config.vae_beta"],
        failed=last["status"].isin(FAILED),
        # any report rejected (what predicts rejection), against the last one rejected (the trial's
        # outcome): a trial whose middle checkpoint lost a word and whose last kept it is not rejected
        ever_rejected=ever_rejected.reindex(last.index).astype(bool) | last["status"].eq("rejected"),
        ends_rejected=last["rejected"].fillna(False).astype(bool) | last["status"].eq("rejected"),
    )
    for organ in ORGAN_MODULES:
        trials[f"organ:{organ}"] = [organ in expand_organs(s) for s in trials["organs"]]
    return trials.reset_index()


def varying_factors(trials: pd.DataFrame) -> list[str]:
    """The factors (and single organs) that take more than one value in this sweep."""
    names = [f for f in FACTORS if trials[f].nunique(dropna=True) > 1]
    names += [c for c in trials.columns if c.startswith("organ:") and trials[c].nunique() > 1]
    return names
