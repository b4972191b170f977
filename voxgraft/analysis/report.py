"""`voxgraft report SWEEP_DIR`: the ablation statistics of a sweep, from its Parquet store.

Reads only the results store (and the sweep's own spec for its objectives), so it works on a
sweep that is still running and on a copy of the store from a cluster. Writes
report/index.html (one self-contained page) and report/summary.md, atomically.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from voxgraft.analysis.effects import factor_ranking, interaction_grid, main_effects, organ_grid
from voxgraft.analysis.importance import Shapley, importances, organ_shapley
from voxgraft.analysis.pareto import axes, pareto_front
from voxgraft.analysis.trials import read_rows, trial_table, varying_factors
from voxgraft.layout import REPORT_DIR, RESULTS_DIR, SPEC_FILE

DEFAULT_OBJECTIVE = ("heldout_loss", "min")


class ReportError(ValueError):
    pass


@dataclass
class Analysis:
    """Everything the report shows, computed once."""

    sweep_dir: Path
    name: str
    objectives: list[tuple[str, str]]  # (metric, mode): the sweep's, then the Pareto axes
    rows: pd.DataFrame
    trials: pd.DataFrame
    factors: list[str]
    effects: dict[str, pd.DataFrame] = field(default_factory=dict)
    ranking: dict[str, pd.DataFrame] = field(default_factory=dict)
    grids: dict[str, dict[str, pd.DataFrame]] = field(default_factory=dict)
    importance: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    shapley: dict[str, Shapley | None] = field(default_factory=dict)
    pareto: pd.DataFrame | None = None
    pareto_axes: tuple[str, str] | None = None
    rejection: pd.DataFrame | None = None


def sweep_objectives(sweep_dir: Path) -> tuple[str, list[tuple[str, str]]]:
    """The sweep's name and objectives from its spec (a copied store without it: defaults)."""
    try:
        spec = json.loads((sweep_dir / SPEC_FILE).read_text())["sweep"]
        return spec["name"], [(o["metric"], o["mode"]) for o in spec["objectives"]]
    except (OSError, ValueError, KeyError):
        return sweep_dir.name, [DEFAULT_OBJECTIVE]


def rejection_table(trials: pd.DataFrame, factors: list[str]) -> pd.DataFrame:
    """Share of trials rejected (ever, or failed) per factor level."""
    bad = trials["ever_rejected"] | trials["failed"]
    out = []
    for factor in factors:
        for level, group in trials.groupby(trials[factor].astype(str)):
            out.append({"factor": factor, "level": level, "trials": len(group), "rejected": int(bad[group.index].sum()),
                        "share": float(bad[group.index].mean())})
    return pd.DataFrame(out, columns=["factor", "level", "trials", "rejected", "share"])


def analyse(sweep_dir: str | Path, seed: int = 0) -> Analysis:
    sweep_dir = Path(sweep_dir)
    if not (sweep_dir / RESULTS_DIR).is_dir():
        raise ReportError(f"{sweep_dir}: no results/ store here (give the sweep's experiment directory, e.g. demo_out/sweeps/smoke)")
    name, objectives = sweep_objectives(sweep_dir)
    rows = read_rows(sweep_dir)
    if rows.empty:
        raise ReportError(f"{sweep_dir}: the results store holds no reports yet")
    trials = trial_table(rows)
    factors = varying_factors(trials)
    analysis = Analysis(sweep_dir, name, list(objectives), rows, trials, factors)
    x, y = axes(trials)
    for metric, mode in ((x, "max"), (y, "min")):
        if metric not in [m for m, _ in analysis.objectives] and np.isfinite(trials[metric].astype(float)).any():
            analysis.objectives.append((metric, mode))
    eligible = trials[~trials["failed"]]
    for metric, mode in analysis.objectives:
        effects = main_effects(eligible, metric, factors, seed=seed)
        analysis.effects[metric] = effects
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
    if np.isfinite(trials[[x, y]].astype(float)).all(axis=1).any():
        analysis.pareto, analysis.pareto_axes = pareto_front(trials), (x, y)
    analysis.rejection = rejection_table(trials, factors)
    return analysis


def best_trials(analysis: Analysis, top: int) -> pd.DataFrame:
    """The top trials by the first objective, failed and rejected ones left out."""
    metric, mode = analysis.objectives[0]
    t = analysis.trials
    ok = t[~t["failed"] & ~t["rejected"].fillna(False).astype(bool) & np.isfinite(t[metric].astype(float))]
    return ok.sort_values(metric, ascending=(mode == "min")).head(top)


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    summary: Path


def write_report(analysis: Analysis, top: pd.DataFrame, out_dir: Path | None = None) -> ReportFiles:
    """Write index.html and summary.md (each atomically) into SWEEP_DIR/report or `out_dir`."""
    from voxgraft.analysis import dashboard, summary
    from voxgraft.atomic import atomic_file

    out_dir = Path(out_dir) if out_dir else analysis.sweep_dir / REPORT_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    files = ReportFiles(out_dir / "index.html", out_dir / "summary.md")
    for path, text in ((files.html, dashboard.render(analysis, top)), (files.summary, summary.summary_markdown(analysis, top))):
        with atomic_file(path) as tmp:
            Path(tmp).write_text(text, encoding="utf-8")
    return files
