"""The results store's own costs, for the code on PYTHONPATH: appending rows one file each (what
the driver's callback does per report), sealing, and reading a finished 10,000-trial store
(segments), median of several repeats. With --s3, the same appends and reads against moto's S3
server on this machine (a local bucket: it shows the request overhead, not a network's).

    python bench/store_io.py --repeats 5                     # this checkout
    PYTHONPATH=/tmp/before python bench/store_io.py           # another commit, side by side
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import tempfile
import time
from datetime import date

from voxgraft.analysis import synthetic_store
from voxgraft.sweep.store import ResultsStore, report_row


def _append_rate(root: str, rows: int) -> float:
    store = ResultsStore(root)
    tick = time.perf_counter()
    for step in range(rows):
        store.write(report_row("bench", "t1", {"step": step, "training_iteration": step, "heldout_loss": 1.0, "config": {"lr": 1e-3}}))
    rate = rows / (time.perf_counter() - tick)
    store.seal("t1")
    return rate


def _read_s(store: ResultsStore) -> float:
    tick = time.perf_counter()
    store.table()
    return time.perf_counter() - tick


def measure(location: str, args) -> dict[str, float]:
    rates = [_append_rate(f"{location}/append{i}", args.rows) for i in range(args.repeats)]
    store = synthetic_store.build(f"{location}/big", args.trials, args.reports)
    reads = [_read_s(store) for _ in range(args.repeats)]
    return {"append rows/s": statistics.median(rates), f"read {args.trials} trials s": statistics.median(reads)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--reports", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--s3", action="store_true", help="also against moto's S3 server (needs the test extra)")
    args = parser.parse_args()
    print(f"{date.today()}, {platform.machine()} {os.cpu_count()} CPUs, medians of {args.repeats}")
    with tempfile.TemporaryDirectory() as tmp:
        print("local folder:", {k: round(v, 3) for k, v in measure(tmp, args).items()})
    if args.s3:
        from tests.local_s3 import local_s3

        with local_s3("bench") as env, _environ(env):
            print("moto S3 on 127.0.0.1:", {k: round(v, 3) for k, v in measure("s3://bench/store", args).items()})


@contextlib.contextmanager
def _environ(env: dict):
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


if __name__ == "__main__":
    main()
