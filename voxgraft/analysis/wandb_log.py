"""`voxgraft report --wandb`: the report's tables and the dashboard page in a W&B run, for teams
that review sweeps there. Offline (files under ./wandb, `wandb sync` later) unless the user has
configured W&B (WANDB_API_KEY or WANDB_MODE)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pandas as pd

from voxgraft.analysis.speech_table import speech_table
from voxgraft.analysis.types import Analysis, ReportFiles


class WandbMissingError(RuntimeError):
    pass


def require_wandb() -> None:
    if importlib.util.find_spec("wandb") is None:
        raise WandbMissingError("--wandb needs wandb: pip install 'voxgraft[wandb]'")


def _table(frame: pd.DataFrame):
    import wandb

    return wandb.Table(dataframe=frame.reset_index(drop=True).astype(object).where(frame.notna().reset_index(drop=True), None))


def log_report(analysis: Analysis, top: pd.DataFrame, files: ReportFiles, directory: Path | None = None) -> str:
    """Log and finish one run; returns the run's local directory."""
    require_wandb()
    import wandb

    if not os.environ.get("WANDB_API_KEY") and not os.environ.get("WANDB_MODE"):
        os.environ["WANDB_MODE"] = "offline"
    run = wandb.init(project="voxgraft", group=analysis.name, name=f"report-{analysis.name}", job_type="report",
                     dir=str(directory) if directory else None, config={"sweep_dir": str(analysis.sweep_dir), "factors": analysis.factors})
    try:
        payload = {"top_transplants": _table(top[["trial_id", "organs", "alignment", "lr", "step", "status", *[m for m, _ in analysis.objectives]]]),
                   "rejection": _table(analysis.rejection), "dashboard": wandb.Html(files.html.read_text(encoding="utf-8")),
                   "judges": _table(speech_table(analysis, top))}
        for metric, _ in analysis.objectives:
            payload[f"effects/{metric}"] = _table(analysis.effects[metric])
            payload[f"ranking/{metric}"] = _table(analysis.ranking[metric])
        if analysis.pareto is not None:
            x, y = analysis.pareto_axes
            payload["pareto"] = _table(analysis.pareto[["trial_id", "organs", "alignment", "lr", x, y, "on_front", "knee"]])
        run.log(payload)
        return run.dir
    finally:
        run.finish()
