"""The demo's smoke sweeps on the joe voice: run or resume them, show their trials, report
each and export its best transplant."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from voxgraft.console import print_table
from voxgraft.layout import REFERENCES_DIR, RESULTS_DIR, SPEC_FILE
from voxgraft.sweep.best import ranked
from voxgraft.sweep.export import Pick
from voxgraft.sweep.export_folder import CARD_FILE, remove_export
from voxgraft.sweep.store import KNOB_STATUS, ResultsStore

# What the demo asks of the timbre transplant it exports (issue "Judged as the field judges
# speech"): the donor's voice moved by at least 0.3 on GE2E, the words kept (Whisper's WER within
# 0.10 of the worse end: never rejected for it) and no more than 0.3 of DNSMOS OVRL lost.
TIMBRE_BAR = {"transfer_speaker_sim_donor": (">=", 0.3), "words_lost": ("<=", 0.10), "quality_drift": ("<=", 0.3)}


def misses(row: dict, bar: dict[str, tuple[str, float]]) -> list[str]:
    """What a report misses of a bar, in words ('transfer_speaker_sim_donor 0.12 < 0.3')."""
    out = []
    for metric, (sense, limit) in bar.items():
        value = float(row.get(metric) if row.get(metric) is not None else float("nan"))
        ok = value >= limit if sense == ">=" else value <= limit
        if not ok:
            out.append(f"{metric} {value:.3g} (needs {sense} {limit:g})")
    return out


def _candidates(exp_dir: Path, metric: str, mode: str, bar: dict | None) -> tuple[Pick | None, str]:
    """The export: the best eligible report (sweep/best.py's rule) that meets `bar`, or None and why not."""
    from voxgraft.analysis.trials import read_rows
    from voxgraft.sweep.best import eligible

    rows = read_rows(exp_dir)
    pool = eligible(rows, metric)
    if pool.empty:
        return None, "no transplant may be called best: every report was rejected or failed (the report says why)"
    if bar:
        pool = pool[[not misses(r, bar) for r in pool.to_dict("records")]]
    if pool.empty:
        closest = ranked(eligible(rows, metric), metric, mode).iloc[0].to_dict()
        return None, (f"no transplant meets the bar; the best by {metric} (trial {closest['trial_id']}, step {closest['step']}) "
                      f"misses {', '.join(misses(closest, bar))}")
    best = ranked(pool, metric, mode).iloc[0].to_dict()
    return Pick(1, best, Path(best["checkpoint"])), ""


def report_and_export(exp_dir: Path, target: Path, console: Console, bar: dict | None = None) -> Pick | None:
    """The sweep's report; what the judges heard; and its best transplant (sweep/best.py's rule,
    as `voxgraft pick` chooses it, and meeting `bar` where one is given) exported as a ready
    model, kept when the same checkpoint was exported before. Nothing is exported, and an earlier
    demo's export is removed, when no transplant qualifies: the demo says why."""
    from voxgraft.analysis.against_knobs import against_knobs
    from voxgraft.analysis.report import analyse, best_trials, write_report
    from voxgraft.sweep.export import export, recipient_of

    with console.status("writing the sweep report"):
        analysis = analyse(exp_dir)
        top = best_trials(analysis, 3)
        files = write_report(analysis, top)
    console.print(f"report: {files.html} (open it in a browser; summary in {files.summary})", highlight=False)
    print_table(judges_table(analysis, top), console)
    for line in against_knobs(analysis, top):
        console.print(line, highlight=False)
    metric, mode = analysis.objectives[0]
    best, why = _candidates(exp_dir, metric, mode, bar)
    if best is None:
        _remove_export(target)
        console.print(f"[bold]nothing exported to {target}:[/] {why}", highlight=False)
        return None
    console.print(
        f"best transplant ({metric} {best.row[metric]:.3f}): trial {best.row['trial_id']}, organs {best.row['config.organs']}, "
        f"lr {best.row['config.lr']:.0e}, {best.row['config.alignment']} alignment, step {best.row['step']}; "
        f"checkpoint {best.checkpoint} (its samples/ speak the held-out sentences)",
        highlight=False,
    )
    if _exported_from(target) != str(best.checkpoint):
        export(best, target, recipient_of(exp_dir), analysis.name, exp_dir)
    console.print(
        f"best transplant exported to {target}; try: voxgraft synth {target} \"Hello there.\" hello.wav "
        f"(as a Piper voice: voxgraft pick {exp_dir} --export {target}_piper --format piper)",
        highlight=False,
    )
    return best


def _exported_from(target: Path) -> str | None:
    try:
        return json.loads((target / CARD_FILE).read_text())["source_checkpoint"]
    except (OSError, ValueError, KeyError):
        return None


def _remove_export(target: Path) -> None:
    """An earlier demo's export that no longer qualifies: the files it wrote, nothing else."""
    if target.is_dir() and _exported_from(target) is not None:
        remove_export(target)


def judges_table(analysis, top) -> Table:
    """The report's 'what the judges heard' table, for the terminal."""
    from voxgraft.analysis.speech_table import speech_table

    frame = speech_table(analysis, top)
    table = Table(title=f"{analysis.name}: what the judges heard on the held-out sentences (WER/CER: Whisper; OVRL/SIG/BAK: DNSMOS)")
    for column in frame.columns:
        table.add_column(SHORT.get(column, column))
    for row in frame.itertuples(index=False):
        table.add_row(*(v if isinstance(v, str) else _fmt(v) for v in row))
    return table


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
    print_table(trials_table(store, name, sweep.objective.metric, status), console)
    console.print(
        f"transfer: 0 = the untouched recipient, 1 = the donor's recordings; A/B renderings of the held-out "
        f"sentences in {exp_dir / REFERENCES_DIR}",
        highlight=False,
    )
    return exp_dir


COLUMNS = {  # what the trials table shows besides the objective, and its headers
    "transfer_speaking_rate": "rate xfer",
    "speaker_drift": "spk drift",
    "duration_drift": "dur drift",
    "wer": "WER",
    "dnsmos_ovrl": "OVRL",
    "rejection_score": "reject",
}
SHORT = {"heldout_duration_mae": "dur MAE", "transfer_speaker_sim_donor": "voice xfer", "transfer_cadence": "cadence xfer",
         "transfer_timbre": "timbre xfer", "dnsmos_ovrl": "OVRL", "dnsmos_sig": "SIG", "dnsmos_bak": "BAK", "wer": "WER", "cer": "CER",
         "rejection_score": "reject"}


def _last_rows(rows: list[dict]) -> dict[str, dict]:
    """Each trial's (or knob's) last report."""
    last: dict[str, dict] = {}
    for r in rows:
        if r["trial_id"] not in last or r["step"] > last[r["trial_id"]]["step"]:
            last[r["trial_id"]] = r
    return last


def trials_table(store: ResultsStore, name: str, objective: str, status: str) -> Table:
    """Each trial's last report: what it reached, with its transfer, drift, what the judges
    heard and rejection; then the knobs, measured the same way without any training."""
    last = _last_rows(store.table().to_pylist())
    trials = sorted(t for t, r in last.items() if r["status"] != KNOB_STATUS)
    knobs = sorted(t for t, r in last.items() if r["status"] == KNOB_STATUS)
    table = Table(title=f"{name} sweep ({status}): {len(trials)} trials and {len(knobs)} knobs, results in {store.root}")
    shown = list(dict.fromkeys([objective, *COLUMNS]))
    headers = ("organs", "lr", "align", "steps", "status", *(COLUMNS.get(m) or SHORT.get(m, m) for m in shown))
    for col in headers:
        table.add_column(col)
    for trial in trials:
        r = last[trial]
        state = r["status"] + (" rejected" if r["rejected"] and r["status"] != "rejected" else "")
        table.add_row(r["config.organs"], f"{r['config.lr']:.0e}", r["config.alignment"], str(r["step"]), state, *(_fmt(r[c]) for c in shown))
    for knob in knobs:  # what a user has without training, for comparison
        r = last[knob]
        table.add_row(f"({knob})", "-", "-", "0", "knob", *(_fmt(r[c]) for c in shown))
    return table


def _fmt(value) -> str:
    return "" if value is None or value != value else f"{value:.3f}"  # NaN: not defined


def _finished(store: ResultsStore) -> bool:
    """Every trial's last row has a final status (the knobs are not trials)."""
    trials = [r for r in _last_rows(store.table().to_pylist()).values() if r["status"] != KNOB_STATUS]
    return bool(trials) and all(r["status"] != "running" for r in trials)
