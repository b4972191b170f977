"""`voxgraft cluster check`: node types, trials per node and GPU memory per trial, from the
repository's own cluster.yaml and variants of it; bad files are one line and exit 2."""

import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import snapshot
from voxgraft.cli import main

ROOT = Path(__file__).resolve().parent.parent
CLUSTER = ROOT / "cluster.yaml"


def _variant(tmp_path: Path, change) -> str:
    config = yaml.safe_load(CLUSTER.read_text())
    change(config)
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def _measurement(tmp_path: Path, device: str, peak_mb: float) -> str:
    path = tmp_path / "step.json"
    path.write_text(json.dumps({"device": device, "batch_size": 16, "steps": 3, "before_mb": 900.0, "peak_mb": peak_mb,
                                "organs": "cadence", "alignment": "forced"}))
    return str(path)


def test_the_repositorys_cluster_places_cadence_trials_four_to_a_gpu_worker(capsys):
    assert main(["cluster", "check", str(CLUSTER), "--sweep", "cadence"]) == 0
    out = capsys.readouterr().out
    assert "head, head (runs the driver): m5.2xlarge: 2 CPU, no GPU" in out
    assert "gpu_worker_24gb, worker, up to 8: g5.xlarge: 4 CPU, 1 GPU of 24 GB" in out
    assert "4 at once per gpu_worker_24gb node" in out and "at most 32 trials at once" in out
    assert "6 GB, unmeasured" in out


@pytest.mark.parametrize(("peak_mb", "code", "says"), [
    (3000.0, 0, "6 GB share, 3.4 GB measured (cadence at batch 16): fits"),
    (8000.0, 2, "problem: a trial needs 8.3 GB (cadence at batch 16, measured on a GPU, with CUDA context) but gets a 6 GB share "
                "of a 24 GB GPU on gpu_worker_24gb: raise resources.gpu to 0.35 or more"),
])
def test_a_gpu_measurement_decides_whether_a_trials_share_holds_it(tmp_path, capsys, peak_mb, code, says):
    assert main(["cluster", "check", str(CLUSTER), "--sweep", "cadence", "--measured", _measurement(tmp_path, "cuda", peak_mb)]) == code
    captured = capsys.readouterr()
    assert says in captured.out + captured.err


def test_a_cpu_measurement_is_not_taken_for_gpu_memory(tmp_path, capsys):
    assert main(["cluster", "check", str(CLUSTER), "--sweep", "cadence", "--measured", _measurement(tmp_path, "cpu", 900.0)]) == 0
    assert "the measurement given was on cpu, which does not translate to GPU memory" in capsys.readouterr().out


def test_a_trial_no_worker_can_hold_and_a_head_with_a_gpu_are_problems(tmp_path, capsys):
    sweep = tmp_path / "big.yaml"
    sweep.write_text(yaml.safe_dump({"name": "big", "recipient": "r", "donor": "d", "search": {"organs": ["decoder"], "lr": [1e-4]},
                                     "resources": {"cpu": 4, "gpu": 2}}))

    def gpu_head(config):
        config["available_node_types"]["head"] |= {"resources": {}}
        config["available_node_types"]["head"]["node_config"]["InstanceType"] = "g5.xlarge"

    cluster = _variant(tmp_path, gpu_head)
    assert main(["cluster", "check", cluster, "--sweep", str(sweep)]) == 2
    err = capsys.readouterr().err
    assert "problem: the head node type head has 1 GPU: trials would train beside the driver" in err
    assert "problem: a trial of big asks for 4 CPU and 2 GPU: no worker node type has that, so trials would wait forever" in err


@pytest.mark.parametrize(("kind", "says"), [
    ("schema", "cluster.yaml: top level: Additional properties are not allowed ('max_wrokers' was unexpected) (Ray's cluster schema)"),
    ("yaml", "cluster.yaml: not a readable YAML file"),
    ("measurement", "step.json: not a measurement written by `voxgraft plan --memory ... --save`"),
])
def test_bad_files_are_one_line_and_exit_2(tmp_path, capsys, kind, says):
    args = ["cluster", "check", str(CLUSTER), "--sweep", "cadence"]
    if kind == "schema":
        args[2] = _variant(tmp_path, lambda c: c.update(max_wrokers=3))
    elif kind == "yaml":
        (tmp_path / "cluster.yaml").write_text("a: [unclosed")
        args[2] = str(tmp_path / "cluster.yaml")
    else:
        (tmp_path / "step.json").write_text('{"device": "cuda"}')
        args += ["--measured", str(tmp_path / "step.json")]
    before = snapshot(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and says in err
    assert snapshot(tmp_path) == before
