"""A results store with planted effects: the ground truth that checks the report's statistics
(tests) and the load that times it at scale (bench/report_scale.py).

Trials cross organ sets (every non-empty subset of decoder, flow, posterior_encoder),
alignment and learning rate. The planted truth, per trial's final report:
    transfer_timbre = sum of ORGAN_EFFECTS over the trained organs + LR_EFFECT * (lr == 1e-3) + noise
alignment has no effect (the null factor); duration_drift is noise around 0.01; the judges hear
healthy speech in every trial (wer about 0.1, dnsmos_ovrl about 3.2). Each trial
reports `reports` times along a learning curve that rises to that final value.

With `sounds`, each trial's last report has a kept checkpoint (beside `root`) whose samples are
short tones, a pitch per trial, and the sweep has recipient and donor references: what the
report's players embed, without a model.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import numpy as np

from voxgraft.data.audio import write_wav
from voxgraft.layout import REFERENCES_DIR, SAMPLES_SUBDIR, TRANSPLANT_SUBDIR
from voxgraft.sweep.store import ResultsStore

ORGAN_EFFECTS = {"decoder": 0.30, "flow": 0.10, "posterior_encoder": 0.05}
LR_EFFECT = 0.08
LRS = (1e-4, 1e-3)
ALIGNMENTS = ("forced", "learned")
NOISE = 0.02
SENTENCES = ("utt01", "utt02")
TONE_RATE = 16_000


def tone(frequency: float, seconds: float = 0.25) -> np.ndarray:
    return 0.3 * np.sin(2 * np.pi * frequency * np.arange(int(seconds * TONE_RATE)) / TONE_RATE)


def _plant_sounds(sweep_dir: Path, trial_id: str, index: int) -> str:
    """A kept checkpoint of trial `index` with a tone per sentence (200 Hz + 5 Hz per trial)."""
    checkpoint = sweep_dir / "checkpoints" / trial_id
    (checkpoint / TRANSPLANT_SUBDIR).mkdir(parents=True, exist_ok=True)
    (checkpoint / SAMPLES_SUBDIR).mkdir(exist_ok=True)
    for k, sentence in enumerate(SENTENCES):
        write_wav(checkpoint / SAMPLES_SUBDIR / f"{sentence}.wav", tone(200 + 5 * index + k), TONE_RATE)
    return str(checkpoint)


def _plant_references(sweep_dir: Path) -> None:
    for source, frequency in (("recipient", 110.0), ("donor", 150.0)):
        (sweep_dir / REFERENCES_DIR / source).mkdir(parents=True, exist_ok=True)
        for k, sentence in enumerate(SENTENCES):
            write_wav(sweep_dir / REFERENCES_DIR / source / f"{sentence}.wav", tone(frequency + k), TONE_RATE)


def organ_sets() -> list[tuple[str, ...]]:
    names = list(ORGAN_EFFECTS)
    return [c for r in range(1, len(names) + 1) for c in itertools.combinations(names, r)]


def _plant_knobs(store: ResultsStore, sweep: str) -> None:
    """The two knobs' rows as a sweep's preparation writes them (status `knob`, never trials)."""
    for name, likeness in (("tempo", 0.0), ("voice", 0.25)):
        store.write_sealed([{"sweep": sweep, "trial_id": f"knob-{name}", "step": 0, "report": 0, "status": "knob",
                             "message": f"{name} knob: planted, no training", "transfer_timbre": likeness,
                             "duration_drift": 0.0 if name == "voice" else 0.2, "wer": 0.12, "dnsmos_ovrl": 3.0,
                             "rejection_score": 0.1, "rejected": False}])


def build(root, trials: int, reports: int = 5, seed: int = 0, sweep: str = "synthetic", sounds: bool = False,
          knobs: bool = False) -> ResultsStore:
    """`trials` trials cycling through the full factorial, each with `reports` rows (sealed);
    with `knobs`, the two knobs' rows too."""
    rng = np.random.default_rng(seed)
    store = ResultsStore(str(root))
    if sounds:
        _plant_references(Path(root).parent)
    design = list(itertools.product(organ_sets(), ALIGNMENTS, LRS))
    now = time.time()
    for i in range(trials):
        organs, alignment, lr = design[i % len(design)]
        final = sum(ORGAN_EFFECTS[o] for o in organs) + LR_EFFECT * (lr == 1e-3) + rng.normal(0, NOISE)
        rows = []
        checkpoint = _plant_sounds(Path(root).parent, f"t{i:06d}", i) if sounds else None
        for r in range(1, reports + 1):
            share = r / reports
            rows.append({
                "sweep": sweep, "trial_id": f"t{i:06d}", "step": 100 * r, "report": r,
                "wall_time_s": 10.0 * r, "timestamp": now + r,
                "config.organs": ",".join(organs), "config.lr": lr, "config.alignment": alignment,
                "config.batch_size": 8, "config.steps": 100 * reports, "config.eval_every": 100, "config.vae_latent": None, "config.vae_beta": None,
                "transfer_timbre": final * share, "duration_drift": abs(rng.normal(0.01, 0.005)),
                "heldout_loss": 1.0 - final * share + rng.normal(0, NOISE), "rejection_score": 0.2,
                "wer": abs(rng.normal(0.1, NOISE)), "dnsmos_ovrl": 3.2 + rng.normal(0, NOISE),  # the judges heard healthy speech
                "rejected": False, "status": "done" if r == reports else "running", "message": None,
                "checkpoint": checkpoint if r == reports else None,
            })
        store.write_sealed(rows)
    if knobs:
        _plant_knobs(store, sweep)
    return store
