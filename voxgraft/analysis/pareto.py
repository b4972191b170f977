"""Donor-likeness against recipient preservation: the Pareto front and its knee.

Which measures: a sweep that trains the duration predictor (and no decoder-side organ) aims at
cadence, so donor-likeness is `transfer_cadence` and preservation is `speaker_drift`; any other
sweep aims at timbre (`transfer_timbre` against `duration_drift`). More donor-likeness is better,
less drift is better. Rejected and failed trials are never on the front.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TIMBRE_ORGANS = ("decoder", "flow", "posterior_encoder")


def axes(trials: pd.DataFrame) -> tuple[str, str]:
    """(donor-likeness column, drift column) for this sweep's target."""
    timbre = any(trials[f"organ:{o}"].any() for o in TIMBRE_ORGANS if f"organ:{o}" in trials)
    return ("transfer_timbre", "duration_drift") if timbre else ("transfer_cadence", "speaker_drift")


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


def pareto_front(trials: pd.DataFrame) -> pd.DataFrame:
    """The trials with both measures, `on_front` marked (eligible trials only), `knee` marked."""
    x, y = axes(trials)
    data = trials[np.isfinite(trials[x].astype(float)) & np.isfinite(trials[y].astype(float))].copy()
    eligible = ~(data["failed"] | data["rejected"].fillna(False).astype(bool))
    data["on_front"] = False
    data["knee"] = False
    if eligible.any():
        sub = data[eligible]
        front = pareto_mask(sub[x].to_numpy(float), sub[y].to_numpy(float))
        data.loc[sub.index[front], "on_front"] = True
        data.loc[knee(data[data["on_front"]], x, y), "knee"] = True
    return data


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
