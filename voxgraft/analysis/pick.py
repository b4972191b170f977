"""`voxgraft pick`: choose the best transplant checkpoint(s) of a sweep and export each as a
ready model: the recipient merged with the transplanted organs (`save_pretrained`, loads with
`VitsModel.from_pretrained`), its held-out samples, and a model card (README.md + card.json).

Candidates are the checkpoints Tune kept (a checkpoint directory that still exists), never one
whose evaluation was rejected and never one of a failed trial. By an objective, each trial's
best kept checkpoint competes; by `--pareto knee`, the knee trial of donor-likeness against
recipient preservation is chosen (then the next trials on the front by donor-likeness).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from voxgraft.analysis.pareto import axes, pareto_front
from voxgraft.analysis.report import sweep_objectives
from voxgraft.analysis.store import METRIC_COLUMNS
from voxgraft.analysis.trials import read_rows, trial_table
from voxgraft.atomic import atomic_directory
from voxgraft.data.symbols import FILENAME as SYMBOLS_FILENAME
from voxgraft.layout import RESULTS_DIR, SAMPLES_SUBDIR, SPEC_FILE, TRANSPLANT_SUBDIR
from voxgraft.models.checkpoints import merged_model

HIGHER_IS_BETTER = ("transfer_", "speaker_sim_donor", "steps_per_s")


class PickError(ValueError):
    pass


@dataclass(frozen=True)
class Pick:
    rank: int
    row: dict
    checkpoint: Path


def direction(sweep_dir: Path, metric: str) -> str:
    """'min' or 'max': the sweep's own mode for its objectives, else what the metric means."""
    _, objectives = sweep_objectives(sweep_dir)
    for name, mode in objectives:
        if name == metric:
            return mode
    return "max" if metric.startswith(HIGHER_IS_BETTER) else "min"


def candidates(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with a kept checkpoint, not rejected, of trials that did not fail."""
    failed = set(rows.loc[rows["status"].isin(("rejected", "error")), "trial_id"])
    ok = rows[~rows["trial_id"].isin(failed) & ~rows["rejected"].fillna(False).astype(bool) & rows["checkpoint"].notna()]
    return ok[[Path(c, TRANSPLANT_SUBDIR).is_dir() for c in ok["checkpoint"]]]


def choose(sweep_dir: str | Path, objective: str | None = None, pareto_knee: bool = False, top: int = 1) -> list[Pick]:
    sweep_dir = Path(sweep_dir)
    rows = read_rows(sweep_dir) if (sweep_dir / RESULTS_DIR).is_dir() else pd.DataFrame()
    if rows.empty:
        raise PickError(f"{sweep_dir}: no results store with reports here (give a sweep's experiment directory)")
    pool = candidates(rows)
    if pool.empty:
        raise PickError(f"{sweep_dir}: no kept, unrejected checkpoint to pick from")
    if pareto_knee:
        trials = trial_table(rows)
        points = pareto_front(trials)
        front = points[points["on_front"]]
        if front.empty:
            raise PickError(f"{sweep_dir}: no trial has both donor-likeness and drift measured: nothing on a Pareto front")
        likeness, _ = axes(trials)
        rest = front[~front["knee"]].sort_values(likeness, ascending=False)
        order = list(front[front["knee"]]["trial_id"]) + list(rest["trial_id"])
        picked = []
        for trial in order:
            kept = pool[pool["trial_id"] == trial]
            if not kept.empty:
                picked.append(kept.sort_values("step").iloc[-1])
        best = pd.DataFrame(picked)
    else:
        metric = objective or sweep_objectives(sweep_dir)[1][0][0]
        if metric not in METRIC_COLUMNS:
            raise PickError(f"unknown objective {metric!r}; choose a results column such as heldout_duration_mae, transfer_cadence, speaker_drift")
        mode = direction(sweep_dir, metric)
        scored = pool[np.isfinite(pool[metric].astype(float))]
        if scored.empty:
            raise PickError(f"{sweep_dir}: no kept checkpoint has {metric} measured")
        per_trial = scored.sort_values(metric, ascending=(mode == "min")).groupby("trial_id", sort=False).head(1)
        best = per_trial.sort_values(metric, ascending=(mode == "min"))
    if best.empty:
        raise PickError(f"{sweep_dir}: none of the chosen trials kept a checkpoint")
    return [Pick(i + 1, r.to_dict(), Path(r["checkpoint"])) for i, (_, r) in enumerate(best.head(top).iterrows())]


def model_card(pick: Pick, meta: dict, sweep_name: str, sweep_dir: Path, recipient: Path) -> tuple[str, dict]:
    row = pick.row
    metrics = {m: row[m] for m in METRIC_COLUMNS if row.get(m) is not None and np.isfinite(row[m])}
    card = {
        "sweep": sweep_name, "sweep_dir": str(sweep_dir), "trial_id": row["trial_id"], "step": int(row["step"]),
        "organs_trained": meta["organs"], "organ_set": row["config.organs"], "recipient": str(recipient),
        "recipient_sha256": meta["recipient_sha256"],
        "config": {k.removeprefix("config."): row[k] for k in row if k.startswith("config.") and row[k] is not None},
        "metrics": metrics, "source_checkpoint": str(pick.checkpoint),
    }
    lines = [
        f"# voxgraft transplant: {row['config.organs']} from sweep {sweep_name}", "",
        f"The recipient ({recipient}, sha256 {meta['recipient_sha256'][:16]}...) with its organs "
        f"{', '.join(meta['organs'])} retrained on the donor; every other organ is the recipient's, bit for bit.", "",
        f"- trial {row['trial_id']}, step {row['step']}, {row['config.alignment']} alignment, lr {row['config.lr']:.3g}",
        f"- source checkpoint: {pick.checkpoint}", "",
        _load_line(meta), "Speak with it: `voxgraft synth THIS_DIR \"text\" out.wav`.",
        "`samples/` holds the donor's held-out sentences as this checkpoint speaks them.", "",
        "| metric | value |", "|---|---|",
        *[f"| {k} | {v:.4g} |" for k, v in metrics.items()],
    ]
    return "\n".join(lines) + "\n", card


def _load_line(meta: dict) -> str:
    if meta.get("style_latent_size"):
        return ("Load it: `voxgraft.models.styled_vits.StyledVitsModel.from_pretrained(\"this directory\")` (it carries a "
                f"{meta['style_latent_size']}-dim style VAE and speaks with the donor's style latent).")
    return "Load it: `VitsModel.from_pretrained(\"this directory\")`."


def export(pick: Pick, out_dir: Path, recipient: Path, sweep_name: str, sweep_dir: Path) -> Path:
    """Write the merged model, its samples and its card into `out_dir` (atomically)."""
    model, meta = merged_model(pick.checkpoint / TRANSPLANT_SUBDIR, recipient)
    readme, card = model_card(pick, meta, sweep_name, sweep_dir, recipient)
    with atomic_directory(out_dir) as tmp:
        model.save_pretrained(str(tmp))
        shutil.copy2(pick.checkpoint / TRANSPLANT_SUBDIR / SYMBOLS_FILENAME, tmp / SYMBOLS_FILENAME)
        if (pick.checkpoint / SAMPLES_SUBDIR).is_dir():
            shutil.copytree(pick.checkpoint / SAMPLES_SUBDIR, tmp / SAMPLES_SUBDIR)
        (tmp / "README.md").write_text(readme)
        (tmp / "card.json").write_text(json.dumps(card, indent=2, default=str) + "\n")
    return out_dir


def recipient_of(sweep_dir: Path) -> Path:
    try:
        return Path(json.loads((sweep_dir / SPEC_FILE).read_text())["context"]["recipient"])
    except (OSError, ValueError, KeyError):
        raise PickError(f"{sweep_dir}: no {SPEC_FILE} naming the recipient; pass --recipient") from None


def pick_and_export(sweep_dir: str | Path, out: str | Path, objective: str | None = None, pareto_knee: bool = False,
                    top: int = 1, recipient: str | Path | None = None) -> list[tuple[Pick, Path]]:
    """Top 1: `out` is the model directory; top K: `out/<rank>-<trial_id>/` each."""
    sweep_dir, out = Path(sweep_dir), Path(out)
    picks = choose(sweep_dir, objective, pareto_knee, top)
    recipient = Path(recipient) if recipient else recipient_of(sweep_dir)
    name = sweep_objectives(sweep_dir)[0]
    exported = []
    for p in picks:
        target = out if top == 1 else out / f"{p.rank}-{p.row['trial_id']}"
        exported.append((p, export(p, target, recipient, name, sweep_dir)))
    return exported
