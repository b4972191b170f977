"""Did surgery beat the knob a user already has? One sentence per aim, with the numbers.

Cadence transplants face the tempo knob (Piper's `length_scale`), timbre transplants the voice
knob (WORLD: the donor's pitch and envelope); both were measured once per sweep exactly as a
trial is (evaluate/knobs.py). The aim's best transplant is compared with its knob on the
measure it was chosen by, and on what the judges heard: surgery beats the knob only when it is
better on that measure without losing more words, or more quality, than the rejection margins
allow (evaluate/artifacts.py). "The knob is enough" is a finding like any other.
"""

from __future__ import annotations

import math

import pandas as pd

from voxgraft.analysis.pareto import AIM_AXES, aims
from voxgraft.analysis.types import Analysis
from voxgraft.evaluate.artifacts import THRESHOLDS

KNOB_OF_AIM = {"cadence": "tempo", "timbre": "voice"}


def _value(row: dict | None, metric: str) -> float:
    try:
        return float(row[metric]) if row is not None and row.get(metric) is not None else math.nan
    except (TypeError, ValueError):
        return math.nan


def _n(value: float) -> str:
    return f"{value:.3g}" if math.isfinite(value) else "not measured"


def best_of_aims(analysis: Analysis, top: pd.DataFrame) -> dict[str, tuple[dict | None, str, str]]:
    """aim -> (its best transplant's row or None, the measure it is compared on, its mode): the
    sweep's own best by its first objective, or in a sweep that mixes aims each aim's most
    donor-like (its Pareto likeness axis)."""
    present = sorted(set(aims(analysis.trials)))
    metric, mode = analysis.objectives[0]
    if len(present) == 1:
        return {present[0]: (None if top.empty else top.iloc[0].to_dict(), metric, mode)}
    return {aim: (analysis.best_per_aim.get(aim), AIM_AXES[aim][0], "max") for aim in present}


def knob_sentence(aim: str, best: dict | None, knob: dict, metric: str, mode: str) -> str:
    """The verdict of one aim against its knob."""
    name = KNOB_OF_AIM[aim]
    if not math.isfinite(_value(knob, metric)):  # e.g. heldout_loss: a knob trains nothing to have one
        metric, mode = AIM_AXES[aim][0], "max"
    k, wer_k, ovrl_k = (_value(knob, m) for m in (metric, "wer", "dnsmos_ovrl"))
    said = f"the {knob['message']}" if knob.get("message") else f"the {name} knob"
    if best is None:
        return (f"No {aim} transplant may be called best, so none beats {said}: it reaches {metric} {_n(k)}, "
                f"WER {_n(wer_k)}, DNSMOS OVRL {_n(ovrl_k)}.")
    b, wer_b, ovrl_b = (_value(best, m) for m in (metric, "wer", "dnsmos_ovrl"))
    better = math.isfinite(b) and math.isfinite(k) and (b < k if mode == "min" else b > k)
    numbers = (f"{metric} {_n(b)} against the knob's {_n(k)}, WER {_n(wer_b)} against {_n(wer_k)}, "
               f"DNSMOS OVRL {_n(ovrl_b)} against {_n(ovrl_k)}")
    if not math.isfinite(wer_b) or not math.isfinite(wer_k):
        judged = "the judges did not measure the words or the quality"
    else:
        lost = []
        if wer_b - wer_k > THRESHOLDS["words_lost"]:
            lost.append("the words")
        if ovrl_k - ovrl_b > THRESHOLDS["quality_lost"]:
            lost.append("quality")
        judged = f"but loses {' and '.join(lost)} against it" if lost else ""
    if not better:
        outcome = f"the knob is enough: it does at least as well on {metric} with no training"
    elif judged.startswith("but"):
        outcome = f"surgery wins on {metric} {judged}"
    elif judged:
        outcome = f"surgery wins on {metric} ({judged})"
    else:
        outcome = "surgery beats the knob"
    return f"Best {aim} transplant (trial {best['trial_id']}, step {int(best['step'])}) against {said}: {numbers}: {outcome}."


def against_knobs(analysis: Analysis, top: pd.DataFrame) -> list[str]:
    """One sentence per aim the sweep's trials have; a line saying so where the knobs were not measured."""
    out = []
    for aim, (best, metric, mode) in best_of_aims(analysis, top).items():
        knob = analysis.knob(KNOB_OF_AIM[aim])
        if knob is None:
            out.append(f"The {KNOB_OF_AIM[aim]} knob was not measured for this sweep (it began before voxgraft measured knobs): "
                       f"nothing here says whether {aim} surgery beats it.")
        else:
            out.append(knob_sentence(aim, best, knob, metric, mode))
    return out
