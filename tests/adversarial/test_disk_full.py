"""A full disk is one line and exit 2, leaves no half-written file, and the same command runs
once there is room. The disk is a real one: a tmpfs of a few pages (mounting needs root)."""

import subprocess

import pytest
import yaml

from tests.adversarial.tmpfs import tmpfs
from tests.conftest import snapshot
from tests.sweep.test_sweep import _sweep_data
from voxgraft.cli import main
from voxgraft.sweep.prepare import SweepError


@pytest.fixture
def small_disk(tmp_path):
    with tmpfs(tmp_path / "disk", "size=64k") as disk:
        yield disk


def _grow(disk):
    subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)


def test_synth_onto_a_full_disk(tiny_recipient, small_disk, tmp_path, capsys):
    model_dir = tiny_recipient[0]
    out = small_disk / "speech.wav"
    before = snapshot(tmp_path)
    assert main(["synth", str(model_dir), "The quick brown fox jumps over the lazy dog. " * 4, str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err == f"error: {out}: cannot write it (No space left on device)"
    assert snapshot(tmp_path) == before and list(small_disk.iterdir()) == []
    _grow(small_disk)
    assert main(["synth", str(model_dir), "The quick brown fox jumps over the lazy dog. " * 4, str(out)]) == 0
    assert out.stat().st_size > 64 * 1024


def test_a_sweep_start_on_a_full_disk_leaves_nothing_and_reruns(tiny_recipient, corpora, small_disk, tmp_path, capsys, monkeypatch):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(_sweep_data(tiny_recipient, corpora, small_disk / "sweeps")))
    before = snapshot(tmp_path)
    assert main(["sweep", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: No space left on device: ") and str(small_disk) in err
    assert snapshot(tmp_path) == before and not (small_disk / "sweeps" / "tiny" / "references").exists()

    def reached(address):
        raise SweepError("reached Ray")

    monkeypatch.setattr("voxgraft.sweep.run._init_ray", reached)  # the rest of a start is tested elsewhere
    _grow(small_disk)
    assert main(["sweep", str(path)]) == 2
    assert capsys.readouterr().err.strip() == "error: reached Ray"
    assert (small_disk / "sweeps" / "tiny" / "references" / "anchors.json").is_file()
