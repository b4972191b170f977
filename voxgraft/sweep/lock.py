"""One driver per sweep: a lock file in the sweep folder, a local one or a bucket prefix.

Two drivers on one sweep both run every trial and overwrite each other's rows and checkpoints,
so `sweep` and `sweep --resume` hold `driver.lock` while they run; a second driver is refused
with the holder's host, pid and the lock's age. A lock whose driver is gone is taken over: on
this host when its pid is no longer alive, from any host when its heartbeat (rewritten every
HEARTBEAT_S) is older than STALE_S. Locally the lock is created exclusively (O_EXCL); an object
store has no such call, so a bucket lock is written, then read back after a moment, and the
driver whose token is not the one there backs off."""

from __future__ import annotations

import contextlib
import json
import os
import posixpath
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

from voxgraft import storage
from voxgraft.atomic import atomic_file

LOCK_FILE = "driver.lock"
HEARTBEAT_S = 30.0
STALE_S = 180.0  # six missed heartbeats: its driver (on another host) is gone
SETTLE_S = 1.0  # a bucket lock is read back after this long: a rival's write has landed by then


class SweepLocked(RuntimeError):
    """Another live driver holds the sweep."""


@dataclass(frozen=True)
class Holder:
    host: str
    pid: int
    started: float
    beat: float
    token: str
    process_start: int | None = None  # /proc's start time of pid: a pid reused by another process is not the driver

    def describe(self) -> str:
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.started))
        return f"pid {self.pid} on {self.host}, since {since} (lock {time.time() - self.beat:.0f} s old)"

    def alive(self) -> bool:
        if self.host != socket.gethostname():
            return time.time() - self.beat < STALE_S
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # another user's process: alive
            pass
        return self.process_start is None or process_start(self.pid) in (None, self.process_start)


def process_start(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux /proc), or None elsewhere."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])  # field 22; the name may hold spaces
    except (OSError, ValueError, IndexError):
        return None


def holder_of(directory: str) -> Holder | None:
    """Who holds the sweep in `directory` now (None: nobody, or a lock from a dead driver)."""
    fs, path = storage.resolve(directory)
    holder = _read(fs, posixpath.join(path, LOCK_FILE))
    return holder if holder is not None and holder.alive() else None


def _read(fs, lock: str) -> Holder | None:
    try:
        with fs.open_input_stream(lock) as f:
            return Holder(**json.loads(f.readall()))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError):  # half-written or foreign: no live driver wrote it like that
        return None


@contextmanager
def holding(directory: str) -> Iterator[Holder]:
    """Hold the sweep in `directory` for the block, or raise SweepLocked naming the holder."""
    fs, path = storage.resolve(directory)
    lock = posixpath.join(path, LOCK_FILE)
    now = time.time()
    mine = Holder(socket.gethostname(), os.getpid(), now, now, uuid.uuid4().hex, process_start(os.getpid()))
    _take(fs, path, lock, mine)
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(fs, lock, mine, stop), name="voxgraft-sweep-lock", daemon=True)
    beat.start()
    try:
        yield mine
    finally:
        stop.set()
        beat.join()
        held = _read(fs, lock)
        if held is not None and held.token == mine.token:
            fs.delete_file(lock)


def _take(fs, path: str, lock: str, mine: Holder) -> None:
    held = _read(fs, lock)
    if held is not None and held.alive():
        raise SweepLocked(f"another driver runs this sweep: {held.describe()}; wait for it to finish, or stop it first")
    if storage.is_local(fs):
        fs.create_dir(path, recursive=True)
        if os.path.exists(lock):  # a dead driver's (or an unreadable) lock: taken over
            if held is None and _age_s(lock) < SETTLE_S * 10:  # unreadable because a rival is writing it this moment
                _refuse(fs, lock)
            _remove_stale(fs, lock, held)
        try:
            descriptor = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:  # a rival created it first
            _refuse(fs, lock)
        with os.fdopen(descriptor, "wb") as f:
            f.write(json.dumps(asdict(mine)).encode())
        return
    _write(fs, lock, mine)
    time.sleep(SETTLE_S)
    held = _read(fs, lock)
    if held is None or held.token != mine.token:
        _refuse(fs, lock)


def _age_s(path: str) -> float:
    try:
        return time.time() - os.stat(path).st_mtime
    except FileNotFoundError:
        return float("inf")


def _remove_stale(fs, lock: str, stale: Holder | None) -> None:
    """Move the dead driver's lock aside; should a rival have replaced it with a live one in the
    meantime, put that one back and refuse."""
    aside = f"{lock}.stale.{os.getpid()}"
    try:
        os.rename(lock, aside)
    except FileNotFoundError:  # a rival moved it first: the exclusive create decides
        return
    moved = _read(fs, aside)
    if stale is not None and (moved is None or moved.token != stale.token):
        with contextlib.suppress(FileExistsError):
            os.link(aside, lock)
        os.unlink(aside)
        _refuse(fs, lock)
    os.unlink(aside)


def _refuse(fs, lock: str):
    held = _read(fs, lock)
    raise SweepLocked(f"another driver runs this sweep: {held.describe() if held else 'it started at the same moment'}; "
                      "wait for it to finish, or stop it first")


def _heartbeat(fs, lock: str, mine: Holder, stop: threading.Event) -> None:
    """Rewrite the lock's beat while the driver lives (never over a lock that is not ours)."""
    while not stop.wait(HEARTBEAT_S):
        held = _read(fs, lock)
        if held is None or held.token != mine.token:
            return
        try:
            _write(fs, lock, Holder(**{**asdict(mine), "beat": time.time()}))
        except OSError:  # a full disk or a lost bucket: the next beat tries again
            continue


def _write(fs, lock: str, holder: Holder) -> None:
    data = json.dumps(asdict(holder)).encode()
    if storage.is_local(fs):
        with atomic_file(lock) as tmp:
            tmp.write_bytes(data)
    else:
        with fs.open_output_stream(lock) as f:
            f.write(data)
