"""Checkpoints found unreadable after their trial reported them: named in the sweep folder's
unusable_checkpoints.json (path relative to the folder, and why), so that every later `pick`,
`report` and the best rule pass them over instead of failing on them again."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from voxgraft.atomic import atomic_file
from voxgraft.layout import UNUSABLE_FILE


def unusable(sweep_dir: Path) -> dict[str, str]:
    """Resolved checkpoint path -> why it is unusable."""
    path = Path(sweep_dir) / UNUSABLE_FILE
    if not path.is_file():
        return {}
    try:
        marks = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}  # a damaged list marks nothing; pick finds the damage again and rewrites it
    if not isinstance(marks, dict):
        return {}
    return {str((Path(sweep_dir) / relative).resolve()): str(why) for relative, why in marks.items()}


def mark_unusable(sweep_dir: Path, checkpoint: Path, why: str) -> None:
    root = Path(sweep_dir).resolve()
    marks = {str(Path(p).relative_to(root)): w for p, w in unusable(root).items() if Path(p).is_relative_to(root)}
    marks[str(Path(checkpoint).resolve().relative_to(root))] = why  # pick only offers this sweep's checkpoints
    with atomic_file(sweep_dir / UNUSABLE_FILE) as tmp:
        tmp.write_text(json.dumps(marks, indent=1, sort_keys=True) + "\n")


def without_unusable(rows: pd.DataFrame, sweep_dir: Path) -> pd.DataFrame:
    """The rows with marked checkpoints dropped from the `checkpoint` column (so no rule counts
    them as kept) and the reason in `checkpoint_problem`."""
    marks = unusable(sweep_dir)
    if not marks or rows.empty or "checkpoint" not in rows:
        return rows
    problem = rows["checkpoint"].map(lambda c: marks.get(str(Path(c).resolve())) if isinstance(c, str) and "://" not in c else None)
    return rows.assign(checkpoint=rows["checkpoint"].where(problem.isna(), None), checkpoint_problem=problem)
