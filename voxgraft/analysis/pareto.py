"""Donor-likeness against recipient preservation: the Pareto front and its knee.

Which measures: a trial that trains no decoder-side organ aims at cadence, so donor-likeness is
`transfer_cadence` and preservation is `speaker_drift`; any other trial aims at timbre
(`transfer_timbre` against `duration_drift`). A front holds the trials of one aim only, so a
sweep that mixes cadence and timbre presets has one front per aim, and a cadence trial is never
offered as a timbre transplant. The sweep's own aim (for `pick --pareto knee`) is timbre when
any trial trains a timbre organ. More donor-likeness is better, less drift is better. Rejected
and failed trials are never on the front.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from voxgraft.sweep.best import ranked

TIMBRE_ORGANS = ("decoder", "flow", "posterior_encoder")
AIM_AXES = {"timbre": ("transfer_timbre", "duration_drift"), "cadence": ("transfer_cadence", "speaker_drift")}


def aims(trials: pd.DataFrame) -> pd.Series:
    """Each trial's aim: 'timbre' when it trains a timbre organ, else 'cadence'."""
    columns = [f"organ:{o}" for o in TIMBRE_ORGANS if f"organ:{o}" in trials]
    timbre = trials[columns].any(axis=1) if columns else pd.Series(False, index=trials.index)
    return timbre.map({True: "timbre", False: "cadence"})


def sweep_aim(trials: pd.DataFrame) -> str:
    return "timbre" if (aims(trials) == "timbre").any() else "cadence"


def axes(trials: pd.DataFrame) -> tuple[str, str]:
    """(donor-likeness column, drift column) for this sweep's aim."""
    return AIM_AXES[sweep_aim(trials)]


def pareto_mask(likeness: np.ndarray, drift: np.ndarray) -> np.ndarray:
    """True for points no other point beats on both (higher likeness, lower drift)."""
    order = np.lexsort((drift, -likeness))  # best likeness first, then least drift
    mask = np.zeros(len(likeness), dtype=bool)
    best_drift = np.inf
    for i in order:
        if drift[i] < best_drift:
            mask[i] = True
            best_drift = drift[i]
    return mask


def pareto_front(trials: pd.DataFrame, aim: str | None = None) -> pd.DataFrame:
    """The trials of one aim (the sweep's, by default) with both its measures, `on_front` marked
    (eligible trials only), `knee` marked."""
    aim = aim or sweep_aim(trials)
    x, y = AIM_AXES[aim]
    mine = trials[aims(trials) == aim]
    data = mine[np.isfinite(mine[x].astype(float)) & np.isfinite(mine[y].astype(float))].copy()
    eligible = ~(data["failed"] | data["rejected"].fillna(False).astype(bool))
    data["on_front"] = False
    data["knee"] = False
    if eligible.any():
        sub = data[eligible]
        front = pareto_mask(sub[x].to_numpy(float), sub[y].to_numpy(float))
        data.loc[sub.index[front], "on_front"] = True
        data.loc[knee(data[data["on_front"]], x, y), "knee"] = True
    return data


def fronts(trials: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """One front per aim the sweep's trials have, where any of its trials has both measures."""
    out = {aim: pareto_front(trials, aim) for aim in sorted(set(aims(trials)))}
    return {aim: points for aim, points in out.items() if not points.empty}


def best_per_aim(rows: pd.DataFrame, trials: pd.DataFrame) -> dict[str, dict]:
    """For each aim the trials have, its most donor-like transplant by the aim's own likeness
    measure (sweep/best.py's rule: the trial's best eligible report with a kept checkpoint)."""
    aim_of = dict(zip(trials["trial_id"], aims(trials)))
    out = {}
    for aim in sorted(set(aim_of.values())):
        likeness = AIM_AXES[aim][0]
        if likeness not in rows:
            continue
        mine = rows[rows["trial_id"].map(aim_of) == aim]
        best = ranked(mine, likeness, "max")
        if not best.empty:
            out[aim] = best.iloc[0].to_dict()
    return out


def knee(front: pd.DataFrame, x: str, y: str):
    """The front point farthest from the line joining its two ends (axes scaled to [0, 1])."""
    if len(front) <= 2:
        return front[x].astype(float).idxmax()  # no bend to find: the most donor-like
    px = front[x].to_numpy(float)
    py = front[y].to_numpy(float)
    span_x, span_y = np.ptp(px) or 1.0, np.ptp(py) or 1.0
    u, w = (px - px.min()) / span_x, (py - py.min()) / span_y
    a, b = np.argmin(u), np.argmax(u)
    direction = np.array([u[b] - u[a], w[b] - w[a]])
    direction /= np.linalg.norm(direction) or 1.0
    rel = np.stack([u - u[a], w - w[a]], axis=1)
    distance = np.abs(rel[:, 0] * direction[1] - rel[:, 1] * direction[0])
    return front.index[int(np.argmax(distance))]
