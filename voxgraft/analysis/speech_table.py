"""What the judges heard, side by side: the untouched recipient, the donor's recordings, the two
knobs and the top transplants, on the same held-out sentences (the page and summary.md)."""

from __future__ import annotations

import math

import pandas as pd

from voxgraft.analysis.types import Analysis
from voxgraft.evaluate.anchors import transfers

JUDGED_COLUMNS = ("wer", "cer", "dnsmos_ovrl", "dnsmos_sig", "dnsmos_bak")
JUDGES_NOTE = ("Whisper's word and character error rates (lower is better) and DNSMOS quality (1-5, higher is better) "
               "of the same held-out sentences; the knobs are what a user gets without training. A blank cell was not measured.\n\n")
LIKENESS_COLUMNS = ("transfer_speaker_sim_donor", "transfer_cadence", "transfer_timbre")


def _row(speech: str, values: dict, columns: list[str]) -> dict:
    def number(name: str) -> float:
        value = values.get(name)
        return float(value) if isinstance(value, (int, float)) and value is not None else math.nan

    return {"speech": speech, **{c: number(c) for c in columns}}


def speech_table(analysis: Analysis, top: pd.DataFrame) -> pd.DataFrame:
    """One row per speech the sweep measured, the judges' columns first; empty without anchors."""
    anchors = analysis.anchors
    objective = analysis.objectives[0][0]
    columns = list(dict.fromkeys([*JUDGED_COLUMNS, objective, *LIKENESS_COLUMNS, "rejection_score"]))
    rows = []
    if anchors is not None:  # each end's transfers as the trials' are computed: 0 and 1 where defined
        rows.append(_row("recipient, untouched", anchors.recipient | transfers(anchors, anchors.recipient), columns))
        rows.append(_row("donor's recordings", anchors.donor | transfers(anchors, anchors.donor), columns))
    for _, knob in analysis.knobs.iterrows():
        rows.append(_row(str(knob["message"] or knob["trial_id"]), knob.to_dict(), columns))
    for rank, (_, t) in enumerate(top.iterrows(), 1):
        rows.append(_row(f"#{rank} {t['trial_id']} ({t['organs']}, step {int(t['step'])})", t.to_dict(), columns))
    return pd.DataFrame(rows, columns=["speech", *columns]).dropna(axis=1, how="all")
