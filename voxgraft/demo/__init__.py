"""The main job on the embedded default: the demo corpora, their features and what they
measure; the joe Piper voice imported and recovered as the recipient, and a sample of it; the
smoke sweeps on it (the cadence donor's rhythm, the timbre donor's voice); a report of each,
with what the judges heard and how each aim's best fared against its knob; and each one's best
transplant (sweep/best.py's rule; for timbre, one that also meets TIMBRE_BAR) exported, or
nothing with the reason.

Re-running reuses what is already there (corpora are kept when their voice.json matches, the
feature cache recomputes nothing, a recovered recipient and finished sweeps are kept, an
interrupted sweep resumes, the same export is not written twice), so `make demo` is cheap the
second time. Start at `run_demo`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from voxgraft.data.check import load_corpus
from voxgraft.demo.corpora import make_corpora
from voxgraft.demo.recipient import DEMO_DISCRIMINATOR_STEPS, DEMO_RECOVERY, ensure_joe
from voxgraft.demo.sweeps import TIMBRE_BAR, report_and_export, run_smoke_sweep
from voxgraft.models.speak import speak
from voxgraft.training.recover import RecoverySettings

__all__ = ["report_and_export", "run_demo"]
EXPORTS = {"smoke": "best_cadence", "smoke_timbre": "best_timbre"}  # sweep -> where its best goes
BARS = {"smoke_timbre": TIMBRE_BAR}  # what a sweep's export must also meet (demo/sweeps.py)


def run_demo(
    out: Path,
    count: int,
    seed: int,
    console: Console,
    progress_factory: Callable[[], Progress],
    recovery: RecoverySettings = DEMO_RECOVERY,
    discriminator_steps: int = DEMO_DISCRIMINATOR_STEPS,
    sweep: bool = True,
) -> None:
    make_corpora(out / "corpora", count, seed, console, progress_factory)
    joe = ensure_joe(out / "models" / "joe", recovery, discriminator_steps, console, progress_factory)
    sample = out / "samples" / "joe.wav"
    text = load_corpus(out / "corpora" / "cadence_donor").utterances[-1].text  # held out by the sweeps
    seconds = speak(joe, text, sample)
    console.print(f"the recipient says {text!r} in {sample} ({seconds:.2f} s)", highlight=False)
    if sweep:
        heldout = max(1, min(4, count // 5))
        for name, target in EXPORTS.items():
            exp_dir = run_smoke_sweep(name, out, joe, heldout, console)
            report_and_export(exp_dir, out / target, console, BARS.get(name))
