"""What mattered: main effects with bootstrap intervals, and two-factor grids.

The main effect of a factor level is the mean objective of the trials at that level minus the
mean of the trials at the other levels (for a single organ: trained minus not trained). Its 95%
interval is a percentile bootstrap over trials, resampling within each group; a group of more
than NORMAL_ABOVE trials draws its bootstrap means from their normal limit (mean, sd / sqrt(n)),
which at that size is the same distribution at a fraction of the cost. With fewer than
MIN_GROUP trials on either side there is no interval (low and high are NaN): a bootstrap of
one or two trials only restates them. A factor's size is its largest absolute level effect;
factors rank by it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BOOTSTRAP = 1000
NORMAL_ABOVE = 500
MIN_GROUP = 3  # trials on each side of a comparison before it gets an interval


def _boot_means(values: np.ndarray, rng: np.random.Generator, n: int) -> np.ndarray:
    if len(values) == 0:
        return np.full(n, np.nan)
    if len(values) > NORMAL_ABOVE:
        return rng.normal(values.mean(), values.std() / np.sqrt(len(values)), size=n)
    idx = rng.integers(0, len(values), size=(n, len(values)))
    return values[idx].mean(axis=1)


def main_effects(trials: pd.DataFrame, objective: str, factors: list[str], seed: int = 0, n_boot: int = BOOTSTRAP) -> pd.DataFrame:
    """Rows: factor, level, n, mean, effect, low, high (95% bootstrap interval of the effect)."""
    rng = np.random.default_rng(seed)
    usable = trials[np.isfinite(trials[objective].astype(float))]
    out = []
    for factor in factors:
        column = usable[factor].astype(str)
        for level in sorted(column.unique()):
            inside = usable.loc[column == level, objective].to_numpy(float)
            outside = usable.loc[column != level, objective].to_numpy(float)
            if len(inside) == 0 or len(outside) == 0:
                continue
            low = high = np.nan
            if min(len(inside), len(outside)) >= MIN_GROUP:
                boot = _boot_means(inside, rng, n_boot) - _boot_means(outside, rng, n_boot)
                low, high = np.percentile(boot, [2.5, 97.5])
            out.append({
                "factor": factor, "level": level, "n": len(inside), "mean": inside.mean(),
                "effect": inside.mean() - outside.mean(), "low": low, "high": high,
            })
    return pd.DataFrame(out, columns=["factor", "level", "n", "mean", "effect", "low", "high"])


def factor_ranking(effects: pd.DataFrame) -> pd.DataFrame:
    """Factors by the size of their largest level effect, largest first."""
    if effects.empty:
        return pd.DataFrame(columns=["factor", "size"])
    sizes = effects.assign(size=effects["effect"].abs()).groupby("factor")["size"].max()
    return sizes.sort_values(ascending=False).reset_index()


def interaction_grid(trials: pd.DataFrame, objective: str, rows: str, columns: str) -> pd.DataFrame:
    """Mean objective per (rows level, columns level) cell; NaN where no trial ran."""
    usable = trials[np.isfinite(trials[objective].astype(float))]
    if usable.empty:
        return pd.DataFrame()
    return usable.pivot_table(index=usable[rows].astype(str), columns=usable[columns].astype(str), values=objective, aggfunc="mean")


def organ_grid(trials: pd.DataFrame, objective: str, columns: str) -> pd.DataFrame:
    """Mean objective of the trials that trained each single organ, per level of `columns`."""
    usable = trials[np.isfinite(trials[objective].astype(float))]
    organs = [c for c in usable.columns if c.startswith("organ:") and usable[c].any()]
    if usable.empty or not organs:
        return pd.DataFrame()
    rows = {c.removeprefix("organ:"): usable[usable[c]].groupby(usable[columns].astype(str))[objective].mean() for c in organs}
    return pd.DataFrame(rows).T
