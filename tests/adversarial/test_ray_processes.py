"""The local Ray voxgraft starts is stopped by its process ids: after a driver SIGKILL (Ray's agents
ignore SIGTERM and would run on) the next start stops them; after SIGTERM nothing is left."""

import json
import signal
import subprocess
import sys
import time

import psutil
import pytest

from voxgraft.sweep.ray_processes import _same_process, reap_orphans, records_dir

DRIVER = """
import ray, time
from voxgraft.sweep.ray_processes import start_local_ray
start_local_ray(lambda: ray.init(address="local", include_dashboard=False, log_to_driver=False, configure_logging=False, num_cpus=1))
print("ready", flush=True)
time.sleep(600)
"""
AGENTS = ("DashboardAgent", "RuntimeEnvAgent")


def _names(entries):
    names = []
    for entry in entries:
        process = _same_process(entry)
        if process is not None:
            try:
                names.append(" ".join(process.cmdline()) or process.name())
            except psutil.NoSuchProcess:
                pass
    return names


def _started_driver():
    driver = subprocess.Popen([sys.executable, "-c", DRIVER], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert driver.stdout.readline().strip() == "ready"
    record = records_dir() / f"{driver.pid}.json"
    for _ in range(60):  # the agents start after ray.init returns; the record catches up within seconds
        entries = json.loads(record.read_text())["processes"] if record.exists() else []
        if all(any(agent in name for name in _names(entries)) for agent in AGENTS):
            return driver, record, entries
        time.sleep(1)
    driver.kill()
    pytest.fail(f"the record never listed Ray's agents: {_names(entries)}")


@pytest.mark.slow
def test_agents_orphaned_by_a_killed_driver_are_stopped_by_the_next_start():
    driver, record, entries = _started_driver()
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    time.sleep(5)  # what Ray stops on its own (raylet, workers) has stopped by now
    orphans = _names(entries)
    assert any(agent in name for agent in AGENTS for name in orphans), "Ray no longer orphans its agents: this test is moot"
    assert reap_orphans() >= len([n for n in orphans if any(a in n for a in AGENTS)])
    assert _names(entries) == [] and not record.exists()


@pytest.mark.slow
def test_a_terminated_driver_leaves_no_ray_process():
    driver, record, entries = _started_driver()
    driver.send_signal(signal.SIGTERM)
    driver.wait(timeout=60)
    assert _names(entries) == [] and not record.exists()
