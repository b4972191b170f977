"""`voxgraft report SWEEP_DIR`: the ablation statistics of a sweep, from its Parquet store.

Reads only the results store (and the sweep's own spec for its objectives), so it works on a
sweep that is still running and on a copy of the store from a cluster. Writes
report/index.html (one self-contained page) and report/summary.md, atomically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from voxgraft.analysis import dashboard, summary
from voxgraft.analysis.effects import factor_ranking, interaction_grid, main_effects, organ_grid
from voxgraft.analysis.importance import importances, organ_shapley
from voxgraft.analysis.pareto import aims, axes, best_per_aim, fronts, sweep_aim
from voxgraft.analysis.trials import read_store, trial_table, varying_factors
from voxgraft.analysis.types import Analysis, ReportFiles
from voxgraft.atomic import atomic_file
from voxgraft.evaluate.anchors import ANCHORS_FILE, Anchors
from voxgraft.layout import REFERENCES_DIR, REPORT_DIR, RESULTS_DIR
from voxgraft.search_spaces.spec import name_and_objectives
from voxgraft.sweep.best import ranked
from voxgraft.sweep.store import CorruptStoreError


class ReportError(ValueError):
    pass


def rejection_table(trials: pd.DataFrame, factors: list[str]) -> pd.DataFrame:
    """Share of trials rejected (ever, or failed) per factor level."""
    bad = trials["ever_rejected"] | trials["failed"]
    out = []
    for factor in factors:
        for level, group in trials.groupby(trials[factor].astype(str)):
            out.append({"factor": factor, "level": level, "trials": len(group), "rejected": int(bad[group.index].sum()),
                        "share": float(bad[group.index].mean())})
    return pd.DataFrame(out, columns=["factor", "level", "trials", "rejected", "share"])


def effects_by_aim(trials: pd.DataFrame, metric: str, seed: int) -> dict[str, pd.DataFrame]:
    """In a sweep that mixes cadence and timbre presets, the main effects within each aim's
    trials (what moves a cadence transplant is not what moves a timbre one); empty otherwise."""
    aim_of = aims(trials)
    if aim_of.nunique() < 2:
        return {}
    out = {}
    for aim in sorted(aim_of.unique()):
        mine = trials[aim_of == aim]
        effects = main_effects(mine, metric, varying_factors(mine), seed=seed)
        if not effects.empty:
            out[aim] = effects
    return out


def read_anchors(sweep_dir: Path) -> Anchors | None:
    """The sweep's two ends, or None for a store copied without its references (or unreadable)."""
    try:
        return Anchors.load(sweep_dir / REFERENCES_DIR / ANCHORS_FILE)
    except (OSError, ValueError, TypeError, KeyError):
        return None


def analyse(sweep_dir: str | Path, seed: int = 0, skip_corrupt: bool = False) -> Analysis:
    sweep_dir = Path(sweep_dir)
    if not (sweep_dir / RESULTS_DIR).is_dir():
        raise ReportError(f"{sweep_dir}: no results/ store here (give the sweep's experiment directory, e.g. demo_out/sweeps/smoke)")
    name, objectives = name_and_objectives(sweep_dir)
    try:
        rows, knobs = read_store(sweep_dir, skip_corrupt)
    except CorruptStoreError as exc:
        raise ReportError(str(exc)) from None
    if rows.empty:
        raise ReportError(f"{sweep_dir}: the results store holds no reports yet")
    trials = trial_table(rows)
    factors = varying_factors(trials)
    analysis = Analysis(sweep_dir, name, list(objectives), rows, trials, factors, knobs=knobs, anchors=read_anchors(sweep_dir))
    x, y = axes(trials)
    for metric, mode in ((x, "max"), (y, "min")):
        if metric not in [m for m, _ in analysis.objectives] and np.isfinite(trials[metric].astype(float)).any():
            analysis.objectives.append((metric, mode))
    eligible = trials[~trials["failed"]]
    for metric, mode in analysis.objectives:
        effects = main_effects(eligible, metric, factors, seed=seed)
        analysis.effects[metric] = effects
        analysis.effects_by_aim[metric] = effects_by_aim(eligible, metric, seed)
        analysis.ranking[metric] = factor_ranking(effects)
        analysis.grids[metric] = {
            f"{a} × {b}": interaction_grid(eligible, metric, a, b)
            for a, b in (("organs", "alignment"), ("organs", "lr_band"))
            if trials[a].nunique() > 1 and trials[b].nunique() > 1
        }
        if trials["lr_band"].nunique() > 1:
            analysis.grids[metric]["organ × lr_band"] = organ_grid(eligible, metric, "lr_band")
        analysis.importance[metric] = importances(eligible, metric, mode, seed=seed)
        analysis.shapley[metric] = organ_shapley(eligible, metric)
    analysis.fronts = fronts(trials)
    if len(analysis.fronts) > 1:
        analysis.best_per_aim = best_per_aim(rows, trials)
    if sweep_aim(trials) in analysis.fronts:
        analysis.pareto, analysis.pareto_axes = analysis.fronts[sweep_aim(trials)], (x, y)
    analysis.rejection = rejection_table(trials, factors)
    return analysis


def best_trials(analysis: Analysis, top: int) -> pd.DataFrame:
    """The top trials by the first objective (sweep/best.py's rule): each trial's best eligible
    report, with the trial's factors."""
    metric, mode = analysis.objectives[0]
    best = ranked(analysis.rows, metric, mode).head(top)
    factors = analysis.trials.set_index("trial_id").drop(columns=[c for c in analysis.rows.columns if c != "trial_id"], errors="ignore")
    return best.join(factors, on="trial_id").reset_index(drop=True)


def write_report(analysis: Analysis, top: pd.DataFrame, out_dir: Path | None = None) -> ReportFiles:
    """Write index.html and summary.md (each atomically) into SWEEP_DIR/report or `out_dir`."""
    out_dir = Path(out_dir) if out_dir else analysis.sweep_dir / REPORT_DIR
    if out_dir.exists() and not out_dir.is_dir():
        raise ReportError(f"{out_dir} is a file; --out takes a folder to write index.html and summary.md into")
    pages = {"index.html": dashboard.render(analysis, top), "summary.md": summary.summary_markdown(analysis, top)}
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, text in pages.items():
            with atomic_file(out_dir / name) as tmp:
                Path(tmp).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"{out_dir}: cannot write the report ({exc.strerror or exc})") from None
    return ReportFiles(out_dir / "index.html", out_dir / "summary.md")
