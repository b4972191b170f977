"""`voxgraft report --optuna-storage URL`: the sweep as an Optuna study, so optuna-dashboard
(history, slice, parallel coordinates, Pareto front, importances) opens it.

One Optuna trial per sweep trial: its factors as params (organ set and alignment categorical,
learning rate log-float, VAE size and beta when the sweep varied them), its last report's
values of the sweep's objectives, every report of the first objective as an intermediate value
by step, and user attributes that lead back to it (trial id, status, message, checkpoint and
samples folders). A done trial is COMPLETE; one the scheduler stopped is PRUNED; a rejected or
failed trial, or one whose objective was never measured, is FAIL, so no dashboard can rank it.
A study of the same name that voxgraft wrote is replaced; any other is left alone.
"""

from __future__ import annotations

import math
import warnings

import optuna
import pandas as pd

from voxgraft.analysis.types import Analysis
from voxgraft.console import first_line
from voxgraft.layout import SAMPLES_SUBDIR

MARK = "voxgraft_sweep"  # study user attribute: this study was written by voxgraft from that sweep folder
STATES = {"done": optuna.trial.TrialState.COMPLETE, "stopped": optuna.trial.TrialState.PRUNED}


class StudyError(ValueError):
    pass


def _distributions(trials: pd.DataFrame) -> dict[str, optuna.distributions.BaseDistribution]:
    dists: dict[str, optuna.distributions.BaseDistribution] = {
        "organs": optuna.distributions.CategoricalDistribution(sorted(trials["organs"].astype(str).unique())),
        "alignment": optuna.distributions.CategoricalDistribution(sorted(trials["alignment"].astype(str).unique())),
    }
    if trials["decoder_input"].nunique() > 1:  # a choice sweeps made only lately: a param where it was swept
        dists["decoder_input"] = optuna.distributions.CategoricalDistribution(sorted(trials["decoder_input"].astype(str).unique()))
    lrs = trials["lr"].astype(float)
    if lrs.notna().all() and (lrs > 0).all():
        dists["lr"] = optuna.distributions.FloatDistribution(float(lrs.min()), float(lrs.max()), log=True)
    for factor in ("vae_latent", "vae_beta"):
        if trials[factor].notna().all() and trials[factor].nunique() > 1:
            dists[factor] = optuna.distributions.CategoricalDistribution(sorted(trials[factor].astype(float).unique()))
    return dists


def _params(trial: pd.Series, dists: dict) -> dict:
    return {name: (float(trial[name]) if name in ("lr", "vae_latent", "vae_beta") else str(trial[name])) for name in dists}


def _values(trial: pd.Series, objectives: list[tuple[str, str]]) -> list[float] | None:
    values = [float(trial[metric]) for metric, _ in objectives]
    return values if all(math.isfinite(v) for v in values) else None


def _frozen(trial: pd.Series, rows: pd.DataFrame, objectives, dists) -> optuna.trial.FrozenTrial:
    values = _values(trial, objectives)
    state = STATES.get(str(trial["status"]), optuna.trial.TrialState.FAIL)
    if state == optuna.trial.TrialState.COMPLETE and (values is None or trial["ends_rejected"]):
        state = optuna.trial.TrialState.FAIL
    first = objectives[0][0]
    reports = rows[rows["trial_id"] == trial["trial_id"]]
    intermediate = {int(r["step"]): float(r[first]) for _, r in reports.iterrows() if math.isfinite(float(r[first]))}
    checkpoint = trial["checkpoint"] if isinstance(trial["checkpoint"], str) else None
    attrs = {"trial_id": str(trial["trial_id"]), "status": str(trial["status"]), "step": int(trial["step"]),
             "message": str(trial["message"]) if isinstance(trial["message"], str) else "",
             "checkpoint": checkpoint or "", "samples": f"{checkpoint}/{SAMPLES_SUBDIR}" if checkpoint else "",
             **_heard(trial)}
    return optuna.trial.create_trial(
        state=state, values=values if state == optuna.trial.TrialState.COMPLETE else None, params=_params(trial, dists),
        distributions=dists, intermediate_values=intermediate, user_attrs=attrs,
    )


HEARD = ("wer", "cer", "dnsmos_ovrl", "dnsmos_sig", "dnsmos_bak")


def _heard(values) -> dict[str, float]:
    """What the judges heard (where they did), as user attributes: a study ranks on objectives only."""
    out = {}
    for metric in HEARD:
        value = values.get(metric)
        if value is not None and math.isfinite(float(value)):
            out[metric] = float(value)
    return out


def write_study(analysis: Analysis, objectives: list[tuple[str, str]], storage_url: str) -> str:
    """Write (or replace voxgraft's own) study named after the sweep; its name."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        storage = optuna.storages.get_storage(storage_url)
    except Exception as exc:  # optuna and SQLAlchemy raise many kinds for a bad URL; all are one line here
        raise StudyError(f"--optuna-storage {storage_url}: {first_line(exc)}") from None
    name = analysis.name
    existing = {s.study_name: s for s in optuna.get_all_study_summaries(storage)}
    if name in existing:
        if MARK not in existing[name].user_attrs:
            raise StudyError(f"{storage_url} already holds a study named {name!r} that voxgraft did not write; "
                             "give another --optuna-storage")
        optuna.delete_study(study_name=name, storage=storage)
    study = optuna.create_study(study_name=name, storage=storage, directions=["minimize" if m == "min" else "maximize" for _, m in objectives])
    study.set_user_attr(MARK, str(analysis.sweep_dir))
    for _, knob in analysis.knobs.iterrows():  # what a user has without training, beside the trials
        study.set_user_attr(str(knob["trial_id"]), {"setting": str(knob["message"] or ""), **_heard(knob)})
    if analysis.anchors is not None:
        study.set_user_attr("recipient", _heard(analysis.anchors.recipient))
        study.set_user_attr("donor", _heard(analysis.anchors.donor))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.set_metric_names([m for m, _ in objectives])
    dists = _distributions(analysis.trials)
    study.add_trials([_frozen(t, analysis.rows, objectives, dists) for _, t in analysis.trials.iterrows()])
    return name
