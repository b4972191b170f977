"""Recipient pretraining: the tiny model learns the synthetic voice, checkpoints, resumes."""

import json
import shutil

import pytest
import torch
from transformers import VitsModel

from tests.conftest import snapshot
from tests.pretrained import PRETRAIN_STEPS
from voxgraft.data.training_set import TrainingSetError
from voxgraft.training.pretrain import RECORD_FILE, STATE_FILE, PretrainSettings, pretrain


def test_tiny_recipient_learns_the_voice(tiny_recipient):
    _, _, result = tiny_recipient
    assert result.steps == PRETRAIN_STEPS
    assert result.final["heldout_mel_l1"] < 0.5 * result.initial["heldout_mel_l1"]
    assert result.final["duration_pearson_r"] > 0.6
    assert abs(result.initial["duration_pearson_r"]) < 0.4  # untrained, it knew nothing


def test_output_is_a_ready_model_transformers_can_speak_with(tiny_recipient):
    model_dir, _, _ = tiny_recipient
    assert {"config.json", "model.safetensors", "symbols.json", RECORD_FILE, STATE_FILE} <= {p.name for p in model_dir.iterdir()}
    model = VitsModel.from_pretrained(str(model_dir), local_files_only=True)
    with torch.no_grad():
        waveform = model(input_ids=torch.tensor([[1, 20, 1, 30, 1, 25, 1]])).waveform
    assert waveform.shape[-1] > 1000 and torch.isfinite(waveform).all()


def test_resume_continues_from_the_last_checkpoint(tiny_recipient, tmp_path):
    model_dir, corpus, _ = tiny_recipient
    copy = tmp_path / "model"
    shutil.copytree(model_dir, copy)
    result = pretrain(corpus, copy, PretrainSettings(steps=PRETRAIN_STEPS + 3, heldout=4))
    assert result.resumed_from == PRETRAIN_STEPS and result.steps == PRETRAIN_STEPS + 3
    record = json.loads((copy / RECORD_FILE).read_text())
    assert record["steps"] == PRETRAIN_STEPS + 3
    assert record["initial"] == json.loads((model_dir / RECORD_FILE).read_text())["initial"]


def test_an_interrupted_run_leaves_its_last_checkpoint_and_resumes(corpora, tmp_path):
    out = tmp_path / "model"

    def interrupt_at_step_3(step, total, losses):
        if step == 3:
            raise KeyboardInterrupt

    settings = PretrainSettings(steps=4, checkpoint_every=2, heldout=2, duration_steps=2)
    with pytest.raises(KeyboardInterrupt):
        pretrain(corpora["recipient"], out, settings, interrupt_at_step_3)
    assert json.loads((out / RECORD_FILE).read_text())["steps"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # no half-written directory
    result = pretrain(corpora["recipient"], out, settings)
    assert result.resumed_from == 2 and result.steps == 4


def test_forced_alignment_without_alignments_is_refused_and_writes_nothing(recipient_copy, tmp_path):
    (recipient_copy / "alignments.parquet").unlink()
    before = snapshot(recipient_copy)
    with pytest.raises(TrainingSetError, match="forced alignment needs alignments.parquet"):
        pretrain(recipient_copy, tmp_path / "model", PretrainSettings(steps=2))
    assert not (tmp_path / "model").exists()
    assert snapshot(recipient_copy) == before


def test_learned_alignment_pretrains_without_an_alignment_table(recipient_copy, tmp_path):
    (recipient_copy / "alignments.parquet").unlink()
    settings = PretrainSettings(alignment="learned", steps=2, checkpoint_every=1, heldout=2, duration_steps=2)
    result = pretrain(recipient_copy, tmp_path / "model", settings)
    assert result.steps == 2
    assert "duration" in result.last_losses and "kl" in result.last_losses
    assert "duration_pearson_r" not in result.final  # no forced durations to compare with
    assert json.loads((tmp_path / "model" / RECORD_FILE).read_text())["alignment"] == "learned"
