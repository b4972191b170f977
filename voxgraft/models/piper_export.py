"""A VitsModel written back out as a Piper voice: `NAME.onnx` + `NAME.onnx.json`.

The graph takes Piper's inputs (`input` ids, `input_lengths`, `scales` = [noise_scale,
length_scale, noise_w], and `sid` for a multi-speaker voice) and gives Piper's output, audio of
shape (batch, 1, 1, samples), so Piper and anything else that runs Piper voices can load it.
The config is the recipient's Piper config (or, for a voxgraft-trained model, one written from
its symbol table) with the model's own sizes. onnxruntime runs the file before it is kept.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from voxgraft.models.inference import evaluation_mode
from voxgraft.models.mas import durations_to_path
from voxgraft.models.training_forward import encode_text, speaker_conditioning

OPSET = 15  # what Piper's own exports use
EXAMPLE_LENGTH = 50  # longer than the attention window, so traced shapes stay symbolic


class PiperExportError(ValueError):
    pass


class PiperSignature(nn.Module):
    """(input, input_lengths, scales[, sid]) -> (batch, 1, 1, samples), as Piper's inference."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input, input_lengths, scales, sid=None):  # noqa: A002 (Piper's input name)
        model = self.model
        mask = torch.arange(input.shape[1], device=input.device)[None, :] < input_lengths[:, None]
        speaker = model.embed_speaker(sid).unsqueeze(-1) if sid is not None else speaker_conditioning(model, None, input.shape[0], input.device)
        text = encode_text(model, input, mask)
        token_mask = mask[:, None, :].to(text.hidden.dtype)
        if hasattr(model.duration_predictor, "post_flows"):
            log_w = model.duration_predictor(text.hidden, token_mask, speaker, reverse=True, noise_scale=scales[2])
        else:
            log_w = model.duration_predictor(text.hidden, token_mask, speaker)
        frames = torch.ceil(torch.exp(log_w) * token_mask * scales[1]).squeeze(1)  # (B, L)
        total = torch.clamp_min(frames.sum(dim=1), 1).long()
        path = durations_to_path(frames, total.max())  # (B, L, T)
        frame_mask = (torch.arange(path.shape[2], device=input.device)[None, :] < total[:, None]).to(path.dtype)[:, None, :]
        means = torch.einsum("blf,blt->bft", text.prior_means, path)
        log_std = torch.einsum("blf,blt->bft", text.prior_log_std, path)
        prior = means + torch.randn_like(means) * torch.exp(log_std) * scales[0]
        z = model.flow(prior, frame_mask, speaker, reverse=True)
        return model.decoder(z * frame_mask, speaker).unsqueeze(1)


def _example_inputs(model) -> tuple:
    ids = torch.randint(3, model.config.vocab_size, (1, EXAMPLE_LENGTH))
    inputs = (ids, torch.tensor([EXAMPLE_LENGTH]), torch.tensor([0.667, 1.0, 0.8]))
    return (*inputs, torch.tensor([0])) if model.config.num_speakers > 1 else inputs


def export_onnx(model, path: Path) -> None:
    multi = model.config.num_speakers > 1
    names = ["input", "input_lengths", "scales", *(["sid"] if multi else [])]
    axes = {"input": {0: "batch_size", 1: "phonemes"}, "input_lengths": {0: "batch_size"}, "output": {0: "batch_size", 3: "time"}}
    if multi:
        axes["sid"] = {0: "batch_size"}
    with torch.no_grad(), evaluation_mode(model), warnings.catch_warnings():  # the exporter leaves modules in training mode
        warnings.simplefilter("ignore")  # the tracer's notes on Python ints and constant folding: by design here
        torch.onnx.export(
            PiperSignature(model.eval()), _example_inputs(model), str(path), input_names=names, output_names=["output"],
            dynamic_axes=axes, opset_version=OPSET, dynamo=False,
        )


def piper_config(model, symbols, provenance: dict | None) -> dict:
    """The `.onnx.json` Piper reads: the source voice's config where there is one, with this
    model's symbols, sizes and rate."""
    base = dict((provenance or {}).get("piper_config") or {})
    inference = base.get("inference", {})
    return base | {
        "audio": base.get("audio", {}) | {"sample_rate": model.config.sampling_rate},
        "espeak": {"voice": symbols.language},
        "inference": inference | {"noise_scale": model.config.noise_scale, "noise_w": model.config.noise_scale_duration},
        "phoneme_type": "espeak",
        "num_symbols": model.config.vocab_size,
        "num_speakers": model.config.num_speakers,
        "phoneme_id_map": {s: [i] for s, i in symbols.id_map.items()},
    }


def check_with_onnxruntime(path: Path, symbols, multi_speaker: bool) -> int:
    """Run the written voice once on a short sentence's ids; the number of samples it spoke."""
    import onnxruntime

    ids, _ = symbols.model_input(["h", "ə", "l", "oʊ", "."])
    feed = {"input": np.array([ids], dtype=np.int64), "input_lengths": np.array([len(ids)], dtype=np.int64),
            "scales": np.array([0.667, 1.0, 0.8], dtype=np.float32)}
    if multi_speaker:
        feed["sid"] = np.array([0], dtype=np.int64)
    audio = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, feed)[0]
    if audio.ndim != 4 or audio.shape[-1] == 0 or not np.isfinite(audio).all():
        raise PiperExportError(f"{path}: onnxruntime ran it but it spoke {audio.shape} (non-finite or empty)")
    return int(audio.shape[-1])


def write_piper_voice(model, symbols, provenance: dict | None, directory: Path, name: str) -> Path:
    """`directory/name.onnx` + `.onnx.json`, checked with onnxruntime; returns the .onnx path."""
    if not hasattr(symbols, "id_map"):
        raise PiperExportError(
            "Piper speaks one id per IPA codepoint; this recipient uses voxgraft's whole-phoneme symbols, "
            "which Piper cannot reproduce: export it with --format hf"
        )
    onnx_path = directory / f"{name}.onnx"
    export_onnx(model, onnx_path)
    config = piper_config(model, symbols, provenance)
    (directory / f"{name}.onnx.json").write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n")
    check_with_onnxruntime(onnx_path, symbols, model.config.num_speakers > 1)
    return onnx_path
