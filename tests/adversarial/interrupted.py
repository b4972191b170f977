"""A sweep whose driver was SIGKILLed midway (its trial workers stopped too), for the tests that
resume one: started in a subprocess as a user would, killed once some rows are stored."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from voxgraft.sweep.ray_processes import reap_orphans
from voxgraft.sweep.store import ResultsStore


def interrupt_sweep(data: dict, sweep_file: Path, min_rows: int, total_rows: int, timeout_s: float = 240) -> Path:
    """Run the sweep in `data` until `min_rows` trial rows are stored, then SIGKILL its driver;
    returns the experiment folder (it holds fewer than `total_rows` rows)."""
    sweep_file.write_text(yaml.safe_dump(data))
    folder = Path(data["storage"]) / data["name"]
    store = ResultsStore(folder / "results")
    driver = subprocess.Popen([sys.executable, "-m", "voxgraft", "sweep", str(sweep_file)], start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + timeout_s
    while time.time() < deadline and (not Path(store.root).exists() or store.trials().num_rows < min_rows):
        time.sleep(0.5)
    os.killpg(driver.pid, signal.SIGKILL)
    driver.wait()
    # its trial workers outlive it for a moment and may still save a checkpoint: stop them, as
    # the next voxgraft start does, before the folder is taken as the reference
    reap_orphans()
    assert min_rows <= store.trials().num_rows < total_rows, "kill the driver mid-sweep"
    return folder
