"""A node lost in the middle of a trial (issue 17): Tune reschedules the trial from its last
checkpoint on the node that is left, and the results store holds every (trial, step) exactly
once, with the right final statuses. The cluster is real: three Ray nodes on this machine, in a
process of their own (tests/sweep/node_loss.py)."""

import json
import os
import signal
import subprocess
import sys
from collections import Counter

from tests.sweep.node_loss import EVAL_EVERY, STEPS
from voxgraft.sweep.store import ResultsStore


def test_a_trial_whose_node_is_lost_resumes_elsewhere_with_every_step_once(tiny_recipient, corpora, tmp_path):
    storage, report_path = tmp_path / "sweeps", tmp_path / "report.json"
    args = [sys.executable, "-m", "tests.sweep.node_loss", str(tiny_recipient[0]), str(corpora["cadence_donor"]), str(storage), str(report_path)]
    with subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True) as run:
        try:
            _, stderr = run.communicate(timeout=900)
        finally:
            if run.poll() is None:  # a hung cluster: stop it and the nodes it started
                os.killpg(run.pid, signal.SIGKILL)
    assert run.returncode == 0, stderr[-3000:]
    report = json.loads(report_path.read_text())
    assert report["statuses"] == {"done": 2}
    assert "trial_id" in report, "no node was removed: the trial ended before its first checkpoint"

    rows = ResultsStore(storage / "nodes" / "results").trials().to_pylist()
    keys = Counter((r["trial_id"], r["step"]) for r in rows)
    assert max(keys.values()) == 1
    expected_steps = list(range(EVAL_EVERY, STEPS + 1, EVAL_EVERY))
    for trial in {r["trial_id"] for r in rows}:
        assert sorted(s for t, s in keys if t == trial) == expected_steps

    # the lost worker's steps, then another worker's: resumed from a checkpoint (a restart from
    # scratch would have re-reported step 2 from the new worker) and finished elsewhere
    lost = sorted((r for r in rows if r["trial_id"] == report["trial_id"]), key=lambda r: r["step"])
    pids = [r["worker_pid"] for r in lost]
    switch = next((i for i, pid in enumerate(pids) if pid != report["lost_pid"]), len(pids))
    assert report["step"] // EVAL_EVERY <= switch < len(pids) and set(pids[switch:]) == {pids[-1]}, pids
    assert lost[-1]["status"] == "done" and lost[-1]["checkpoint"]
