"""The knobs as rows of the results store: measured once per sweep in preparation, shown wherever
trials are, never eligible for best (status `knob`, sweep/best.py)."""

from __future__ import annotations

from voxgraft.evaluate.knobs import Knob
from voxgraft.sweep.store import KNOB_STATUS, report_row

KNOB_PREFIX = "knob-"


def knob_id(name: str) -> str:
    """A knob's trial_id in the store: knob-tempo, knob-voice."""
    return f"{KNOB_PREFIX}{name}"


def knob_folder(name: str) -> str:
    """Where a knob's speech of the held-out sentences lives inside references/."""
    return f"knob_{name}"


def knob_rows(sweep: str, measured: list[tuple[Knob, dict[str, float]]]) -> list[dict]:
    """One store row per knob: its metrics, status `knob`, and what it was turned to."""
    rows = []
    for knob, metrics in measured:
        result = {**metrics, "step": 0, "training_iteration": 0, "status": KNOB_STATUS, "message": knob.describe()}
        rows.append(report_row(sweep, knob_id(knob.name), result))
    return rows
