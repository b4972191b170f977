"""The report's figures, each rendered to an SVG string to inline in the page (no files, no
network). matplotlib's Agg backend: no display needed."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

CURVE_LINES_MAX = 40  # above this many trials in a group, draw its median and quartile band
RASTER_POINTS = 2000  # above this many points a scatter is embedded as an image inside the SVG


def _svg(fig) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and doctype: inline SVG in HTML


def effects_plot(effects: pd.DataFrame, objective: str) -> str:
    fig, ax = plt.subplots(figsize=(7, 0.3 * max(len(effects), 3) + 1))
    labels = [f"{f} = {lv}" for f, lv in zip(effects["factor"], effects["level"])]
    y = np.arange(len(effects))
    below, above = (effects["effect"] - effects["low"]).fillna(0), (effects["high"] - effects["effect"]).fillna(0)  # no interval: a dot
    ax.errorbar(effects["effect"], y, xerr=[below, above], fmt="o", capsize=3)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel(f"main effect on {objective} (95% bootstrap interval where both sides have enough trials)")
    return _svg(fig)


def grid_plot(grid: pd.DataFrame, objective: str, rows: str, columns: str) -> str:
    fig, ax = plt.subplots(figsize=(1.2 * max(grid.shape[1], 2) + 2, 0.5 * max(grid.shape[0], 2) + 1))
    values = grid.to_numpy(float)
    image = ax.imshow(values, aspect="auto", cmap="viridis")
    ax.set_xticks(range(grid.shape[1]), grid.columns, rotation=30, ha="right")
    ax.set_yticks(range(grid.shape[0]), grid.index)
    low, high = np.nanmin(values), np.nanmax(values)
    for (i, j), value in np.ndenumerate(values):
        if np.isfinite(value):  # dark text on viridis' light (yellow-green) end, white on its dark end
            light = high > low and (value - low) / (high - low) > 0.6
            ax.text(j, i, f"{value:.3g}", ha="center", va="center", color="black" if light else "white", fontsize=8)
    ax.set_xlabel(columns)
    ax.set_ylabel(rows)
    fig.colorbar(image, ax=ax, label=f"mean {objective}")
    return _svg(fig)


def bars_plot(values: dict[str, float], xlabel: str) -> str:
    fig, ax = plt.subplots(figsize=(6, 0.35 * max(len(values), 2) + 1))
    names = list(values)
    ax.barh(range(len(names)), [values[n] for n in names])
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlabel(xlabel)
    return _svg(fig)


def pareto_plot(points: pd.DataFrame, x: str, y: str) -> str:
    fig, ax = plt.subplots(figsize=(6, 4.5))
    bad = points["failed"] | points["rejected"].fillna(False).astype(bool)
    ok = points[~bad]
    ax.scatter(ok[x], ok[y], s=14, alpha=0.6, label="trials", rasterized=len(ok) > RASTER_POINTS)
    if bad.any():
        ax.scatter(points.loc[bad, x], points.loc[bad, y], marker="x", color="red", s=24, label="rejected / failed", rasterized=bad.sum() > RASTER_POINTS)
    front = points[points["on_front"]].sort_values(x)
    ax.plot(front[x], front[y], "-o", color="black", ms=4, label="Pareto front")
    knee = points[points["knee"]]
    ax.scatter(knee[x], knee[y], s=120, facecolors="none", edgecolors="orange", linewidths=2, label="knee")
    ax.set_xlabel(f"{x} (donor-likeness, higher is better)")
    ax.set_ylabel(f"{y} (drift from the recipient, lower is better)")
    ax.legend(fontsize=8)
    return _svg(fig)


def curves_plot(rows: pd.DataFrame, objective: str) -> str:
    """Learning curves per trial, one panel per organ set."""
    groups = sorted(rows["config.organs"].dropna().unique())
    fig, axes = plt.subplots(1, max(len(groups), 1), figsize=(4 * max(len(groups), 1), 3), squeeze=False, sharey=True)
    for ax, organs in zip(axes[0], groups):
        group = rows[rows["config.organs"] == organs]
        trials = group.groupby("trial_id")
        if trials.ngroups <= CURVE_LINES_MAX:
            for _, trial in trials:
                ax.plot(trial["step"], trial[objective], lw=1, alpha=0.7)
        else:
            stats = group.groupby("step")[objective].quantile([0.25, 0.5, 0.75]).unstack()
            ax.fill_between(stats.index, stats[0.25], stats[0.75], alpha=0.3)
            ax.plot(stats.index, stats[0.5], lw=1.5)
        ax.set_title(f"{organs} ({trials.ngroups} trials)", fontsize=9)
        ax.set_xlabel("step")
    axes[0][0].set_ylabel(objective)
    return _svg(fig)


def projection_plot(points: pd.DataFrame, explained: np.ndarray) -> str:
    """Style vectors in 2-D, one colour per label (recipient, donor, #1, ...)."""
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for label, group in points.groupby("label", sort=False):
        ax.scatter(group["x"], group["y"], s=22, alpha=0.75, label=str(label))
    ax.set_xlabel(f"PC 1 ({explained[0]:.0%} of the variance)")
    ax.set_ylabel(f"PC 2 ({explained[1]:.0%})")
    ax.legend(fontsize=8)
    return _svg(fig)
