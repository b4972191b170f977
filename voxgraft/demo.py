"""The main job on the embedded default: the demo corpora, their features and what they
measure, then a tiny recipient voice pretrained on the recipient corpus, and a sample of it.

Re-running reuses what is already there (corpora are kept when their voice.json matches, the
feature cache recomputes nothing, a finished recipient is kept), so `make demo` is cheap the
second time.
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

from voxgraft.analysis.store import ResultsStore
from voxgraft.data.check import load_corpus
from voxgraft.data.feature_cache import prepare_features
from voxgraft.data.measure import median_f0, phoneme_count, speaking_rate
from voxgraft.data.phonemizer import phonemize
from voxgraft.data.synth import VOICE_FILENAME, synthesize_corpus
from voxgraft.data.voices import DEMO_PRESETS, PRESETS
from voxgraft.layout import REFERENCES_DIR, RESULTS_DIR, SPEC_FILE
from voxgraft.speak import speak
from voxgraft.trainables.pretrain import RECORD_FILE, PretrainSettings, pretrain

ARITHMETIC_PRESETS = tuple(p for p in PRESETS if p not in DEMO_PRESETS)


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
    corpora = out / "corpora"
    table = Table(title=f"demo corpora in {corpora}")
    for col in ("voice", "utterances", "audio (s)", "phonemes/s", "median F0 (Hz)", "status"):
        table.add_column(col, justify="right" if col not in ("voice", "status") else "left")
    with progress_factory() as progress:
        for preset in PRESETS:
            made = ensure_corpus(corpora / preset, preset, count, seed, progress)
            corpus = load_corpus(corpora / preset)
            if preset not in DEMO_PRESETS:
                table.add_row(preset, str(len(corpus.utterances)), "", "", "", "new" if made else "cached")
                continue
            task = progress.add_task(f"features {preset}", total=len(corpus.utterances))
            store = prepare_features(corpus, progress=lambda done, n, computed: progress.update(task, completed=done))
            progress.remove_task(task)
            rates = [
                speaking_rate(store.wav(u.utterance_id), store.params.sample_rate, phoneme_count(phonemize(u.text)))
                for u in corpus.utterances
            ]
            f0 = np.concatenate([store.f0(u.utterance_id) for u in corpus.utterances])
            seconds = sum(len(store.wav(u.utterance_id)) for u in corpus.utterances) / store.params.sample_rate
            table.add_row(
                preset,
                str(len(corpus.utterances)),
                f"{seconds:.1f}",
                f"{np.mean(rates):.2f}",
                f"{median_f0(f0):.0f}",
                "new" if made else "cached",
            )
    console.print(table)
    console.print(
        "Each corpus has wavs/, metadata.csv (id|text|text), alignments.parquet (eSpeak's exact phoneme timings) "
        "and symbols.json; features are cached in .voxgraft_cache/. Check one with "
        f"`voxgraft corpus check {corpora / 'recipient'}`."
    )
    settings = PretrainSettings(steps=pretrain_steps, duration_steps=duration_steps, heldout=max(1, min(4, count // 5)))
    ensure_recipient(corpora / "recipient", out / "models" / "recipient", settings, console, progress_factory)
    sample = out / "samples" / "recipient.wav"
    utterance = load_corpus(corpora / "recipient").utterances[-1]  # held out in pretraining
    seconds = speak(out / "models" / "recipient", utterance.text, sample)
    console.print(f"the recipient says {utterance.text!r} in {sample} ({seconds:.2f} s)", highlight=False)
    if sweep:
        exp_dir = run_smoke_sweep(out, heldout=settings.heldout, console=console)
        report_and_export(exp_dir, out / "best_transplant", console)


def report_and_export(exp_dir: Path, target: Path, console: Console) -> None:
    """The sweep's report, and its best transplant exported as a ready model (kept when the same
    checkpoint was exported before)."""
    from voxgraft.analysis.pick import choose, export, recipient_of
    from voxgraft.analysis.report import analyse, best_trials, write_report

    with console.status("writing the sweep report"):
        analysis = analyse(exp_dir)
        files = write_report(analysis, best_trials(analysis, 3))
    best = choose(exp_dir)[0]
    try:
        exported_from = json.loads((target / "card.json").read_text())["source_checkpoint"]
    except (OSError, ValueError, KeyError):
        exported_from = None
    if exported_from != str(best.checkpoint):
        export(best, target, recipient_of(exp_dir), analysis.name, exp_dir)
    console.print(f"report: {files.html} (open it in a browser; summary in {files.summary})", highlight=False)
    console.print(
        f"best transplant exported to {target} (trial {best.row['trial_id']}, organs {best.row['config.organs']}); "
        f"try: voxgraft synth {target} \"Hello there.\" hello.wav",
        highlight=False,
    )


def run_smoke_sweep(out: Path, heldout: int, console: Console) -> Path:
    """The built-in smoke sweep on the demo's tiny recipient and cadence donor: run it, resume it
    if an earlier demo was interrupted, or show the finished one."""
    from voxgraft.search_spaces.schema import EvalSet, builtin_sweeps, load_sweep
    from voxgraft.sweep import best_row, experiment_dir, resume_sweep, run_sweep

    sweep = load_sweep(builtin_sweeps()["smoke"]).model_copy(
        update={
            "recipient": str(out / "models" / "recipient"),
            "donor": str(out / "corpora" / "cadence_donor"),
            "storage": str(out / "sweeps"),
            "eval": EvalSet(heldout=heldout),
        }
    )
    exp_dir = Path(experiment_dir(sweep))
    store = ResultsStore(exp_dir / RESULTS_DIR)
    if _finished(store):
        status, best = "cached", best_row(sweep, store)
    else:
        console.print(f"running the smoke sweep ({exp_dir}); Ray's progress table follows", highlight=False)
        outcome = resume_sweep(exp_dir) if (exp_dir / SPEC_FILE).exists() else run_sweep(sweep)
        status, best = "new", outcome.best
    rows = store.table().to_pylist()
    table = Table(title=f"smoke sweep ({status}): {len({r['trial_id'] for r in rows})} trials, results in {store.root}")
    shown = (sweep.objective.metric, "transfer_speaking_rate", "speaker_drift", "mcd", "rejection_score")
    headers = ("organs", "lr", "align", "steps", "status", sweep.objective.metric.removeprefix("heldout_"), "rate transfer", "speaker drift", "MCD", "rejection")
    for col in headers:
        table.add_column(col)
    for trial in sorted({r["trial_id"] for r in rows}):
        last = max((r for r in rows if r["trial_id"] == trial), key=lambda r: r["step"])
        status = last["status"] + (" rejected" if last["rejected"] and last["status"] != "rejected" else "")
        table.add_row(
            last["config.organs"], f"{last['config.lr']:.0e}", last["config.alignment"], str(last["step"]), status,
            *(_fmt(last[c]) for c in shown),
        )
    console.print(table)
    console.print(
        f"transfer: 0 = the untouched recipient, 1 = the donor's recordings; A/B renderings of the held-out "
        f"sentences in {exp_dir / REFERENCES_DIR}",
        highlight=False,
    )
    if best:
        console.print(
            f"best transplant ({sweep.objective.metric} {best[sweep.objective.metric]:.3f}): organs {best['config.organs']}, "
            f"lr {best['config.lr']:.0e}, {best['config.alignment']} alignment; checkpoint {best['checkpoint']} "
            "(its samples/ speak the held-out sentences)",
            highlight=False,
        )
    return exp_dir


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
