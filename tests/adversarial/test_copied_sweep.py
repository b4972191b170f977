"""A copied sweep folder is a sweep of its own: resuming the copy of an interrupted sweep writes
only the copy (the original stays byte for byte as it was), and `pick` on the copy exports the
copy's checkpoint, never the original's."""

import json
import shutil

from tests.adversarial.interrupted import interrupt_sweep
from tests.conftest import snapshot
from tests.sweep.test_sweep import _sweep_data
from voxgraft.cli import main
from voxgraft.sweep.store import ResultsStore


def test_resume_and_pick_on_a_copy_never_touch_the_original(local_ray, tiny_recipient, corpora, tmp_path, capsys):
    data = _sweep_data(tiny_recipient, corpora, tmp_path / "sweeps", scheduler={"type": "none"})
    data["search"] |= {"organs": ["decoder"], "lr": [1e-4, 1e-3], "steps": 6, "eval_every": 2}
    original = interrupt_sweep(data, tmp_path / "sweep.yaml", min_rows=2, total_rows=6)

    copy = tmp_path / "elsewhere" / "tiny"
    shutil.copytree(original, copy)
    before = snapshot(original)
    assert main(["sweep", "--resume", str(copy)]) == 0
    capsys.readouterr()
    assert snapshot(original) == before  # the original, byte for byte
    rows = ResultsStore(copy / "results").trials().to_pylist()
    assert len(rows) == 6 and all(r["checkpoint"].startswith(str(copy)) for r in rows if r["checkpoint"])

    assert main(["pick", str(copy), "--export", str(tmp_path / "best")]) == 0
    card = json.loads((tmp_path / "best" / "card.json").read_text())
    assert card["source_checkpoint"].startswith(str(copy))
    assert snapshot(original) == before

    # the copy's picked checkpoint, truncated: named, marked, never exported; the next best is
    weights = next(p for p in copy.rglob("organs.safetensors") if str(p.parent.parent) == card["source_checkpoint"])
    weights.write_bytes(weights.read_bytes()[:100])
    assert main(["pick", str(copy), "--export", str(tmp_path / "again")]) == 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("warning: trial ") and "unreadable transplant weights" in err
    assert str(weights) in err and str(copy / "unusable_checkpoints.json") in err
    again = json.loads((tmp_path / "again" / "card.json").read_text())
    assert again["source_checkpoint"] != card["source_checkpoint"] and again["source_checkpoint"].startswith(str(copy))
    assert main(["pick", str(copy), "--export", str(tmp_path / "again")]) == 0  # marked: not opened again
    assert capsys.readouterr().err == ""
    assert json.loads((tmp_path / "again" / "card.json").read_text())["source_checkpoint"] == again["source_checkpoint"]

    # every checkpoint damaged: each named once, then one line, exit 2, nothing exported
    for other in copy.rglob("organs.safetensors"):
        other.write_bytes(b"")
    assert main(["pick", str(copy), "--export", str(tmp_path / "none")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert all(line.startswith("warning: trial ") for line in lines[:-1]) and len(lines) >= 2
    assert lines[-1].startswith("error: ") and "marked unusable" in lines[-1]
    assert not (tmp_path / "none").exists() and snapshot(original) == before
