"""Bad input around bucket storage (moto's S3 server on this machine, no Ray): credentials in a
storage URI, a bucket folder that is not a sweep or already holds one, a missing bucket, and an
object whose name leads outside the working copy. Each: one line, exit 2, nothing written
outside the folder meant for it."""

import boto3
import pytest
import yaml

from tests.conftest import snapshot
from tests.local_s3 import local_s3
from voxgraft.cli import main
from voxgraft.layout import SPEC_FILE
from voxgraft.search_spaces.schema import parse_sweep
from voxgraft.search_spaces.spec import SweepSpec
from voxgraft.sweep.store import ResultsStore, report_row

SECRET = "SECRETVALUE0123"


@pytest.fixture(scope="module")
def s3():
    with local_s3("bucket") as env:
        yield env


@pytest.fixture
def bucket(s3, monkeypatch):
    for key in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        monkeypatch.setenv(key, s3[key])
    return boto3.client("s3", endpoint_url=s3["AWS_ENDPOINT_URL"])


def _sweep_file(tmp_path, storage: str, name: str = "tiny") -> str:
    data = {"name": name, "recipient": str(tmp_path / "recipient"), "donor": str(tmp_path / "donor"), "storage": storage,
            "search": {"organs": ["cadence"], "lr": [1e-3]}}
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def _one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    return lines[0]


@pytest.mark.parametrize("storage", [f"s3://AKIAKEY:{SECRET}@bucket/sweeps", f"s3://bucket/sweeps?access_key=AKIAKEY&secret_key={SECRET}"])
def test_a_storage_uri_that_carries_credentials_is_refused_without_repeating_them(storage, tmp_path, capsys):
    path = _sweep_file(tmp_path, storage)
    before = snapshot(tmp_path)
    assert main(["sweep", path]) == 2
    line = _one_error_line(capsys)
    assert "give credentials through the environment" in line and SECRET not in line
    assert snapshot(tmp_path) == before


def test_a_bucket_folder_that_holds_a_sweep_is_not_started_again(bucket, tmp_path, capsys):
    bucket.put_object(Bucket="bucket", Key=f"sweeps/taken/{SPEC_FILE}", Body=b"{}")
    path = _sweep_file(tmp_path, "s3://bucket/sweeps", name="taken")
    before = snapshot(tmp_path)
    assert main(["sweep", path]) == 2
    assert _one_error_line(capsys) == ("error: s3://bucket/sweeps/taken already holds a sweep: continue it with --resume "
                                       "s3://bucket/sweeps/taken, or give another name or --storage")
    assert snapshot(tmp_path) == before
    assert [o["Key"] for o in bucket.list_objects_v2(Bucket="bucket", Prefix="sweeps/taken/")["Contents"]] == [f"sweeps/taken/{SPEC_FILE}"]


@pytest.mark.parametrize("command", ["report", "pick"])
@pytest.mark.parametrize(("uri", "says"), [("s3://bucket/nothing", "not a voxgraft sweep"), ("s3://no-such-bucket/x", "no-such-bucket")])
def test_report_and_pick_refuse_what_is_not_a_sweep_in_a_bucket(bucket, tmp_path, capsys, command, uri, says):
    before = snapshot(tmp_path)
    export = ["--export", str(tmp_path / "out")] if command == "pick" else []
    assert main([command, uri, "--scratch", str(tmp_path / "scratch"), *export]) == 2
    assert says in _one_error_line(capsys)
    assert snapshot(tmp_path) == before


def test_an_object_whose_name_leads_outside_the_working_copy_is_refused(bucket, tmp_path, capsys):
    bucket.put_object(Bucket="bucket", Key=f"sweeps/evil/{SPEC_FILE}", Body=b"{}")
    bucket.put_object(Bucket="bucket", Key="sweeps/evil/../../../../../../outside.txt", Body=b"planted")
    before = snapshot(tmp_path)
    assert main(["report", "s3://bucket/sweeps/evil", "--scratch", str(tmp_path / "scratch")]) == 2
    assert "leads outside the working copy" in _one_error_line(capsys)
    assert snapshot(tmp_path) == before and not (tmp_path.parent / "outside.txt").exists()


def test_a_scratch_folder_of_someone_elses_files_is_never_synced_over(bucket, tmp_path, capsys):
    bucket.put_object(Bucket="bucket", Key=f"sweeps/mine/{SPEC_FILE}", Body=b"{}")
    theirs = tmp_path / "scratch" / "s3" / "bucket" / "sweeps" / "mine"
    theirs.mkdir(parents=True)
    (theirs / "thesis.tex").write_text("years of work")
    before = snapshot(tmp_path)
    assert main(["report", "s3://bucket/sweeps/mine", "--scratch", str(tmp_path / "scratch")]) == 2
    assert "holds files that are not a working copy of a sweep" in _one_error_line(capsys)
    assert snapshot(tmp_path) == before


def test_a_local_resume_without_the_sweeps_recipient_here_is_refused_before_ray(bucket, tmp_path, capsys):
    sweep = parse_sweep({"name": "away", "recipient": "/elsewhere/recipient", "donor": "/elsewhere/donor",
                         "search": {"organs": ["cadence"], "lr": [1e-3]}, "storage": "s3://bucket/sweeps"}, "test")
    context = {"recipient": "/elsewhere/recipient", "donor": "/elsewhere/donor", "heldout": 4, "memory_budget_gb": 24.0, "anchors": {}}
    bucket.put_object(Bucket="bucket", Key=f"sweeps/away/{SPEC_FILE}", Body=SweepSpec(sweep, context).to_json().encode())
    before = snapshot(tmp_path)
    assert main(["sweep", "--resume", "s3://bucket/sweeps/away"]) == 2
    assert _one_error_line(capsys) == ("error: the sweep's recipient /elsewhere/recipient is not on this machine: resume where it is, "
                                       "or pass --address of a cluster whose nodes have it")
    assert snapshot(tmp_path) == before  # (the check runs before Ray starts: run.resume_sweep)


def test_a_bucket_store_that_names_a_checkpoint_outside_its_sweep_is_refused(bucket, tmp_path, capsys):
    victim = tmp_path / "victim"
    (victim / "transplant").mkdir(parents=True)  # looks kept, so pick would open it
    row = report_row("abs", "t1", {"step": 2, "training_iteration": 1, "heldout_loss": 0.5, "config": {"lr": 1e-3}},
                     checkpoint=str(victim)) | {"rejected": False, "status": "done"}
    ResultsStore("s3://bucket/sweeps/abs/results").write_sealed([row])
    before = snapshot(tmp_path)
    assert main(["pick", "s3://bucket/sweeps/abs", "--scratch", str(tmp_path / "scratch"), "--export", str(tmp_path / "out"),
                 "--recipient", str(tmp_path / "victim")]) == 2
    assert "names a checkpoint outside the sweep" in _one_error_line(capsys)
    assert {k: v for k, v in snapshot(tmp_path).items() if not k.startswith("scratch/")} == before
