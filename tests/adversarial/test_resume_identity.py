"""Issue 34, cases 2-6 and 9: what happens to a sweep between runs. Each test resumes its own
copy of one interrupted sweep (and of its recipient), so what a refusal must not change can be
compared byte for byte."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from safetensors.torch import load_file, save_file

from tests.adversarial.interrupted import interrupt_sweep
from tests.conftest import snapshot
from tests.sweep.test_sweep import _sweep_data
from voxgraft.cli import main
from voxgraft.layout import SPEC_FILE
from voxgraft.sweep.lock import LOCK_FILE
from voxgraft.sweep.store import ResultsStore

TOTAL_ROWS = 6  # 2 trials x 3 evaluations


@pytest.fixture(scope="module")
def interrupted(local_ray, tiny_recipient, corpora, tmp_path_factory):
    base = tmp_path_factory.mktemp("interrupted")
    recipient = base / "recipient"
    shutil.copytree(tiny_recipient[0], recipient, ignore=shutil.ignore_patterns("training_state.pt"))
    data = _sweep_data((recipient, None, None), corpora, base / "sweeps", scheduler={"type": "none"})
    data["search"] |= {"organs": ["decoder"], "lr": [1e-4, 1e-3], "steps": 6, "eval_every": 2}
    data["keep_checkpoints"] = 1
    return interrupt_sweep(data, base / "sweep.yaml", min_rows=2, total_rows=TOTAL_ROWS), recipient


def _copy(interrupted, tmp_path) -> tuple[Path, Path]:
    """The interrupted sweep and its recipient, copied under tmp_path; the copy's spec names the
    copied recipient."""
    folder, recipient = interrupted
    sweep, model = tmp_path / "sweeps" / folder.name, tmp_path / "recipient"
    shutil.copytree(folder, sweep)
    shutil.copytree(recipient, model)
    spec = json.loads((sweep / SPEC_FILE).read_text())
    spec["sweep"]["recipient"] = spec["context"]["recipient"] = str(model)
    (sweep / SPEC_FILE).write_text(json.dumps(spec))
    return sweep, model


def _swap_weights(model: Path) -> None:
    """Other recipient weights under the same path (as a user replacing model.safetensors)."""
    tensors = load_file(str(model / "model.safetensors"))
    key = next(k for k in tensors if k.startswith("decoder."))
    tensors[key] = tensors[key] + 0.05
    save_file(tensors, str(model / "model.safetensors"), metadata={"format": "pt"})


def _refused(argv, tmp_path, capsys, needle) -> str:
    before = snapshot(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err, err
    assert snapshot(tmp_path) == before
    return err


def test_case2_resume_on_swapped_recipient_weights_is_refused_before_ray(interrupted, tmp_path, capsys):
    sweep, model = _copy(interrupted, tmp_path)
    _swap_weights(model)
    err = _refused(["sweep", "--resume", str(sweep)], tmp_path, capsys, "changed since this sweep began")
    assert str(model) in err and "sha256" in err


def test_case2_and_5_on_a_cluster_each_trial_refuses_the_swapped_recipient_with_its_reason(interrupted, tmp_path, capsys):
    """On a cluster the recipient is read where the trials run: each trial checks it, and its
    error row carries Ray's error text, at the trial's last stored step."""
    import ray

    sweep, model = _copy(interrupted, tmp_path)
    store = ResultsStore(sweep / "results")
    last_before = {r["trial_id"]: r["step"] for r in store.trials().to_pylist()}
    _swap_weights(model)
    address = ray.get_runtime_context().gcs_address  # the session's Ray, reached as a cluster is
    assert main(["sweep", "--resume", str(sweep), "--address", address]) in (0, 1)  # 1 unless a trial had finished
    capsys.readouterr()
    last = {}
    for row in store.trials().to_pylist():
        last[row["trial_id"]] = row if row["trial_id"] not in last or row["step"] >= last[row["trial_id"]]["step"] else last[row["trial_id"]]
    unfinished = [t for t, r in last.items() if r["step"] < 6]
    assert unfinished, "some trial must have been unfinished when the driver was killed"
    for trial in unfinished:
        row = last[trial]
        assert row["status"] == "error" and "RecipientChanged" in row["message"], row["message"]
        assert "is not the recipient this sweep began with" in row["message"]
        assert row["step"] == last_before.get(trial, 0)  # on its last step, not on a new row at step 0
    assert main(["report", str(sweep), "--out", str(tmp_path / "report")]) == 0
    summary = (tmp_path / "report" / "summary.md").read_text()
    assert f"{len(unfinished)} of {len(last)} trials failed with an error" in summary and "trials rejected" not in summary


def test_case3_two_drivers_started_together_exactly_one_runs(interrupted, tmp_path):
    sweep, _ = _copy(interrupted, tmp_path)
    command = [sys.executable, "-m", "voxgraft", "sweep", "--resume", str(sweep)]
    drivers = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(d.wait(timeout=400), d.stderr.read()) for d in drivers]
    assert sorted(code for code, _ in results) == [0, 2], results
    refused = next(err for code, err in results if code == 2).strip().splitlines()
    assert len(refused) == 1 and "another driver runs this sweep: pid " in refused[0] and " s old)" in refused[0]
    rows = ResultsStore(sweep / "results").trials().to_pylist()
    keys = [(r["trial_id"], r["step"]) for r in rows]
    assert len(keys) == len(set(keys)) == TOTAL_ROWS
    assert all(r["status"] == "done" for r in rows if r["step"] == 6) and {r["step"] for r in rows} == {2, 4, 6}
    assert not (sweep / LOCK_FILE).exists()


def test_case3_a_live_drivers_lock_is_named_to_report_and_pick(interrupted, tmp_path, capsys):
    from voxgraft.sweep.lock import holding

    sweep, _ = _copy(interrupted, tmp_path)
    with holding(str(sweep)):
        _refused(["sweep", "--resume", str(sweep)], tmp_path / "sweeps", capsys, "another driver runs this sweep")
        assert main(["report", str(sweep), "--out", str(tmp_path / "report")]) == 0
        assert "note: a driver still runs" in capsys.readouterr().err


def test_case4_resume_without_tunes_experiment_state_is_refused(interrupted, tmp_path, capsys):
    sweep, _ = _copy(interrupted, tmp_path)
    for state in sweep.glob("experiment_state-*.json"):
        state.unlink()
    _refused(["sweep", "--resume", str(sweep)], tmp_path, capsys, "Ray Tune's state is not whole (no experiment_state-*.json)")


def test_case9_a_truncated_tuner_pkl_is_one_line(interrupted, tmp_path, capsys):
    sweep, _ = _copy(interrupted, tmp_path)
    pkl = sweep / "tuner.pkl"
    pkl.write_bytes(pkl.read_bytes()[: pkl.stat().st_size // 2])
    _refused(["sweep", "--resume", str(sweep)], tmp_path, capsys, "cannot read its tuner.pkl")


@pytest.mark.parametrize("extra, named", [(["smoke"], "a sweep file"), (["--recipient", "/elsewhere"], "--recipient"),
                                          (["--donor", "/elsewhere"], "--donor")])
def test_case6_resume_with_a_sweep_file_or_overrides_is_refused(interrupted, tmp_path, capsys, extra, named):
    sweep, _ = _copy(interrupted, tmp_path)
    err = _refused(["sweep", *extra, "--resume", str(sweep)], tmp_path, capsys, "would change what it is")
    assert named in err


def test_case2_a_checkpoint_of_another_recipient_is_refused_when_a_trial_restores_it(interrupted, tmp_path, capsys):
    """A sweep begun before the spec recorded the recipient's hash: the checkpoint's own
    recipient_sha256 still stops a trial loading its organs into other weights."""
    import ray

    sweep, model = _copy(interrupted, tmp_path)
    spec = json.loads((sweep / SPEC_FILE).read_text())
    del spec["context"]["recipient_sha256"]
    (sweep / SPEC_FILE).write_text(json.dumps(spec))
    _swap_weights(model)
    assert main(["sweep", "--resume", str(sweep), "--address", ray.get_runtime_context().gcs_address]) == 1
    capsys.readouterr()
    messages = [r["message"] for r in ResultsStore(sweep / "results").trials().to_pylist() if r["status"] == "error"]
    assert any("RecipientChanged: checkpoint" in m and "was trained on recipient" in m for m in messages), messages
