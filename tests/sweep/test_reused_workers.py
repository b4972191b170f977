"""Trials reuse their Ray workers (no new process importing torch and transformers per trial),
and nothing leaks from one trial into the next: the trial that ran second in a reused worker
reports and saves, bit for bit, what the same trial does alone in a fresh worker."""

import math
from pathlib import Path

import ray

from tests.sweep.test_sweep import _sweep_data
from voxgraft.models.checkpoints import TRANSPLANT_WEIGHTS
from voxgraft.search_spaces.schema import parse_sweep
from voxgraft.sweep.run import run_sweep
from voxgraft.sweep.store import METRIC_COLUMNS, ResultsStore


def _run(tiny_recipient, corpora, storage, organs):
    data = _sweep_data(tiny_recipient, corpora, storage, scheduler={"type": "none"})
    data["search"] |= {"organs": organs, "lr": [1e-3], "steps": 4, "eval_every": 2}
    data["resources"] = {"cpu": ray.cluster_resources()["CPU"]}  # one trial at a time: the next can only reuse the worker
    outcome = run_sweep(parse_sweep(data))
    return ResultsStore(outcome.results_dir).trials().to_pylist()


def _same(a, b) -> bool:
    return (a is None and b is None) or a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b))


def test_a_trial_in_a_reused_worker_is_bit_for_bit_the_trial_alone(local_ray, tiny_recipient, corpora, tmp_path):
    rows = _run(tiny_recipient, corpora, tmp_path / "both", ["timbre", "cadence"])
    assert {r["config.organs"] for r in rows} == {"timbre", "cadence"}
    assert len({r["worker_pid"] for r in rows}) == 1, "the second trial ran in the first one's worker"
    first_report = {}
    for r in rows:
        first_report[r["config.organs"]] = min(first_report.get(r["config.organs"], math.inf), r["timestamp"])
    second = max(first_report, key=first_report.get)

    alone = _run(tiny_recipient, corpora, tmp_path / "alone", [second])
    assert alone[0]["worker_pid"] != rows[0]["worker_pid"]
    reused = [r for r in rows if r["config.organs"] == second]
    assert [r["step"] for r in reused] == [r["step"] for r in alone] == [2, 4]
    for mine, theirs in zip(reused, alone):
        differing = [m for m in METRIC_COLUMNS if m not in ("steps_per_s", "compute_s", "peak_memory_mb") and not _same(mine[m], theirs[m])]
        assert differing == [], f"step {mine['step']}: {differing}"
        weights = [Path(r["checkpoint"]) / "transplant" / TRANSPLANT_WEIGHTS for r in (mine, theirs)]
        assert weights[0].read_bytes() == weights[1].read_bytes()
