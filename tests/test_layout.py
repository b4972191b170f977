"""path_inside: the last guard before a write refuses any name that would land outside its root,
separators, `..`, absolute names and a symlink that leads out included."""

import numpy as np
import pytest

from tests.conftest import snapshot
from voxgraft.evaluate.render import write_wavs
from voxgraft.layout import OutsideRootError, path_inside


def test_a_plain_name_lands_inside(tmp_path):
    assert path_inside(tmp_path, "utt00001", ".wav") == tmp_path / "utt00001.wav"


@pytest.mark.parametrize("name", ["../victim", "/etc/passwd", "a/b", "..", ".", "", "bad\x07"])
def test_names_that_leave_the_root_are_refused(tmp_path, name):
    with pytest.raises(OutsideRootError, match="refusing to write"):
        path_inside(tmp_path / "root", name, ".wav")


def test_a_symlink_that_leads_out_is_refused(tmp_path):
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "escape.wav").symlink_to(tmp_path / "victim.wav")
    with pytest.raises(OutsideRootError, match="leads outside"):
        path_inside(tmp_path / "root", "escape", ".wav")


def test_reference_wavs_are_never_written_outside_their_folder(tmp_path):
    before = snapshot(tmp_path)
    with pytest.raises(OutsideRootError):
        write_wavs(tmp_path / "references" / "donor", ["../../../victim"], [np.zeros(100, dtype=np.float32)], 22050)
    assert {k for k in snapshot(tmp_path) if not k.startswith("references")} == set(before)
    assert not (tmp_path.parent / "victim.wav").exists()
