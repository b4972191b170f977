"""`voxgraft pick`: choose the best transplant checkpoint(s) of a sweep and export each
(sweep/export.py writes the model).

Candidates follow sweep/best.py, the rule every command shares: kept checkpoints, never a
rejected report and never one of a failed trial. By an objective, each trial's best eligible
report competes; by `--pareto knee`, the knee trial of donor-likeness against recipient
preservation is chosen (then the next trials on the front by donor-likeness).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from voxgraft.analysis.pareto import axes, pareto_front
from voxgraft.analysis.trials import read_rows, trial_table
from voxgraft.evaluate.registry import METRICS
from voxgraft.evaluate.registry import direction as metric_direction
from voxgraft.layout import RESULTS_DIR, TRANSPLANT_SUBDIR, UNUSABLE_FILE, path_inside
from voxgraft.models.checkpoints import CorruptCheckpointError, merged_model
from voxgraft.search_spaces.spec import name_and_objectives
from voxgraft.sweep.best import eligible, ranked
from voxgraft.sweep.export import ExportError, Pick, export, recipient_of
from voxgraft.sweep.export_folder import ExportFolderError, check_target
from voxgraft.sweep.store import CorruptStoreError
from voxgraft.sweep.unusable import mark_unusable


class PickError(ValueError):
    pass


def direction(sweep_dir: Path, metric: str) -> str:
    """'min' or 'max': the sweep's own mode for its objectives, else the registry's."""
    for name, mode in name_and_objectives(sweep_dir)[1]:
        if name == metric:
            return mode
    mode = metric_direction(metric)
    if mode is None:
        raise PickError(f"{metric} is a raw measure with no better side; pick by a transfer (e.g. transfer_{metric}) or a drift")
    return mode


def _knee_order(rows: pd.DataFrame, sweep_dir: Path) -> pd.DataFrame:
    """The Pareto front's knee trial, then the rest of the front by donor-likeness, the front
    drawn through each trial's latest eligible report (a trial whose last checkpoint was
    rejected competes with the one before it, as sweep/best.py lets it)."""
    pool = eligible(rows)
    trials = trial_table(pool)
    points = pareto_front(trials) if not trials.empty else trials
    front = points[points["on_front"]] if not points.empty else points
    if front.empty:
        raise PickError(f"{sweep_dir}: no eligible checkpoint has both donor-likeness and drift measured: nothing on a Pareto front")
    likeness, _ = axes(trials)
    rest = front[~front["knee"]].sort_values(likeness, ascending=False)
    order = list(front[front["knee"]]["trial_id"]) + list(rest["trial_id"])
    return pd.DataFrame([pool[pool["trial_id"] == t].sort_values("step").iloc[-1] for t in order])


def choose(
    sweep_dir: str | Path, objective: str | None = None, pareto_knee: bool = False, top: int = 1, skip_corrupt: bool = False
) -> list[Pick]:
    sweep_dir = Path(sweep_dir)
    try:
        rows = read_rows(sweep_dir, skip_corrupt) if (sweep_dir / RESULTS_DIR).is_dir() else pd.DataFrame()
    except CorruptStoreError as exc:
        raise PickError(str(exc)) from None
    if rows.empty:
        raise PickError(f"{sweep_dir}: no results store with reports here (give a sweep's experiment directory)")
    if eligible(rows).empty:
        marked = rows["checkpoint_problem"].notna().sum() if "checkpoint_problem" in rows else 0
        also = f" ({marked} report(s) have a checkpoint marked unusable in {sweep_dir / UNUSABLE_FILE})" if marked else ""
        raise PickError(f"{sweep_dir}: no kept, unrejected checkpoint to pick from{also}")
    if pareto_knee:
        best = _knee_order(rows, sweep_dir)
    else:
        metric = objective or name_and_objectives(sweep_dir)[1][0][0]
        if metric not in METRICS:
            raise PickError(f"unknown objective {metric!r}; choose a results column such as heldout_duration_mae, transfer_cadence, speaker_drift")
        best = ranked(rows, metric, direction(sweep_dir, metric))
        if best.empty:
            raise PickError(f"{sweep_dir}: no kept checkpoint has {metric} measured")
    if best.empty:
        raise PickError(f"{sweep_dir}: none of the chosen trials kept a checkpoint")
    return [Pick(i + 1, r.to_dict(), Path(r["checkpoint"])) for i, (_, r) in enumerate(best.head(top).iterrows())]


def _check_targets(targets: list[Path], out: Path, force: bool) -> None:
    try:
        if out.exists() and not out.is_dir():
            raise ExportFolderError(f"{out} is a file, not a folder; choose a new folder")
        for target in targets:
            check_target(target, force)
    except ExportFolderError as exc:
        raise PickError(str(exc)) from None


def pick_and_export(sweep_dir: str | Path, out: str | Path, objective: str | None = None, pareto_knee: bool = False,
                    top: int = 1, recipient: str | Path | None = None, fmt: str = "hf", force: bool = False,
                    skip_corrupt: bool = False, warn=lambda line: None, fetch=lambda checkpoint: None) -> list[tuple[Pick, Path]]:
    """Top 1: `out` is the model directory; top K: `out/<rank>-<trial_id>/` each; `fmt` hf or piper.
    A target folder holding files that are not a voxgraft export is refused unless `force`.
    A chosen checkpoint found damaged is marked unusable, `warn`ed about, and the next is taken.
    `fetch` brings a chosen checkpoint's weights into a working copy of a sweep in a bucket."""
    sweep_dir, out = Path(sweep_dir), Path(out)
    _check_targets([out] if top == 1 else [], out, force)  # before any work: a refusal costs nothing
    choose_now = lambda: choose(sweep_dir, objective, pareto_knee, top, skip_corrupt)  # noqa: E731
    picks = choose_now()
    try:
        recipient = Path(recipient) if recipient else recipient_of(sweep_dir)
    except ExportError as exc:
        raise PickError(str(exc)) from None
    picks = _readable_picks(sweep_dir, recipient, warn, picks, choose_now, fetch)
    name = name_and_objectives(sweep_dir)[0]
    targets = [out if top == 1 else path_inside(out, f"{p.rank}-{p.row['trial_id']}") for p in picks]
    _check_targets(targets, out, force)
    exported = []
    for p, target in zip(picks, targets):
        try:
            exported.append((p, export(p, target, recipient, name, sweep_dir, fmt, force)))
        except ExportError as exc:
            raise PickError(str(exc)) from None
    return exported


def _readable_picks(sweep_dir: Path, recipient: Path, warn, picks: list[Pick], choose_now, fetch) -> list[Pick]:
    """Open each chosen checkpoint; a damaged one is marked (so it is never offered again) and
    the choice is made again without it."""
    while True:
        for p in picks:
            fetch(p.checkpoint)
            try:
                merged_model(p.checkpoint / TRANSPLANT_SUBDIR, recipient)
            except CorruptCheckpointError as exc:
                mark_unusable(sweep_dir, p.checkpoint, str(exc))
                warn(f"trial {p.row['trial_id']} step {p.row['step']}: {exc}; marked unusable in {sweep_dir / UNUSABLE_FILE}")
                break
        else:
            return picks
        picks = choose_now()
