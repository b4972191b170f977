"""Issue 34, cases 1, 9 and 10: an export folder is also the user's. A second `pick --export`
into it replaces only what earlier exports wrote (their manifest) and keeps the user's files byte for
byte; a file of theirs in an export's way is refused unless --force; a read-only folder is one
line with nothing left behind; exports get the umask's modes; `--top K` says when fewer exist."""

import json
import os
import stat

import pytest

from tests.adversarial.tmpfs import tmpfs
from tests.conftest import snapshot
from voxgraft.cli import main
from voxgraft.sweep.export_folder import MANIFEST_FILE


def _export(sweep, out, *extra):
    return main(["pick", str(sweep), "--export", str(out), *extra])


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return err


def test_a_second_export_keeps_the_users_files(small_sweep, tmp_path, capsys):
    out = tmp_path / "E"
    assert _export(small_sweep.experiment_dir, out) == 0
    manifest = json.loads((out / MANIFEST_FILE).read_text())
    assert "model.safetensors" in manifest["files"] and "card.json" in manifest["files"]
    # what an earlier export of another format left: listed, so the next export may remove it
    (out / "voice.onnx").write_bytes(b"an earlier export's onnx")
    (out / MANIFEST_FILE).write_text(json.dumps({**manifest, "files": [*manifest["files"], "voice.onnx"]}))
    (out / "mynotes.txt").write_text("my notes")
    (out / "my_takes").mkdir()
    (out / "my_takes" / "a.wav").write_bytes(b"RIFF my take")
    mine = {k: v for k, v in snapshot(out).items() if k in ("mynotes.txt", "my_takes/a.wav")}
    assert _export(small_sweep.experiment_dir, out, "--objective", "heldout_duration_mae") == 0
    capsys.readouterr()
    after = snapshot(out)
    assert {k: after[k] for k in mine} == mine  # the user's, byte for byte
    assert "voice.onnx" not in after and "model.safetensors" in after
    second = json.loads((out / MANIFEST_FILE).read_text())["files"]
    assert set(after) == set(second) | {MANIFEST_FILE, "mynotes.txt", "my_takes/a.wav"}
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no staging left


def test_a_users_file_in_the_exports_way_is_refused_unless_forced(small_sweep, tmp_path, capsys):
    out = tmp_path / "E"
    assert _export(small_sweep.experiment_dir, out) == 0
    (out / MANIFEST_FILE).write_text(json.dumps({"files": ["card.json"]}))  # as if README.md were the user's
    (out / "README.md").write_text("my own readme")
    before = snapshot(tmp_path)
    assert _export(small_sweep.experiment_dir, out) == 2
    err = _one_error_line(capsys)
    assert "README.md is not from an earlier export" in err and "--force" in err
    assert snapshot(tmp_path) == before
    assert _export(small_sweep.experiment_dir, out, "--force") == 0
    assert (out / "README.md").read_text().startswith("# voxgraft transplant")


def test_a_folder_that_is_no_export_is_refused(small_sweep, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("chapter 1")
    before = snapshot(tmp_path)
    assert _export(small_sweep.experiment_dir, out) == 2
    assert "is not a voxgraft export" in _one_error_line(capsys)
    assert snapshot(tmp_path) == before
    assert _export(small_sweep.experiment_dir, out, "--force") == 0  # beside it, never over it
    assert (out / "thesis.tex").read_text() == "chapter 1" and (out / "card.json").exists()


@pytest.fixture
def read_only_folder(tmp_path):
    """A real read-only filesystem (root writes through chmod)."""
    with tmpfs(tmp_path / "ro", "ro,size=64k") as folder:
        yield folder


def test_an_export_into_a_read_only_folder_is_one_line_and_leaves_nothing(small_sweep, read_only_folder, tmp_path, capsys):
    before = snapshot(tmp_path)
    for _ in range(2):  # each try used to leave an empty .*.old.* folder
        assert _export(small_sweep.experiment_dir, read_only_folder / "E") == 2
        assert "is not writable" in _one_error_line(capsys)
    assert snapshot(tmp_path) == before and list(read_only_folder.iterdir()) == []


def test_exports_get_the_umasks_modes(small_sweep, tmp_path):
    old = os.umask(0o022)
    try:
        assert _export(small_sweep.experiment_dir, tmp_path / "E") == 0
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "E").rglob("*")}
    assert modes["model.safetensors"] == 0o644 and modes["samples"] == 0o755
    assert set(modes.values()) <= {0o644, 0o755}
    assert stat.S_IMODE((tmp_path / "E").stat().st_mode) == 0o755


def test_top_k_says_when_fewer_are_eligible(small_sweep, tmp_path, capsys):
    assert _export(small_sweep.experiment_dir, tmp_path / "many", "--top", "9") == 0
    err = capsys.readouterr().err
    exported = [p for p in (tmp_path / "many").iterdir()]
    assert 0 < len(exported) < 9 and f"only {len(exported)} checkpoint(s) are eligible" in err
