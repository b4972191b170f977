"""A sweep that lives in a bucket (moto's S3 server on this machine): started, SIGKILLed,
resumed from another working directory with only its URI, reported and picked from there.
Rows exactly once; nothing on the driver's disk that the bucket lacks; the test's credentials
in no file of the sweep."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from tests.local_s3 import ACCESS_KEY, SECRET_KEY, local_s3
from tests.sweep.test_sweep import _sweep_data
from voxgraft import storage
from voxgraft.sweep.ray_processes import reap_orphans
from voxgraft.sweep.store import ResultsStore

URI = "s3://bucket/sweeps/tiny"


def _voxgraft(args: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "voxgraft", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def _bucket_files(uri: str) -> dict[str, bytes]:
    fs, root = storage.resolve(uri)
    return {relative: fs.open_input_stream(info.path).read() for relative, info in storage.files_under(fs, root).items()}


def _start_and_kill(sweep_file: Path, cwd: Path, env: dict) -> int:
    """Start the sweep, SIGKILL its driver once two rows are in the bucket; the rows stored then."""
    store = ResultsStore(f"{URI}/results")
    driver = subprocess.Popen([sys.executable, "-m", "voxgraft", "sweep", str(sweep_file)], cwd=cwd, env=env,
                              start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and store.trials().num_rows < 2:
        time.sleep(0.5)
    os.killpg(driver.pid, signal.SIGKILL)
    driver.wait()
    reap_orphans()  # its workers would otherwise report on for a moment
    return store.trials().num_rows


def test_a_sweep_in_a_bucket_runs_resumes_reports_and_picks_from_anywhere(tiny_recipient, corpora, tmp_path, monkeypatch):
    data = _sweep_data(tiny_recipient, corpora, "s3://bucket/sweeps", scheduler={"type": "none"})
    data["search"] |= {"organs": ["decoder"], "lr": [1e-4, 1e-3], "steps": 6, "eval_every": 2}
    sweep_file = tmp_path / "sweep.yaml"
    sweep_file.write_text(yaml.safe_dump(data))
    start, elsewhere, home = tmp_path / "start", tmp_path / "elsewhere", tmp_path / "home"
    for folder in (start, elsewhere, home):
        folder.mkdir()
    with local_s3("bucket") as env:
        env |= {"HOME": str(home), "MPLCONFIGDIR": str(tmp_path / "matplotlib")}  # matplotlib's font cache is not ours
        for key in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
            monkeypatch.setenv(key, env[key])  # so this test reads the bucket too

        assert 2 <= _start_and_kill(sweep_file, start, env) < 6, "kill the driver mid-sweep"
        resumed = _voxgraft(["sweep", "--resume", URI], elsewhere, env)
        assert resumed.returncode == 0, resumed.stderr[-2000:]
        rows = ResultsStore(f"{URI}/results").trials().to_pylist()
        assert sorted(r["step"] for r in rows) == [2, 2, 4, 4, 6, 6] and len({r["trial_id"] for r in rows}) == 2
        assert {r["status"] for r in rows if r["step"] == 6} == {"done"}
        assert all(r["checkpoint"] is None or r["checkpoint"].startswith(f"{URI}/") for r in rows)

        scratch = elsewhere / "scratch"
        report = _voxgraft(["report", URI, "--scratch", str(scratch)], elsewhere, env)
        assert report.returncode == 0, report.stderr[-2000:]
        picked = _voxgraft(["pick", URI, "--scratch", str(scratch), "--export", str(elsewhere / "best")], elsewhere, env)
        assert picked.returncode == 0, picked.stderr[-2000:]

        bucket = _bucket_files(URI)
        copy = scratch / "s3" / "bucket" / "sweeps" / "tiny"
        card = json.loads((elsewhere / "best" / "card.json").read_text())
        assert Path(card["source_checkpoint"]).is_relative_to(copy)
        assert {"report/index.html", "report/summary.md"} <= set(bucket)
        # the working copy is the bucket's, less the weights of what pick did not open
        copied = {p.relative_to(copy).as_posix(): p.read_bytes() for p in copy.rglob("*") if p.is_file()}
        assert all(bucket.get(relative) == content for relative, content in copied.items())
        fetched = [r for r in copied if r.endswith(".safetensors")]
        assert fetched and all(r.startswith(Path(card["source_checkpoint"]).relative_to(copy).as_posix()) for r in fetched)
        # samples only of the two trials' best checkpoints the report plays, of the four the bucket keeps
        with_samples = lambda files: {r.rsplit("/samples/", 1)[0] for r in files if "/samples/" in r}  # noqa: E731
        assert len(with_samples(bucket)) == 4 and len(with_samples(copied)) == 2
        # nothing else on the driver's disk: the starting folder stays empty, and so does HOME but for Ray's token
        assert list(start.iterdir()) == [] and sorted(p.name for p in elsewhere.iterdir()) == ["best", "scratch"]
        assert not [p for p in home.rglob("*") if p.is_file() and p.name != "auth_token"]
        for relative, content in bucket.items():
            assert ACCESS_KEY.encode() not in content and SECRET_KEY.encode() not in content, relative
