"""What a report is made of: the sweep's statistics, computed once by analysis/report.py's
`analyse` and drawn by dashboard.py, summary.py and wandb_log.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from voxgraft.analysis.importance import Shapley
from voxgraft.evaluate.anchors import Anchors
from voxgraft.sweep.knob_rows import knob_id


@dataclass
class Analysis:
    """Everything the report shows, computed once."""

    sweep_dir: Path
    name: str
    objectives: list[tuple[str, str]]  # (metric, mode): the sweep's, then the Pareto axes
    rows: pd.DataFrame
    trials: pd.DataFrame
    factors: list[str]
    effects: dict[str, pd.DataFrame] = field(default_factory=dict)
    effects_by_aim: dict[str, dict[str, pd.DataFrame]] = field(default_factory=dict)  # mixed sweeps: metric -> aim -> effects
    ranking: dict[str, pd.DataFrame] = field(default_factory=dict)
    grids: dict[str, dict[str, pd.DataFrame]] = field(default_factory=dict)
    importance: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    shapley: dict[str, Shapley | None] = field(default_factory=dict)
    pareto: pd.DataFrame | None = None  # the sweep's own aim's front (pareto.py)
    pareto_axes: tuple[str, str] | None = None
    fronts: dict[str, pd.DataFrame] = field(default_factory=dict)  # one per aim: cadence, timbre
    best_per_aim: dict[str, dict] = field(default_factory=dict)  # mixed sweeps only: aim -> its most donor-like report
    knobs: pd.DataFrame = field(default_factory=pd.DataFrame)  # the knobs' rows (evaluate/knobs.py), never trials
    anchors: Anchors | None = None  # the sweep's two ends (references/anchors.json), where the sweep has them
    rejection: pd.DataFrame | None = None

    def front_trials(self) -> list[str]:
        """The trials on their aim's Pareto front, front by front."""
        return [t for points in self.fronts.values() for t in points.loc[points["on_front"], "trial_id"]]

    def knob(self, name: str) -> dict | None:
        """The knob's row (tempo, voice), where the sweep measured it."""
        if self.knobs.empty:
            return None
        mine = self.knobs[self.knobs["trial_id"] == knob_id(name)]
        return None if mine.empty else mine.iloc[0].to_dict()


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    summary: Path
