"""The report in words: report/summary.md, and the table `voxgraft report` prints."""

from __future__ import annotations

import math

import pandas as pd
from rich.table import Table

from voxgraft.analysis.alignment import alignment_errors
from voxgraft.analysis.speech_table import JUDGES_NOTE, speech_table
from voxgraft.analysis.types import Analysis
from voxgraft.analysis.verdict import number, verdict


def _fmt(value) -> str:
    if isinstance(value, float):
        return "" if not math.isfinite(value) else number(value, 4)
    return str(value)


def _markdown_table(frame: pd.DataFrame) -> str:
    if frame is None or frame.empty:
        return "(nothing yet)\n"
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def summary_markdown(analysis: Analysis, top: pd.DataFrame) -> str:
    out = [f"# Sweep {analysis.name}\n", f"{len(analysis.trials)} trials, {len(analysis.rows)} reports; "
           f"factors varied: {', '.join(analysis.factors) or 'none'}.\n"]
    found = verdict(analysis, top)
    out += ["\n## What the sweep found\n\n", *[f"- {line}\n" for line in found.findings], *[f"- **Warning:** {line}\n" for line in found.warnings]]
    out += ["\n## What the judges heard\n\n", JUDGES_NOTE, _markdown_table(speech_table(analysis, top))]
    columns = ["trial_id", "organs", "alignment", "lr", "step", "status", *[m for m, _ in analysis.objectives]]
    out += ["\n## Top transplants\n\n", _markdown_table(top[[c for c in columns if c in top]])]
    if analysis.pareto is not None:
        x, y = analysis.pareto_axes
        knee = analysis.pareto[analysis.pareto["knee"]]
        out.append(f"\n## Pareto front ({x} against {y})\n\n")
        out.append(_markdown_table(analysis.pareto[analysis.pareto["on_front"]].sort_values(x)[["trial_id", "organs", "lr", x, y, "knee"]]))
        if not knee.empty:
            k = knee.iloc[0]
            out.append(f"\nKnee: {k['trial_id']} (organs {k['organs']}, lr {k['lr']:.2g}).\n")
    for metric, mode in analysis.objectives:
        out.append(f"\n## {metric} ({'lower' if mode == 'min' else 'higher'} is better)\n\n")
        out.append("Factors by the size of their largest main effect:\n\n" + _markdown_table(analysis.ranking[metric]))
        effects = analysis.effects[metric]
        if not effects.empty:
            out.append("\nMain effects (95% bootstrap interval):\n\n" + _markdown_table(effects))
        for evaluator, values in analysis.importance[metric].items():
            out.append(f"\n{evaluator} importance: " + ", ".join(f"{k} {v:.3f}" for k, v in values.items()) + "\n")
        shapley = analysis.shapley[metric]
        if shapley is not None:
            out.append(f"\nPer-organ Shapley contributions ({shapley.note}): " + ", ".join(f"{k} {v:.4g}" for k, v in shapley.values.items()) + "\n")
    errors = alignment_errors(analysis)
    if errors is not None:
        out += ["\n## Alignment against ground truth (phoneme boundaries, ms)\n\n", _markdown_table(errors)]
    out += ["\n## Rejection by factor level\n\n", _markdown_table(analysis.rejection)]
    return "".join(out)


def summary_table(analysis: Analysis, top: pd.DataFrame) -> Table:
    """The top transplants by the sweep's objectives, with what the judges heard."""
    objectives = list(dict.fromkeys([*(m for m, _ in analysis.objectives), "wer", "dnsmos_ovrl"]))
    table = Table(title=f"sweep {analysis.name}: {len(analysis.trials)} trials, top {len(top)}")
    for column in ("trial", "organs", "alignment", "lr", "step", "status", *objectives):
        table.add_column(column)
    for _, t in top.iterrows():
        table.add_row(t["trial_id"], t["organs"], t["alignment"], f"{t['lr']:.2g}", str(t["step"]), t["status"], *(_fmt(float(t[m])) for m in objectives))
    return table
