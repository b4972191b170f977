"""Ray Tune + results-store bookkeeping on a smoke-sized sweep, and the store's append rate.

Bookkeeping share of a trial = 1 - compute_s / trial wall time, where compute_s is what the
trial spent in training steps and evaluations (measured inside it) and the wall time runs from
the trial's start to its last report (Tune's time_total_s). Sweep-level share = 1 - sum of
compute_s / (sweep wall time x concurrent trials). Store append rate: rows written one at a
time (each an atomic Parquet file), median of repeats.

    python bench/sweep_overhead.py --recipient demo_out/models/recipient --donor demo_out/corpora/cadence_donor
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date

from voxgraft.search_spaces.schema import builtin_sweeps, load_sweep
from voxgraft.sweep.run import run_sweep
from voxgraft.sweep.store import ResultsStore, report_row


def append_rate(rows: int, repeats: int) -> float:
    rates = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            store = ResultsStore(tmp)
            start = time.perf_counter()
            for step in range(rows):
                result = {"step": step, "training_iteration": step, "heldout_loss": 1.0 / (step + 1), "config": {"organs": "cadence", "lr": 1e-4}}
                store.write(report_row("bench", "trial", result))
            rates.append(rows / (time.perf_counter() - start))
    return statistics.median(rates)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipient", default="demo_out/models/recipient")
    parser.add_argument("--donor", default="demo_out/corpora/cadence_donor")
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--organs", nargs="+", default=None, help="instead of the smoke sweep's (more trials than slots show worker reuse)")
    parser.add_argument("--lrs", nargs="+", type=float, default=None, help="instead of the smoke sweep's learning rates")
    args = parser.parse_args(argv)
    machine = f"{platform.machine()}, {os.cpu_count()} cores"
    print(f"# bench/sweep_overhead.py, {date.today()}, {machine}")
    print(f"store append rate: {append_rate(args.rows, args.repeats):.0f} rows/s (median of {args.repeats} x {args.rows} rows)")

    storage = tempfile.mkdtemp()
    sweep = load_sweep(builtin_sweeps()["smoke"]).model_copy(
        update={"recipient": args.recipient, "donor": args.donor, "storage": storage, "name": "overhead"}
    )
    search = {k: v for k, v in (("organs", args.organs), ("lr", args.lrs)) if v}
    sweep = sweep.model_copy(update={"search": sweep.search.model_copy(update=search)})
    start = time.perf_counter()
    outcome = run_sweep(sweep)
    wall = time.perf_counter() - start
    rows = ResultsStore(outcome.results_dir).table().to_pylist()
    last = {}
    for r in rows:
        if r["trial_id"] not in last or r["step"] > last[r["trial_id"]]["step"]:
            last[r["trial_id"]] = r
    shares = [1 - r["compute_s"] / r["wall_time_s"] for r in last.values() if r["compute_s"] and r["wall_time_s"]]
    slots = int((os.cpu_count() or 1) // sweep.resources.cpu)
    compute = sum(r["compute_s"] for r in last.values() if r["compute_s"])
    print(f"smoke sweep: {len(last)} trials, {wall:.1f} s wall, {slots} concurrent trial slots")
    print("driver's time: " + ", ".join(f"{part} {s:.1f} s" for part, s in getattr(outcome, "seconds", {}).items()))
    starts = sorted(r["wall_time_s"] - r["compute_s"] for r in last.values() if r["compute_s"] is not None)
    print(f"per trial, outside steps and evaluations: {', '.join(f'{s:.1f}' for s in starts)} s")
    print(f"bookkeeping share inside a trial (median): {100 * statistics.median(shares):.0f}%")
    print(f"bookkeeping share of the whole sweep (Ray start, scheduling, actors, reports, store): {100 * (1 - compute / (wall * slots)):.0f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
