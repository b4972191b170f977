"""The backwards cadence transplant, reproduced: learned alignment on a recipient whose MAS
collapses on the donor. The sweep warns before Ray, every evaluated report is rejected with the
alignment sign, and neither the sweep nor `pick` calls any of it best."""

import math

import yaml

from tests.sweep.test_sweep import _sweep_data
from voxgraft.cli import main
from voxgraft.sweep.store import ResultsStore


def test_a_collapsed_mas_path_is_rejected_and_never_picked(local_ray, tiny_recipient, corpora, tmp_path, capsys):
    data = _sweep_data(tiny_recipient, corpora, tmp_path / "sweeps", scheduler={"type": "none"})
    data["search"] |= {"organs": ["cadence"], "lr": [1e-3], "alignment": ["learned"], "steps": 4, "eval_every": 2}
    path = tmp_path / "learned.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["sweep", str(path)]) == 1  # ran, but nothing in it may be called best
    captured = capsys.readouterr()
    assert "warning: MAS on the untouched recipient collapses on this donor" in captured.out
    assert "no transplant is eligible for best" in captured.err and "trials: 1 done; 2 evaluated report(s)" in captured.err
    rows = ResultsStore(tmp_path / "sweeps" / "tiny" / "results").trials().to_pandas()
    evaluated = rows[rows["one_frame_token_share"].map(lambda v: v is not None and math.isfinite(v))]
    assert len(evaluated) == 2
    assert (evaluated["one_frame_token_share"] >= 0.5).all() and evaluated["rejected"].all()
    assert (evaluated["rejection_score"] >= 1).all()
    assert main(["pick", str(tmp_path / "sweeps" / "tiny"), "--export", str(tmp_path / "best")]) == 2
    assert "no kept, unrejected checkpoint to pick from" in capsys.readouterr().err
    assert not (tmp_path / "best").exists()
