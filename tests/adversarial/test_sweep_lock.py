"""Issue 34, case 3: the sweep lock itself, in a folder and in a bucket (moto's S3 server):
held once, refused with its holder, taken over from a dead driver, gone when released."""

import json
import os
import socket
import subprocess
import sys
import threading
import time

import boto3
import pytest

from tests.local_s3 import local_s3
from voxgraft.sweep import lock
from voxgraft.sweep.lock import LOCK_FILE, SweepLocked, holder_of, holding


def test_a_held_folder_is_refused_with_its_holder_and_free_after(tmp_path):
    with holding(str(tmp_path)) as mine:
        assert holder_of(str(tmp_path)) == mine
        with pytest.raises(SweepLocked, match=rf"another driver runs this sweep: pid {os.getpid()} on {socket.gethostname()}, since .* s old\)"):
            with holding(str(tmp_path)):
                pass
    assert not (tmp_path / LOCK_FILE).exists() and holder_of(str(tmp_path)) is None


def test_a_dead_drivers_lock_is_taken_over(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    now = time.time()
    (tmp_path / LOCK_FILE).write_text(json.dumps({"host": socket.gethostname(), "pid": int(dead.stdout), "started": now,
                                                  "beat": now, "token": "dead"}))
    assert holder_of(str(tmp_path)) is None
    with holding(str(tmp_path)) as mine:
        assert json.loads((tmp_path / LOCK_FILE).read_text())["token"] == mine.token
    assert not list(tmp_path.iterdir())  # neither lock nor the stale one moved aside


def test_a_reused_pid_is_not_the_driver(tmp_path):
    """The lock's pid alive again as another process (its start time differs): stale."""
    now = time.time()
    (tmp_path / LOCK_FILE).write_text(json.dumps({"host": socket.gethostname(), "pid": 1, "started": now, "beat": now,
                                                  "token": "old", "process_start": lock.process_start(1) + 1}))
    assert holder_of(str(tmp_path)) is None


@pytest.mark.parametrize("age_s, taken", [(10, False), (lock.STALE_S + 10, True)])
def test_another_hosts_lock_is_stale_only_when_its_heartbeat_stopped(tmp_path, age_s, taken):
    beat = time.time() - age_s
    (tmp_path / LOCK_FILE).write_text(json.dumps({"host": "node-7", "pid": 4242, "started": beat, "beat": beat, "token": "far"}))
    if taken:
        with holding(str(tmp_path)):
            pass
    else:
        with pytest.raises(SweepLocked, match="pid 4242 on node-7"):
            with holding(str(tmp_path)):
                pass


def test_two_takers_at_once_one_wins(tmp_path):
    outcomes = []
    barrier = threading.Barrier(2)

    def take():
        barrier.wait()
        try:
            with holding(str(tmp_path)):
                outcomes.append("held")
                time.sleep(0.5)
        except SweepLocked:
            outcomes.append("refused")

    threads = [threading.Thread(target=take) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["held", "refused"]


def test_a_bucket_prefix_is_locked_too(monkeypatch):
    with local_s3("bucket") as env:
        for key in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
            monkeypatch.setenv(key, env[key])
        client = boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"])
        with holding("s3://bucket/sweeps/one"):
            assert client.head_object(Bucket="bucket", Key=f"sweeps/one/{LOCK_FILE}")
            with pytest.raises(SweepLocked, match="another driver runs this sweep"):
                with holding("s3://bucket/sweeps/one"):
                    pass
        keys = [o["Key"] for o in client.list_objects_v2(Bucket="bucket", Prefix="sweeps/one/").get("Contents", [])]
        assert keys in ([], ["sweeps/one/"])  # pyarrow keeps an emptied folder as an empty marker object


def test_an_unreadable_lock_is_a_rival_mid_write_when_fresh_and_stale_when_old(tmp_path):
    (tmp_path / LOCK_FILE).write_bytes(b"")  # created by O_EXCL, its holder not yet written
    with pytest.raises(SweepLocked, match="it started at the same moment"):
        with holding(str(tmp_path)):
            pass
    old = time.time() - 60
    os.utime(tmp_path / LOCK_FILE, (old, old))
    with holding(str(tmp_path)) as mine:
        assert json.loads((tmp_path / LOCK_FILE).read_text())["token"] == mine.token


def test_the_heartbeat_refreshes_a_held_lock(tmp_path, monkeypatch):
    monkeypatch.setattr(lock, "HEARTBEAT_S", 0.05)
    with holding(str(tmp_path)) as mine:
        time.sleep(0.5)
        held = json.loads((tmp_path / LOCK_FILE).read_text())
        assert held["token"] == mine.token and held["beat"] > mine.beat
        assert [p.name for p in tmp_path.iterdir()] == [LOCK_FILE]  # no temporary file left beside it
