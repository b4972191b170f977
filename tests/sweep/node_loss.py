"""A sweep on a Ray cluster of three nodes on this machine (Ray's own `cluster_utils.Cluster`),
one of which is removed in the middle of a trial. Run as its own process by
tests/sweep/test_node_loss.py (a process can join only one Ray, and the test session has its own):

    python -m tests.sweep.node_loss RECIPIENT DONOR STORAGE REPORT.json

The head has no CPU, so trials run only on the two worker nodes (one CPU each). As soon as a
trial has saved a checkpoint, the node running it is removed (its raylet and workers killed).
REPORT.json says which trial lost its node, at which step, and the worker processes of the two
nodes, for the test to check against the results store.
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
import time
from pathlib import Path

import psutil
import ray
from ray._private import ray_constants
from ray.cluster_utils import Cluster

from voxgraft.search_spaces.schema import parse_sweep
from voxgraft.sweep.run import run_sweep
from voxgraft.sweep.store import ResultsStore

STEPS, EVAL_EVERY = 20, 2


def sweep_data(recipient: str, donor: str, storage: str) -> dict:
    return {
        "name": "nodes", "recipient": recipient, "donor": donor, "eval": {"heldout": 4, "judges": False},
        "search": {"organs": ["cadence", "decoder"], "lr": [1e-3], "alignment": ["forced"], "batch_size": 4,
                   "steps": STEPS, "eval_every": EVAL_EVERY, "fixed": {"segment_frames": 8}},
        "searcher": "grid", "scheduler": {"type": "none"},
        "objectives": [{"metric": "heldout_loss", "mode": "min"}],
        "resources": {"cpu": 1}, "max_failures": 2, "storage": storage,
    }


def raylet_pid(node) -> int:
    return node.all_processes[ray_constants.PROCESS_TYPE_RAYLET][0].process.pid


def node_of(pid: int, nodes: list):
    ancestors = {p.pid for p in psutil.Process(pid).parents()}
    return next(node for node in nodes if raylet_pid(node) in ancestors)


def remove_a_busy_node(cluster: Cluster, nodes: list, store: ResultsStore, report: dict) -> None:
    """Wait for the first checkpointed report, then remove the node whose worker made it."""
    deadline = time.time() + 600
    while time.time() < deadline:
        rows = [r for r in store.trials().to_pylist() if r["checkpoint"] and r["worker_pid"]] if Path(store.root).exists() else []
        if rows:
            row = rows[0]
            node = node_of(row["worker_pid"], nodes)
            report |= {"trial_id": row["trial_id"], "step": row["step"], "lost_pid": row["worker_pid"]}
            workers = psutil.Process(raylet_pid(node)).children(recursive=True)
            cluster.remove_node(node, allow_graceful=False)
            for worker in workers:  # a lost machine takes its workers along; orphans here would run on a while
                with contextlib.suppress(psutil.NoSuchProcess):
                    worker.kill()
            report["removed_raylet"] = raylet_pid(node)
            return
        time.sleep(0.2)


def main(recipient: str, donor: str, storage: str, out: str) -> None:
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False})
    nodes = [cluster.add_node(num_cpus=1) for _ in range(2)]
    cluster.wait_for_nodes()
    sweep = parse_sweep(sweep_data(recipient, donor, storage))
    store = ResultsStore(Path(storage) / sweep.name / "results")
    report: dict = {"raylets": [raylet_pid(n) for n in nodes]}
    killer = threading.Thread(target=remove_a_busy_node, args=(cluster, nodes, store, report), daemon=True)
    killer.start()
    outcome = run_sweep(sweep, address=cluster.address)
    killer.join(timeout=1)
    report["statuses"] = outcome.statuses
    Path(out).write_text(json.dumps(report))
    ray.shutdown()  # the driver first: the cluster will not remove the head its driver is connected to
    cluster.shutdown()


if __name__ == "__main__":
    main(*sys.argv[1:5])
