"""Factor importance by Optuna's evaluators, and per-organ Shapley contributions.

Importance: the stored trials become an in-memory Optuna study (organ set and alignment
categorical, learning rate log-float, VAE size categorical), and Optuna's PED-ANOVA and fANOVA
evaluators say how much of the objective's variation each factor explains. fANOVA fits a
random forest; both see at most IMPORTANCE_MAX_TRIALS trials, a seeded random subset above that
(importance of a handful of factors is well estimated from 500 trials; the report says
when it subsampled).

Shapley: each organ's contribution to the objective over the organ sets the sweep ran. v(S) is
the mean objective of the trials that trained exactly the organs S. With every non-empty subset
of the organs present (a full factorial) and v(empty) known (transfer and drift metrics are 0
for the untouched recipient), the values are exact. Otherwise v is estimated by a least-squares
fit on organ indicators (an additive game, whose Shapley value is its coefficient), and the
report says "estimated"; when the organ sets that ran cannot tell the organs apart (one preset
training three organs together), there are no values rather than an arbitrary split.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import optuna
import pandas as pd

from voxgraft.analysis.effects import MIN_GROUP
from voxgraft.analysis.trials import expand_organs
from voxgraft.evaluate.registry import untouched_value
from voxgraft.models.organs import ORGAN_MODULES

IMPORTANCE_MAX_TRIALS = 500
IMPORTANCE_MIN_TRIALS = 8  # and MIN_GROUP trials at every level of a categorical factor
FANOVA_TREES = 16  # Optuna's default 64 costs 4x for no change in the ranking of a few factors


def _distributions(trials: pd.DataFrame, factors: list[str]) -> dict[str, optuna.distributions.BaseDistribution]:
    dists: dict[str, optuna.distributions.BaseDistribution] = {}
    for f in factors:
        if f == "lr":
            lrs = trials["lr"].astype(float)
            dists[f] = optuna.distributions.FloatDistribution(float(lrs.min()), float(lrs.max()) * (1 + 1e-9), log=True)
        else:
            dists[f] = optuna.distributions.CategoricalDistribution(sorted(trials[f].astype(str).unique()))
    return dists


def importances(trials: pd.DataFrame, objective: str, mode: str, seed: int = 0) -> dict[str, dict[str, float]]:
    """{evaluator name: {factor: importance}} over the factors that vary; {} when the group
    sizes cannot support it (`enough_for_importance`)."""
    usable = trials[np.isfinite(trials[objective].astype(float))]
    factors = [f for f in ("organs", "alignment", "decoder_input", "lr", "vae_latent", "vae_beta") if usable[f].nunique(dropna=True) > 1]
    if not factors or not enough_for_importance(usable, factors):
        return {}
    dists = _distributions(usable, factors)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    direction = "minimize" if mode == "min" else "maximize"

    sample = usable.sample(n=min(len(usable), IMPORTANCE_MAX_TRIALS), random_state=seed)
    columns = {f: sample[f].astype(float).tolist() if f == "lr" else sample[f].astype(str).tolist() for f in factors}
    study = optuna.create_study(direction=direction)
    study.add_trials([
        optuna.trial.create_trial(value=value, params={f: columns[f][i] for f in factors}, distributions=dists)
        for i, value in enumerate(sample[objective].astype(float).tolist())
    ])
    return {
        "PED-ANOVA": optuna.importance.get_param_importances(study, evaluator=optuna.importance.PedAnovaImportanceEvaluator()),
        "fANOVA": optuna.importance.get_param_importances(study, evaluator=optuna.importance.FanovaImportanceEvaluator(n_trees=FANOVA_TREES, seed=seed)),
    }


def enough_for_importance(usable: pd.DataFrame, factors: list[str]) -> bool:
    """A forest or an ANOVA over a handful of trials ranks noise: at least IMPORTANCE_MIN_TRIALS
    trials, and MIN_GROUP at every level of every categorical factor."""
    if len(usable) < IMPORTANCE_MIN_TRIALS:
        return False
    return all(usable[f].astype(str).value_counts().min() >= MIN_GROUP for f in factors if f != "lr")


def _zero_if_noise(value: float, scale) -> float:
    """0 for what is only the rounding of sums of these values (a contribution of 1e-34 is 0)."""
    magnitude = max((abs(float(x)) for x in scale), default=1.0) or 1.0
    return 0.0 if abs(value) < 1e-9 * magnitude else value


@dataclass(frozen=True)
class Shapley:
    values: dict[str, float]  # organ -> contribution
    exact: bool
    note: str


def organ_shapley(trials: pd.DataFrame, objective: str) -> Shapley | None:
    usable = trials[np.isfinite(trials[objective].astype(float))]
    if usable.empty:
        return None
    sets = usable["organs"].map(lambda s: frozenset(expand_organs(s)))
    trained = set().union(*sets)
    organs = [o for o in ORGAN_MODULES if o in trained]
    if len(organs) < 2:
        return None
    v = usable.groupby(sets)[objective].mean().to_dict()
    untouched = untouched_value(objective)  # the empty organ set: the recipient itself
    subsets = [frozenset(c) for r in range(1, len(organs) + 1) for c in itertools.combinations(organs, r)]
    if untouched is not None and all(s in v for s in subsets):
        v[frozenset()] = untouched
        n = len(organs)
        values = {}
        for organ in organs:
            total = 0.0
            others = [o for o in organs if o != organ]
            for r in range(n):
                for c in itertools.combinations(others, r):
                    s = frozenset(c)
                    weight = math.factorial(r) * math.factorial(n - r - 1) / math.factorial(n)
                    total += weight * (v[s | {organ}] - v[s])
            values[organ] = _zero_if_noise(total, v.values())
        return Shapley(values, True, f"exact: all {len(subsets)} organ subsets ran")
    x = np.array([[o in s for o in organs] for s in sets], dtype=float)
    if untouched is None:
        x = np.hstack([x, np.ones((len(x), 1))])  # v(empty) unknown: an intercept
    if np.linalg.matrix_rank(x) < x.shape[1]:  # e.g. one preset that trains all organs together
        return None  # the organ sets that ran cannot tell the organs apart: no values, rather than an arbitrary split
    y = usable[objective].to_numpy(float) - (untouched or 0.0)
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    ran = len(set(sets))
    values = {o: _zero_if_noise(c, y) for o, c in zip(organs, coef[: len(organs)].tolist())}
    return Shapley(values, False, f"estimated: additive fit over the {ran} organ sets that ran")
