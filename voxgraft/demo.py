"""The main job on the embedded default: the demo corpora, their features and what they
measure; a tiny recipient voice pretrained on the recipient corpus, and a sample of it; the
smoke sweep on it; its report; and the best transplant (sweep/best.py's rule) exported.

Re-running reuses what is already there (corpora are kept when their voice.json matches, the
feature cache recomputes nothing, a finished recipient and sweep are kept, an interrupted
sweep resumes, the same export is not written twice), so `make demo` is cheap the second time.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from voxgraft.data.alignment import read_alignments
from voxgraft.data.check import load_corpus
from voxgraft.data.feature_cache import prepare_features
from voxgraft.data.synth import VOICE_FILENAME, synthesize_corpus
from voxgraft.data.voices import DEMO_PRESETS, VOICE_PRESETS
from voxgraft.evaluate.prosody import cadence
from voxgraft.layout import REFERENCES_DIR, RESULTS_DIR, SPEC_FILE
from voxgraft.models.speak import speak
from voxgraft.sweep.export import Pick
from voxgraft.sweep.store import ResultsStore
from voxgraft.training.pretrain import RECORD_FILE, PretrainSettings, pretrain


def _matches(corpus_dir: Path, preset: str, count: int, seed: int) -> bool:
    try:
        voice = json.loads((corpus_dir / VOICE_FILENAME).read_text())
    except (OSError, json.JSONDecodeError):
        return False
    return (voice.get("preset"), voice.get("count"), voice.get("seed")) == (preset, count, seed)


def ensure_corpus(corpus_dir: Path, preset: str, count: int, seed: int, progress: Progress) -> bool:
    """Synthesize `preset` into `corpus_dir` unless an identical corpus is there; True if made."""
    if _matches(corpus_dir, preset, count, seed):
        return False
    if corpus_dir.exists():
        shutil.rmtree(corpus_dir)
    task = progress.add_task(f"synthesizing {preset}", total=count)
    synthesize_corpus(preset, count, seed, corpus_dir, lambda done, _n: progress.update(task, completed=done))
    progress.remove_task(task)
    return True


def corpus_row(corpus_dir: Path, preset: str, made: bool, progress: Progress) -> tuple[str, ...]:
    """One row of the corpora table: features prepared, and what the voice measures. The rate is
    the results store's definition (evaluate/prosody.py) on the corpus's exact alignments."""
    corpus = load_corpus(corpus_dir)
    status = "new" if made else "cached"
    if preset not in DEMO_PRESETS:
        return (preset, str(len(corpus.utterances)), "", "", "", status)
    task = progress.add_task(f"features {preset}", total=len(corpus.utterances))
    store = prepare_features(corpus, progress=lambda done, n, computed: progress.update(task, completed=done))
    progress.remove_task(task)
    alignments = read_alignments(corpus.alignments_path)
    rate, _ = cadence([([i.phoneme for i in alignments[u.utterance_id]], [i.duration for i in alignments[u.utterance_id]])
                       for u in corpus.utterances])
    f0 = np.concatenate([store.f0(u.utterance_id) for u in corpus.utterances])
    seconds = sum(len(store.wav(u.utterance_id)) for u in corpus.utterances) / store.params.sample_rate
    return (preset, str(len(corpus.utterances)), f"{seconds:.1f}", f"{rate:.2f}", f"{np.nanmedian(f0):.0f}", status)


def make_corpora(corpora: Path, count: int, seed: int, console: Console, progress_factory: Callable[[], Progress]) -> None:
    table = Table(title=f"demo corpora in {corpora}")
    for col in ("voice", "utterances", "audio (s)", "phonemes/s", "median F0 (Hz)", "status"):
        table.add_column(col, justify="right" if col not in ("voice", "status") else "left")
    with progress_factory() as progress:
        for preset in VOICE_PRESETS:
            made = ensure_corpus(corpora / preset, preset, count, seed, progress)
            table.add_row(*corpus_row(corpora / preset, preset, made, progress))
    console.print(table)
    console.print(
        "Each corpus has wavs/, metadata.csv (id|text|text), alignments.parquet (eSpeak's exact phoneme timings) "
        "and symbols.json; features are cached in .voxgraft_cache/. Check one with "
        f"`voxgraft corpus check {corpora / 'recipient'}`."
    )


def run_demo(
    out: Path,
    count: int,
    seed: int,
    console: Console,
    progress_factory: Callable[[], Progress],
    pretrain_steps: int = PretrainSettings.steps,
    duration_steps: int = PretrainSettings.duration_steps,
    sweep: bool = True,
) -> None:
    make_corpora(out / "corpora", count, seed, console, progress_factory)
    settings = PretrainSettings(steps=pretrain_steps, duration_steps=duration_steps, heldout=max(1, min(4, count // 5)))
    ensure_recipient(out / "corpora" / "recipient", out / "models" / "recipient", settings, console, progress_factory)
    sample = out / "samples" / "recipient.wav"
    utterance = load_corpus(out / "corpora" / "recipient").utterances[-1]  # held out in pretraining
    seconds = speak(out / "models" / "recipient", utterance.text, sample)
    console.print(f"the recipient says {utterance.text!r} in {sample} ({seconds:.2f} s)", highlight=False)
    if sweep:
        exp_dir = run_smoke_sweep(out, heldout=settings.heldout, console=console)
        report_and_export(exp_dir, out / "best_transplant", console)


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
    console.print(f"best transplant exported to {target}; try: voxgraft synth {target} \"Hello there.\" hello.wav", highlight=False)
    return best


def smoke_sweep(out: Path, heldout: int):
    """The built-in smoke sweep, pointed at the demo's recipient and cadence donor."""
    from voxgraft.search_spaces.schema import EvalSet, builtin_sweeps, load_sweep

    return load_sweep(builtin_sweeps()["smoke"]).model_copy(
        update={
            "recipient": str(out / "models" / "recipient"),
            "donor": str(out / "corpora" / "cadence_donor"),
            "storage": str(out / "sweeps"),
            "eval": EvalSet(heldout=heldout),
        }
    )


def run_smoke_sweep(out: Path, heldout: int, console: Console) -> Path:
    """Run the smoke sweep, resume it if an earlier demo was interrupted, or show the finished one."""
    from voxgraft.search_spaces.spec import experiment_dir
    from voxgraft.sweep.run import resume_sweep, run_sweep

    sweep = smoke_sweep(out, heldout)
    exp_dir = Path(experiment_dir(sweep))
    store = ResultsStore(exp_dir / RESULTS_DIR)
    status = "cached"
    if not _finished(store):
        console.print(f"running the smoke sweep ({exp_dir}); Ray's progress table follows", highlight=False)
        resume_sweep(exp_dir) if (exp_dir / SPEC_FILE).exists() else run_sweep(sweep)
        status = "new"
    console.print(trials_table(store, sweep.objective.metric, status))
    console.print(
        f"transfer: 0 = the untouched recipient, 1 = the donor's recordings; A/B renderings of the held-out "
        f"sentences in {exp_dir / REFERENCES_DIR}",
        highlight=False,
    )
    return exp_dir


def trials_table(store: ResultsStore, objective: str, status: str) -> Table:
    """Each trial's last report: what it reached, with its transfer, drift and rejection."""
    rows = store.table().to_pylist()
    table = Table(title=f"smoke sweep ({status}): {len({r['trial_id'] for r in rows})} trials, results in {store.root}")
    shown = (objective, "transfer_speaking_rate", "speaker_drift", "mcd", "rejection_score")
    headers = ("organs", "lr", "align", "steps", "status", objective.removeprefix("heldout_"), "rate transfer", "speaker drift", "MCD", "rejection")
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


def ensure_recipient(
    corpus_dir: Path, model_dir: Path, settings: PretrainSettings, console: Console, progress_factory: Callable[[], Progress]
) -> None:
    """Pretrain the tiny recipient voice unless a finished one from this corpus is there."""
    try:
        record = json.loads((model_dir / RECORD_FILE).read_text())
    except (OSError, json.JSONDecodeError):
        record = {}
    # records before multi-voice pretraining held one path, newer ones a list
    trained_on = record.get("corpus")
    trained_on = [trained_on] if isinstance(trained_on, str) else trained_on
    same_corpus = trained_on == [str(corpus_dir.resolve())]
    finished = (
        same_corpus
        and record.get("steps", 0) >= settings.steps
        and record.get("duration_steps", 0) >= settings.duration_steps
    )
    if finished:
        initial, final, status = record["initial"], record["final"], "cached"
    else:
        if model_dir.exists() and not same_corpus:
            shutil.rmtree(model_dir)  # trained on another corpus: start over
        with progress_factory() as progress:
            task = progress.add_task("pretraining the tiny recipient", total=settings.steps)
            result = pretrain(corpus_dir, model_dir, settings, lambda step, n, _losses: progress.update(task, completed=step))
        initial, final, status = result.initial, result.final, "new"
    table = Table(title=f"tiny recipient in {model_dir} ({status})")
    for col in ("held-out measure", "untrained", "pretrained"):
        table.add_column(col)
    for name, value in final.items():
        table.add_row(name, f"{initial.get(name, float('nan')):.3f}", f"{value:.3f}")
    console.print(table)
