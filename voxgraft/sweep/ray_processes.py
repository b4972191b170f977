"""The local Ray that voxgraft starts, stopped by its process ids.

Ray's dashboard and runtime-env agents ignore SIGTERM and outlive a driver that was SIGKILLed. So
while a local Ray runs, its processes are recorded (pid and start time) in a file per driver, and
every start first stops the recorded processes of drivers that are gone. Start at `start_local_ray`.
"""

from __future__ import annotations

import atexit
import json
import os
import tempfile
import threading
from pathlib import Path

import psutil

REFRESH_S = 2.0  # the agents start after ray.init returns, so the record is refreshed while Ray runs
STOP_GRACE_S = 3.0
_record = None  # this process's ProcessRecord, once it started a local Ray


def records_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"voxgraft-ray-{os.getuid()}"


def _identity(process: psutil.Process) -> dict:
    return {"pid": process.pid, "created": process.create_time()}


def _same_process(entry: dict) -> psutil.Process | None:
    """The process the entry names, or None when it ended (a reused pid has another start time)."""
    try:
        process = psutil.Process(entry["pid"])
        return process if abs(process.create_time() - entry["created"]) < 0.01 else None
    except (psutil.NoSuchProcess, psutil.AccessDenied, KeyError, TypeError):
        return None


def _is_ray(process: psutil.Process) -> bool:
    """Ray's servers run from the ray package; its agents and workers retitle themselves `ray::…`."""
    command = process.cmdline()
    return bool(command) and (command[0].startswith("ray::") or any(f"{os.sep}ray{os.sep}" in part for part in command))


class ProcessRecord:
    """This driver's Ray processes, rewritten every REFRESH_S seconds while Ray runs."""

    def __init__(self):
        records_dir().mkdir(parents=True, exist_ok=True)
        self.path = records_dir() / f"{os.getpid()}.json"
        self.driver = _identity(psutil.Process())
        self.seen: dict[int, dict] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._refresh_until_stopped, name="voxgraft-ray-record", daemon=True)

    def start(self) -> ProcessRecord:
        self.refresh()
        self._thread.start()
        return self

    def refresh(self) -> None:
        for child in psutil.Process().children(recursive=True):
            try:
                if _is_ray(child):  # not the driver's other children (a test's subprocesses, say)
                    self.seen.setdefault(child.pid, _identity(child))
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        partial = self.path.with_suffix(".partial")
        partial.write_text(json.dumps({"driver": self.driver, "processes": list(self.seen.values())}))
        partial.replace(self.path)

    def _refresh_until_stopped(self) -> None:
        while not self._stop.wait(REFRESH_S):
            self.refresh()

    def close(self) -> int:
        """Stop recording, stop whatever recorded process still runs, and drop the record."""
        self._stop.set()
        stopped = stop_processes(list(self.seen.values()))
        self.path.unlink(missing_ok=True)
        return stopped


def stop_processes(entries: list[dict]) -> int:
    """SIGTERM, then SIGKILL for what ignores it; returns how many were still running."""
    running = [p for p in (_same_process(e) for e in entries) if p is not None]
    for process in running:
        try:
            process.terminate()
        except psutil.NoSuchProcess:
            pass
    _, stubborn = psutil.wait_procs(running, timeout=STOP_GRACE_S)
    for process in stubborn:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(stubborn, timeout=STOP_GRACE_S)
    return len(running)


def reap_orphans() -> int:
    """Stop the recorded Ray processes of voxgraft drivers that are no longer running."""
    stopped = 0
    for path in sorted(records_dir().glob("*.json")) if records_dir().is_dir() else []:
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            path.unlink(missing_ok=True)  # a record cut short by a kill names nothing reliably
            continue
        if _same_process(record.get("driver", {})) is not None:
            continue  # that driver still runs its sweep
        stopped += stop_processes(record.get("processes", []))
        path.unlink(missing_ok=True)
    return stopped


def start_local_ray(init) -> int:
    """Stop orphans of earlier drivers, run `init` (which starts Ray) and record what it started.
    Returns how many orphaned processes were stopped."""
    global _record
    orphans = reap_orphans()
    init()
    if _record is None:  # one record per process, also when Ray is started again in it
        _record = ProcessRecord().start()
        atexit.register(_shutdown, _record)  # after a normal end, Ctrl-C or SIGTERM (Ray's handler exits)
    return orphans


def _shutdown(record: ProcessRecord) -> None:
    import ray

    ray.shutdown()
    record.close()
