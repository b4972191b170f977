"""A results store with planted effects: the ground truth that checks the report's statistics
(tests) and the load that times it at scale (bench/report_scale.py).

Trials cross organ sets (every non-empty subset of decoder, flow, posterior_encoder),
alignment and learning rate. The planted truth, per trial's final report:
    transfer_timbre = sum of ORGAN_EFFECTS over the trained organs + LR_EFFECT * (lr == 1e-3) + noise
alignment has no effect (the null factor); duration_drift is noise around 0.01. Each trial
reports `reports` times along a learning curve that rises to that final value.
"""

from __future__ import annotations

import itertools
import time

import numpy as np

from voxgraft.sweep.store import ResultsStore

ORGAN_EFFECTS = {"decoder": 0.30, "flow": 0.10, "posterior_encoder": 0.05}
LR_EFFECT = 0.08
LRS = (1e-4, 1e-3)
ALIGNMENTS = ("forced", "learned")
NOISE = 0.02


def organ_sets() -> list[tuple[str, ...]]:
    names = list(ORGAN_EFFECTS)
    return [c for r in range(1, len(names) + 1) for c in itertools.combinations(names, r)]


def build(root, trials: int, reports: int = 5, seed: int = 0, sweep: str = "synthetic") -> ResultsStore:
    """`trials` trials cycling through the full factorial, each with `reports` rows (sealed)."""
    rng = np.random.default_rng(seed)
    store = ResultsStore(root)
    design = list(itertools.product(organ_sets(), ALIGNMENTS, LRS))
    now = time.time()
    for i in range(trials):
        organs, alignment, lr = design[i % len(design)]
        final = sum(ORGAN_EFFECTS[o] for o in organs) + LR_EFFECT * (lr == 1e-3) + rng.normal(0, NOISE)
        rows = []
        for r in range(1, reports + 1):
            share = r / reports
            rows.append({
                "sweep": sweep, "trial_id": f"t{i:06d}", "step": 100 * r, "report": r,
                "wall_time_s": 10.0 * r, "timestamp": now + r,
                "config.organs": ",".join(organs), "config.lr": lr, "config.alignment": alignment,
                "config.batch_size": 8, "config.steps": 100 * reports, "config.eval_every": 100, "config.vae_latent": None, "config.vae_beta": None,
                "transfer_timbre": final * share, "duration_drift": abs(rng.normal(0.01, 0.005)),
                "heldout_loss": 1.0 - final * share + rng.normal(0, NOISE), "rejection_score": 0.2,
                "rejected": False, "status": "done" if r == reports else "running", "message": None, "checkpoint": None,
            })
        store.write_sealed(rows)
    return store
