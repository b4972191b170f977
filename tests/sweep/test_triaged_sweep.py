"""A sweep file with `organs: {triage: K}`: triage runs on the sweep's own recipient and donor
when it starts, the trials train only organ sets from its top K, and the triage is kept."""

import json
from pathlib import Path

from voxgraft.layout import TRIAGE_FILE
from voxgraft.search_spaces.schema import parse_sweep
from voxgraft.search_spaces.spec import read_spec
from voxgraft.sweep.run import run_sweep
from voxgraft.sweep.store import ResultsStore


def test_a_cadence_triage_sweep_trains_only_what_the_cadence_losses_reach(local_ray, tiny_recipient, corpora, tmp_path, capsys):
    sweep = parse_sweep({
        "name": "triaged", "recipient": str(tiny_recipient[0]), "donor": str(corpora["cadence_donor"]), "eval": {"heldout": 4, "judges": False},
        "search": {"organs": {"triage": 2, "objective": "cadence"}, "lr": [1e-3], "batch_size": 4, "steps": 2, "eval_every": 2,
                   "fixed": {"segment_frames": 8}},
        "searcher": "grid", "scheduler": {"type": "none"}, "objectives": [{"metric": "heldout_loss", "mode": "min"}],
        "resources": {"cpu": 1}, "storage": str(tmp_path / "sweeps"),
    })
    outcome = run_sweep(sweep)
    exp_dir = Path(outcome.experiment_dir)
    triage = json.loads((exp_dir / TRIAGE_FILE).read_text())
    # only the duration predictor has a cadence gradient, so asking for the top 2 yields 1
    assert triage["objective"] == "cadence" and triage["asked_top"] == 2 and triage["chosen"] == ["duration_predictor"]
    assert "only 1 organ(s) have a cadence gradient" in capsys.readouterr().err
    organs = set(ResultsStore(str(exp_dir / "results")).trials().to_pandas()["config.organs"])
    assert organs == {"duration_predictor"}
    assert read_spec(exp_dir).sweep.search.organ_options() == ["duration_predictor"]  # a resume searches the same sets
