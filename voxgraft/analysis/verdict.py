"""The answer first: what the sweep found, in sentences generated from its statistics (never
written by hand), and the warnings a reader needs before trusting them.

- the best transplant by the sweep's first objective (sweep/best.py's rule), and in a sweep
  that mixes cadence and timbre presets, each aim's most donor-like transplant;
- what mattered most: the factor with the largest main effect, with its interval where the
  group sizes support one, and the organ that carries the largest share of the organ
  contributions (Shapley);
- forced against learned alignment, where the sweep compared them;
- each aim's best transplant against the knob a user already has (analysis/against_knobs.py);
- warnings: groups too small for intervals and importances, rejected and failed trials with
  their most common reason, an objective no trial measured.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from voxgraft.analysis.against_knobs import against_knobs
from voxgraft.analysis.effects import MIN_GROUP
from voxgraft.analysis.pareto import AIM_AXES
from voxgraft.analysis.types import Analysis
from voxgraft.evaluate.artifacts import THRESHOLDS


@dataclass
class Verdict:
    findings: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def number(value: float, digits: int = 3) -> str:
    """A statistic for reading: 0 for what is only rounding residue (a Shapley value of 1e-34)."""
    return "0" if abs(value) < 1e-12 else f"{value:.{digits}g}"


def verdict(analysis: Analysis, top: pd.DataFrame) -> Verdict:
    out = Verdict()
    metric, mode = analysis.objectives[0]
    out.findings.append(_best(top, metric, mode))
    out.findings += [_best_of_aim(aim, row) for aim, row in analysis.best_per_aim.items()]
    out.findings += [line for line in (_mattered(analysis, metric), _organ_share(analysis, metric), _alignment(analysis, metric)) if line]
    out.findings += against_knobs(analysis, top)
    out.warnings = _warnings(analysis, metric)
    return out


def _best(top: pd.DataFrame, metric: str, mode: str) -> str:
    if top.empty:
        return f"No transplant may be called best by {metric}: every trial failed, was rejected or kept no measured checkpoint."
    t = top.iloc[0]
    return (f"Best by {metric} ({'lower' if mode == 'min' else 'higher'} is better): trial {t['trial_id']}, organs {t['organs']}, "
            f"lr {float(t['lr']):.2g}, {t['alignment']} alignment, at step {int(t['step'])}: {metric} {number(float(t[metric]))}.")


def _best_of_aim(aim: str, row: dict) -> str:
    likeness, drift = AIM_AXES[aim]
    spent = f", {drift} {number(float(row[drift]))}" if np.isfinite(float(row.get(drift, np.nan))) else ""
    return (f"Best {aim} transplant by {likeness} (higher is better): trial {row['trial_id']}, organs {row['config.organs']}, "
            f"lr {float(row['config.lr']):.2g}, {row['config.alignment']} alignment, at step {int(row['step'])}: "
            f"{likeness} {number(float(row[likeness]))}{spent}.")


def _mattered(analysis: Analysis, metric: str) -> str | None:
    effects = analysis.effects.get(metric)
    if effects is None or effects.empty:
        return None
    row = effects.loc[effects["effect"].abs().idxmax()]
    interval = (f" (95% interval {number(row['low'])} to {number(row['high'])})" if np.isfinite(row["low"])
                else f" (no interval: fewer than {MIN_GROUP} trials on a side)")
    return (f"What mattered most for {metric}: {row['factor']} = {row['level']}, which moves it by {number(row['effect'])} "
            f"against the other trials{interval}.")


def _organ_share(analysis: Analysis, metric: str) -> str | None:
    shapley = analysis.shapley.get(metric)
    if shapley is None:
        return None
    total = sum(abs(v) for v in shapley.values.values())
    if total == 0:
        return None
    organ, value = max(shapley.values.items(), key=lambda kv: abs(kv[1]))
    return (f"{organ} carries {abs(value) / total:.0%} of the organ contributions to {metric} "
            f"(Shapley {number(value)}; {shapley.note}).")


def _trials(n: int) -> str:
    return f"{n} trial{'' if n == 1 else 's'}"


def _alignment(analysis: Analysis, metric: str) -> str | None:
    trials = analysis.trials[~analysis.trials["failed"]]
    usable = trials[np.isfinite(trials[metric].astype(float))]
    by = usable.groupby(usable["alignment"].astype(str))
    means, counts, rejected = by[metric].mean(), by.size(), by["ends_rejected"].sum()
    if not {"forced", "learned"} <= set(means.index):
        return None
    side = lambda a: f"{number(means[a])} ({_trials(counts[a])}" + (f", {int(rejected[a])} rejected)" if rejected[a] else ")")  # noqa: E731
    return f"Forced against learned alignment, mean {metric}: {side('forced')} against {side('learned')}."


def _warnings(analysis: Analysis, metric: str) -> list[str]:
    out = []
    trials = analysis.trials
    sizes = [trials[f].astype(str).value_counts().min() for f in analysis.factors if f != "lr"]
    if sizes and min(sizes) < MIN_GROUP:
        out.append(f"Too few trials per level for intervals and importances: the smallest group has {min(sizes)} "
                   f"trial(s); {MIN_GROUP} are needed. Effects are shown as points only.")
    errors = trials["status"] == "error"
    along = trials["ever_rejected"] & ~trials["ends_rejected"] & ~errors
    for group, what in ((trials[trials["ends_rejected"] & ~errors], "rejected"), (trials[errors], "failed with an error"),
                        (trials[along], "had a checkpoint rejected along the way (their later ones were not)")):
        if len(group):
            reasons = Counter(_reason(analysis.rows, t) for t in group["trial_id"])
            reasons.pop(None, None)
            common = f" (most often: {reasons.most_common(1)[0][0]})" if reasons else ""
            out.append(f"{len(group)} of {len(trials)} trials {what}{common}.")
    if not np.isfinite(trials[metric].astype(float)).any():
        out.append(f"No trial measured {metric}: nothing here is best by it.")
    if not np.isfinite(analysis.rows["wer"].astype(float)).any():
        out.append("The judges did not hear this sweep (eval.judges: false, or it began before voxgraft had them): "
                   "nothing here says whether the words or the quality of the speech survived.")
    return out


def _reason(rows: pd.DataFrame, trial_id: str) -> str | None:
    """Why a trial was rejected or failed: its message, else the rejection sign furthest over its
    threshold at its first rejected report."""
    mine = rows[rows["trial_id"] == trial_id].sort_values("step")
    messages = [m for m in mine["message"] if isinstance(m, str) and m]
    if messages:
        return messages[-1].split(";")[0]
    bad = mine[mine["rejected"].fillna(False).astype(bool)]
    if bad.empty:
        return None
    row = bad.iloc[0]
    signs = {k: float(row[k]) / t for k, t in THRESHOLDS.items() if k in row and np.isfinite(float(row[k]))}
    if not signs or max(signs.values()) < 1:
        return "a non-finite training loss"
    sign = max(signs, key=signs.get)
    return f"{sign} {number(float(row[sign]))} over its threshold {THRESHOLDS[sign]:g}"
