"""The demo's smoke sweeps on the joe voice: run or resume them, show their trials, report
each and export its best transplant."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from voxgraft.layout import REFERENCES_DIR, RESULTS_DIR, SPEC_FILE
from voxgraft.sweep.export import Pick
from voxgraft.sweep.store import ResultsStore


def report_and_export(exp_dir: Path, target: Path, console: Console) -> Pick:
    """The sweep's report, and its best transplant (sweep/best.py's rule, as `voxgraft pick`
    chooses it) exported as a ready model, kept when the same checkpoint was exported before."""
    from voxgraft.analysis.pick import choose
    from voxgraft.analysis.report import analyse, best_trials, write_report
    from voxgraft.sweep.export import export, recipient_of

    with console.status("writing the sweep report"):
        analysis = analyse(exp_dir)
        files = write_report(analysis, best_trials(analysis, 3))
    console.print(f"report: {files.html} (open it in a browser; summary in {files.summary})", highlight=False)
    best = choose(exp_dir)[0]
    metric = analysis.objectives[0][0]
    console.print(
        f"best transplant ({metric} {best.row[metric]:.3f}): trial {best.row['trial_id']}, organs {best.row['config.organs']}, "
        f"lr {best.row['config.lr']:.0e}, {best.row['config.alignment']} alignment, step {best.row['step']}; "
        f"checkpoint {best.checkpoint} (its samples/ speak the held-out sentences)",
        highlight=False,
    )
    try:
        exported_from = json.loads((target / "card.json").read_text())["source_checkpoint"]
    except (OSError, ValueError, KeyError):
        exported_from = None
    if exported_from != str(best.checkpoint):
        export(best, target, recipient_of(exp_dir), analysis.name, exp_dir)
    console.print(
        f"best transplant exported to {target}; try: voxgraft synth {target} \"Hello there.\" hello.wav "
        f"(as a Piper voice: voxgraft pick {exp_dir} --export {target}_piper --format piper)",
        highlight=False,
    )
    return best


SMOKE_SWEEPS = {"smoke": "cadence_donor", "smoke_timbre": "timbre_donor"}  # built-in sweep -> its demo donor


def smoke_sweep(name: str, out: Path, recipient: Path, heldout: int):
    """A built-in smoke sweep, pointed at the demo's recipient and that sweep's donor."""
    from voxgraft.search_spaces.schema import EvalSet, builtin_sweeps, load_sweep

    return load_sweep(builtin_sweeps()[name]).model_copy(
        update={
            "recipient": str(recipient),
            "donor": str(out / "corpora" / SMOKE_SWEEPS[name]),
            "storage": str(out / "sweeps"),
            "eval": EvalSet(heldout=heldout),
        }
    )


def run_smoke_sweep(name: str, out: Path, recipient: Path, heldout: int, console: Console) -> Path:
    """Run a smoke sweep, resume it if an earlier demo was interrupted, or show the finished one."""
    from voxgraft.search_spaces.spec import experiment_dir
    from voxgraft.sweep.run import resume_sweep, run_sweep

    sweep = smoke_sweep(name, out, recipient, heldout)
    exp_dir = Path(experiment_dir(sweep))
    store = ResultsStore(exp_dir / RESULTS_DIR)
    status = "cached"
    if not _finished(store):
        console.print(f"running the {name} sweep ({exp_dir}, donor {sweep.donor}); Ray's progress table follows", highlight=False)
        resume_sweep(exp_dir) if (exp_dir / SPEC_FILE).exists() else run_sweep(sweep)
        status = "new"
    console.print(trials_table(store, name, sweep.objective.metric, status))
    console.print(
        f"transfer: 0 = the untouched recipient, 1 = the donor's recordings; A/B renderings of the held-out "
        f"sentences in {exp_dir / REFERENCES_DIR}",
        highlight=False,
    )
    return exp_dir


COLUMNS = {  # what the trials table shows besides the objective, and its headers (kept short: 80 columns)
    "transfer_speaking_rate": "rate xfer",
    "speaker_drift": "spk drift",
    "duration_drift": "dur drift",
    "rejection_score": "reject",
}
SHORT = {"heldout_duration_mae": "dur MAE", "transfer_speaker_sim_donor": "voice xfer"}


def trials_table(store: ResultsStore, name: str, objective: str, status: str) -> Table:
    """Each trial's last report: what it reached, with its transfer, drift and rejection."""
    rows = store.table().to_pylist()
    table = Table(title=f"{name} sweep ({status}): {len({r['trial_id'] for r in rows})} trials, results in {store.root}")
    shown = list(dict.fromkeys([objective, *COLUMNS]))
    headers = ("organs", "lr", "align", "steps", "status", *(COLUMNS.get(m) or SHORT.get(m, m) for m in shown))
    for col in headers:
        table.add_column(col)
    for trial in sorted({r["trial_id"] for r in rows}):
        last = max((r for r in rows if r["trial_id"] == trial), key=lambda r: r["step"])
        state = last["status"] + (" rejected" if last["rejected"] and last["status"] != "rejected" else "")
        table.add_row(
            last["config.organs"], f"{last['config.lr']:.0e}", last["config.alignment"], str(last["step"]), state,
            *(_fmt(last[c]) for c in shown),
        )
    return table


def _fmt(value) -> str:
    return "" if value is None or value != value else f"{value:.3f}"  # NaN: not defined


def _finished(store: ResultsStore) -> bool:
    """Every trial's last row has a final status."""
    rows = store.table().to_pylist()
    if not rows:
        return False
    last = {}
    for r in rows:
        if r["trial_id"] not in last or r["step"] > last[r["trial_id"]]["step"]:
            last[r["trial_id"]] = r
    return all(r["status"] != "running" for r in last.values())
