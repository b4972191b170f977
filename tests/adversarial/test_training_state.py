"""A training_state.pt that is not one voxgraft wrote (here: a pickle that would run a command)
is refused with one line, and the command never runs."""

import os
import pickle
import shutil

from tests.conftest import snapshot
from voxgraft.cli import main


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_malicious_training_state_is_refused_and_never_runs(tiny_recipient, corpora, tmp_path, capsys):
    model = tmp_path / "model"
    shutil.copytree(tiny_recipient[0], model)
    marker = tmp_path / "pwned"
    (model / "training_state.pt").write_bytes(pickle.dumps(_Payload(marker), protocol=2))
    before = snapshot(tmp_path)
    assert main(["pretrain", str(corpora["recipient"]), str(model), "--steps", "200"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "training_state.pt: not a training state voxgraft can read" in err
    assert not marker.exists() and snapshot(tmp_path) == before
