"""Recipient loading and organ-delta transplant checkpoints, on real save_pretrained directories."""

import json

import pytest
import torch
from transformers import VitsModel

from tests.conftest import snapshot
from voxgraft.data.symbols import SymbolTable
from voxgraft.models.checkpoints import (
    TRANSPLANT_META,
    CheckpointError,
    load_recipient,
    merge,
    recipient_sha256,
    save_transplant,
)
from voxgraft.models.configs import named_config
from voxgraft.models.organs import FreezePlan, apply_freeze_plan, build_optimizer

SYMBOLS = SymbolTable.default()


@pytest.fixture
def recipient_dir(tmp_path):
    torch.manual_seed(0)
    path = tmp_path / "recipient"
    VitsModel(named_config("tiny", len(SYMBOLS))).save_pretrained(str(path))
    return path


def _train(model, plan, steps=2):
    optimizer = build_optimizer(apply_freeze_plan(model, plan), lr=1e-3)
    ids = torch.randint(2, len(SYMBOLS), (1, 10))
    for _ in range(steps):
        optimizer.zero_grad()
        model(input_ids=ids).waveform.pow(2).mean().backward()
        optimizer.step()


def test_transplant_round_trip(recipient_dir, tmp_path):
    before = snapshot(recipient_dir)
    recipient = load_recipient(recipient_dir)
    plan = FreezePlan.for_model("decoder", recipient.model)
    _train(recipient.model, plan)
    ckpt = save_transplant(tmp_path / "ckpt", recipient.model, plan, recipient.sha256, SYMBOLS)
    meta = json.loads((ckpt / TRANSPLANT_META).read_text())
    assert meta["organs"] == ["decoder"] and meta["recipient_sha256"] == recipient.sha256
    assert SymbolTable.load(ckpt) == SYMBOLS

    merged = VitsModel.from_pretrained(str(merge(ckpt, recipient_dir, tmp_path / "merged")))
    original = VitsModel.from_pretrained(str(recipient_dir))
    trained = recipient.model.state_dict()
    for key, value in merged.state_dict().items():
        if key.startswith("decoder."):
            assert torch.equal(value, trained[key]), key
        else:
            assert torch.equal(value, original.state_dict()[key]), key  # frozen organs: bitwise the recipient's
    assert any(not torch.equal(trained[k], original.state_dict()[k]) for k in trained if k.startswith("decoder."))
    assert snapshot(recipient_dir) == before  # the recipient is never written


def test_a_cadence_transplant_is_small(recipient_dir, tmp_path):
    recipient = load_recipient(recipient_dir)
    plan = FreezePlan.for_model("cadence", recipient.model)
    ckpt = save_transplant(tmp_path / "ckpt", recipient.model, plan, recipient.sha256, SYMBOLS)
    size = (ckpt / "organs.safetensors").stat().st_size
    assert size < 0.5 * sum(p.stat().st_size for p in recipient_dir.glob("*.safetensors"))


def test_merge_refuses_another_recipient(recipient_dir, tmp_path):
    recipient = load_recipient(recipient_dir)
    plan = FreezePlan.for_model("decoder", recipient.model)
    ckpt = save_transplant(tmp_path / "ckpt", recipient.model, plan, recipient.sha256, SYMBOLS)
    torch.manual_seed(1)
    other = tmp_path / "other"
    VitsModel(named_config("tiny", len(SYMBOLS))).save_pretrained(str(other))
    assert recipient_sha256(other) != recipient.sha256
    with pytest.raises(CheckpointError, match="merge it with the recipient it was trained on"):
        merge(ckpt, other, tmp_path / "merged")
    assert not (tmp_path / "merged").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".merged")]


def test_bad_recipient_and_checkpoint_dirs(tmp_path, recipient_dir):
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="no config.json"):
        load_recipient(tmp_path / "empty")
    (tmp_path / "noweights").mkdir()
    (tmp_path / "noweights" / "config.json").write_text("{}")
    with pytest.raises(CheckpointError, match="no \\*.safetensors"):
        load_recipient(tmp_path / "noweights")
    with pytest.raises(CheckpointError, match="not a transplant checkpoint"):
        merge(tmp_path / "empty", recipient_dir, tmp_path / "merged")


def test_a_safetensors_file_with_its_config_is_a_recipient(recipient_dir, tmp_path):
    weights = tmp_path / "voice.safetensors"
    weights.write_bytes((recipient_dir / "model.safetensors").read_bytes())
    config = tmp_path / "voice-config.json"
    config.write_text((recipient_dir / "config.json").read_text())
    before = snapshot(tmp_path)
    recipient = load_recipient(weights, config)
    reference = load_recipient(recipient_dir).model
    for key, value in reference.state_dict().items():
        assert torch.equal(value, recipient.model.state_dict()[key]), key
    assert recipient.sha256 == recipient_sha256(weights)
    with pytest.raises(CheckpointError, match="needs its config"):
        load_recipient(weights)  # no config.json beside it
    other = json.loads(config.read_text()) | {"hidden_size": 32}
    config.write_text(json.dumps(other))
    with pytest.raises(CheckpointError, match="does not match|shape"):
        load_recipient(weights, config)
    config.write_text((recipient_dir / "config.json").read_text())
    assert snapshot(tmp_path) == before  # opened read-only
