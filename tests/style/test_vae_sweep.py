"""The style-VAE size as a sweep axis: a real tiny sweep on the styled recipient."""

import math
import re
from pathlib import Path

import pytest
from safetensors.torch import load_file

from voxgraft.analysis.report import analyse, best_trials, write_report
from voxgraft.cli import main
from voxgraft.layout import TRANSPLANT_SUBDIR
from voxgraft.models.checkpoints import TRANSPLANT_WEIGHTS, load_recipient
from voxgraft.search_spaces.schema import parse_sweep
from voxgraft.sweep.run import SweepError, run_sweep
from voxgraft.sweep.store import ResultsStore


def _sweep(recipient, donor, storage, **search):
    return parse_sweep({
        "name": "vae_tiny",
        "recipient": str(recipient),
        "donor": str(donor),
        "eval": {"heldout": 4, "judges": False},
        "search": {"organs": ["decoder"], "lr": [1e-3], "alignment": ["forced"], "vae_latent": [4, 16], "vae_beta": [0.01],
                   "batch_size": 4, "steps": 4, "eval_every": 2, "fixed": {"segment_frames": 8}, **search},
        "searcher": "grid",
        "scheduler": {"type": "none"},
        "objectives": [{"metric": "style_silhouette", "mode": "max"}],
        "resources": {"cpu": 1},
        "storage": str(storage),
    })


def test_vae_latent_is_a_sweep_axis(local_ray, styled_recipient, style_corpora, tmp_path):
    outcome = run_sweep(_sweep(styled_recipient, style_corpora["timbre_donor"], tmp_path / "sweeps"))
    rows = ResultsStore(outcome.results_dir).trials().to_pylist()
    assert {r["config.vae_latent"] for r in rows} == {4, 16} and len(rows) == 4  # 2 trials x 2 evaluations
    for row in rows:
        assert row["config.vae_beta"] == 0.01 and row["status"] in ("running", "done")
        assert math.isfinite(row["style_kl"]) and row["style_kl"] >= 0
        assert -1 <= row["style_silhouette"] <= 1
        # only a VAE that trains has a training KL; the frozen one's is not measured (null)
        trains = row["config.vae_latent"] == 4
        assert (row["train_style_kl"] is not None) == trains
        assert not trains or math.isfinite(row["train_style_kl"])
        tensors = load_file(f"{row['checkpoint']}/{TRANSPLANT_SUBDIR}/{TRANSPLANT_WEIGHTS}")
        # 16 is the recipient's own VAE, kept frozen; 4 is a fresh one, which trains
        assert tensors["style.default_latent"].shape == (row["config.vae_latent"],)
        assert ("style.project.weight" in tensors) == (row["config.vae_latent"] == 4)
    analysis = analyse(Path(outcome.results_dir).parent)
    assert "vae_latent" in analysis.factors
    top = best_trials(analysis, 2)
    page = write_report(analysis, top).html.read_text()
    assert re.search(r"<h2 id='s\d+'>Style space</h2>", page) and "Silhouette of recipient against donor" in page
    # the answer first: the best transplant, playable beside the recipient and the donor
    assert f"Best by {analysis.objectives[0][0]}" in page and f"trial {top.iloc[0]['trial_id']}," in page
    assert page.index("What the sweep found") < page.index("best transplant <audio") < page.index("<nav>")
    assert "<h3>By style-VAE size</h3>" in page

    # both sizes export as ready models (the fresh 4-dim VAE is grafted onto the recipient)
    out = tmp_path / "export"
    assert main(["pick", str(Path(outcome.results_dir).parent), "--objective", "style_kl", "--top", "2", "--export", str(out)]) == 0
    sizes = {load_recipient(d).model.style.latent_size for d in out.iterdir()}
    assert sizes == {4, 16}


def test_a_recipient_without_conditioning_cannot_sweep_vae_sizes(tiny_recipient, corpora, tmp_path):
    with pytest.raises(SweepError, match="no global conditioning"):
        run_sweep(_sweep(tiny_recipient[0], corpora["cadence_donor"], tmp_path / "sweeps"))
    assert not (tmp_path / "sweeps").exists()
