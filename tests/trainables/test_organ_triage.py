"""`voxgraft triage`: organ scores at step 0 on the tiny recipient, which the triage leaves as it
found it, and one-line refusals of bad input."""

import json

import pytest
import torch

from tests.conftest import snapshot
from voxgraft.cli import main
from voxgraft.cli.triage import OBJECTIVES
from voxgraft.models.checkpoints import load_recipient
from voxgraft.trainables.organ_triage import top_subsets, triage_recipient
from voxgraft.trainables.transplant import recipient_symbols
from voxgraft.training.recipient_data import open_for_recipient
from voxgraft.training.triage import OBJECTIVE_LOSSES, triage


def test_the_cli_offers_the_objectives_triage_knows():
    assert sorted(OBJECTIVES) == sorted(OBJECTIVE_LOSSES)


def test_top_subsets_are_every_non_empty_subset_of_the_top_k():
    assert top_subsets(["decoder", "flow", "text_encoder"], 2) == ["decoder", "flow", "decoder,flow"]
    assert len(top_subsets(["a", "b", "c", "d", "e"], 5)) == 31


def test_cadence_reaches_only_the_duration_predictor(tiny_recipient, corpora):
    found = triage_recipient(tiny_recipient[0], corpora["cadence_donor"], "cadence")
    scores = {s.organ: s for s in found.scores}
    assert found.ranking()[0] == "duration_predictor" and scores["duration_predictor"].relative_grad_norm > 0
    # VITS detaches the duration predictor's inputs: no other organ gets a cadence gradient
    assert all(s.relative_grad_norm == 0 and s.lookahead_gain == 0 for o, s in scores.items() if o != "duration_predictor")
    assert scores["duration_predictor"].lookahead_gain > 0  # its best small step lowers the held-out duration loss
    # but training moves the text encoder too (by its KL gradient), and the duration predictor reads its output
    assert scores["text_encoder"].training_lookahead_gain != 0 and scores["text_encoder"].training_lookahead_step > 0
    assert all(scores[o].training_lookahead_gain == 0 for o in ("posterior_encoder", "flow", "decoder"))  # not read at all
    again = triage_recipient(tiny_recipient[0], corpora["cadence_donor"], "cadence")
    assert again.to_dict() == found.to_dict()  # fixed seeds, eval mode: repeatable


def test_timbre_ranks_the_waveform_organs_and_leaves_the_model_as_it_was(tiny_recipient, corpora):
    loaded = load_recipient(tiny_recipient[0])
    before = {k: v.clone() for k, v in loaded.model.state_dict().items()}
    data = open_for_recipient(corpora["cadence_donor"], "forced", loaded.model, recipient_symbols(tiny_recipient[0]), 4)
    found = triage(loaded.model, data, "timbre")
    scores = {s.organ: s for s in found.scores}
    assert scores["duration_predictor"].relative_grad_norm == 0 and found.ranking()[-1] == "duration_predictor"
    assert scores["decoder"].relative_grad_norm > 0 and scores["posterior_encoder"].relative_grad_norm > 0
    assert found.losses == ("mel", "kl") and 1 <= found.batches <= 3  # as many as the small donor has, up to 3
    # which loss reaches which organ (training/plan.py's gradient paths): mel the decoder, KL the text encoder and flow
    assert scores["decoder"].relative_grad_norm_by_loss["mel"] > 0 == scores["decoder"].relative_grad_norm_by_loss["kl"]
    for organ in ("text_encoder", "flow"):
        assert scores[organ].relative_grad_norm_by_loss["kl"] > 0 == scores[organ].relative_grad_norm_by_loss["mel"]
    after = loaded.model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not any(p.requires_grad or p.grad is not None for p in loaded.model.parameters())


def test_cli_prints_and_saves_the_ranking(tiny_recipient, corpora, tmp_path, capsys):
    out = tmp_path / "triage.json"
    assert main(["triage", "--recipient", str(tiny_recipient[0]), "--donor", str(corpora["cadence_donor"]),
                 "--objective", "cadence", "--save", str(out)]) == 0
    printed = capsys.readouterr().out
    record = json.loads(out.read_text())
    assert record["ranking"][0] == "duration_predictor" and f"ranking: {', '.join(record['ranking'])}" in printed
    assert record["objective"] == "cadence" and len(record["scores"]) == len(record["ranking"])


@pytest.mark.parametrize("case", ["no recipient", "no donor", "save into a missing folder", "zero batches"])
def test_bad_input_is_one_line_and_writes_nothing(case, tiny_recipient, corpora, tmp_path, capsys):
    args = {"--recipient": str(tiny_recipient[0]), "--donor": str(corpora["cadence_donor"]), "--save": str(tmp_path / "t.json")}
    expected = {"no recipient": "missing", "no donor": "nowhere: corpus has 1 problem(s)", "save into a missing folder": "give a file in an existing folder",
                "zero batches": "--batches must be 1..1000"}[case]
    if case == "no recipient":
        args["--recipient"] = str(tmp_path / "missing")
    elif case == "no donor":
        args["--donor"] = str(tmp_path / "nowhere")
    elif case == "save into a missing folder":
        args["--save"] = str(tmp_path / "no" / "t.json")
    extra = ["--batches", "0"] if case == "zero batches" else []
    before = snapshot(tmp_path)
    assert main(["triage", *[x for kv in args.items() for x in kv], *extra]) == 2
    err = capsys.readouterr().err.strip()
    lines = err.splitlines()  # a corpus error lists its problems below its one-line summary
    assert lines[0].startswith("error:") and expected in lines[0] and len(lines) == (2 if case == "no donor" else 1), err
    assert snapshot(tmp_path) == before
