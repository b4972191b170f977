"""Never delete what voxgraft did not write: an output folder holding a user's files is refused
(exit 2, one line, nothing changed) unless --force; voxgraft's own artifacts are replaced."""

import pytest

from tests.conftest import snapshot
from voxgraft.atomic import ForeignFolderError, check_replaceable
from voxgraft.cli import main


@pytest.fixture
def foreign(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "important.txt").write_text("a user's file")
    return folder


def _refused(argv, tmp_path, capsys, needle):
    before = snapshot(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err and "--force" in err
    assert snapshot(tmp_path) == before


def test_pick_refuses_to_export_over_a_users_folder(foreign, tmp_path, capsys):
    _refused(["pick", str(tmp_path / "no_sweep"), "--export", str(foreign)], tmp_path, capsys, "is not a voxgraft export")


def test_pretrain_refuses_a_users_folder(corpora, foreign, tmp_path, capsys):
    _refused(["pretrain", str(corpora["recipient"]), str(foreign), "--steps", "1"], tmp_path, capsys, "is not a voxgraft pretrained model")


def test_style_adapt_refuses_a_users_folder(corpora, foreign, tmp_path, capsys):
    argv = ["style", "adapt", str(tmp_path / "model"), str(corpora["recipient"]), "--out", str(foreign)]
    _refused(argv, tmp_path, capsys, "is not a voxgraft style adapter")


def test_empty_absent_own_and_forced_folders_may_be_replaced(tmp_path, foreign):
    check_replaceable(tmp_path / "absent", "card.json", "export")
    (tmp_path / "empty").mkdir()
    check_replaceable(tmp_path / "empty", "card.json", "export")
    (foreign / "card.json").write_text("{}")
    check_replaceable(foreign, "card.json", "export")  # a voxgraft export: replaced as before
    (foreign / "card.json").unlink()
    check_replaceable(foreign, "card.json", "export", force=True)
    with pytest.raises(ForeignFolderError, match="is a file, not a folder"):
        check_replaceable(foreign / "important.txt", "card.json", "export")
