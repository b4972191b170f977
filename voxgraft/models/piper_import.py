"""`voxgraft recipient import-piper`: a Piper voice's `.onnx` + `.onnx.json` -> a recipient.

The recipient is a VitsModel directory voxgraft trains on: weights (safetensors), config.json,
the voice's own tokenizer (symbols.json, data/piper_symbols.py) and recipient.json, which says
where it came from (the file's sha256, Piper's config, quality, sample rate) and which parts an
inference export does not carry (posterior encoder, the duration predictor's posterior branch
and its skipped flow). Those start from a seeded initialisation until `recover` trains them.
Every tensor is accounted for; anything that does not fit is an error and nothing is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from transformers.utils import logging as transformers_logging

from voxgraft.atomic import atomic_directory
from voxgraft.data.feature_cache import file_sha256
from voxgraft.data.piper_symbols import PiperSymbols
from voxgraft.models.piper_config import vits_config
from voxgraft.models.piper_names import hf_name
from voxgraft.models.piper_onnx import PiperFileError, PiperGraph, read_piper_graph
from voxgraft.models.styled_vits import StyledVitsModel

transformers_logging.disable_progress_bar()  # voxgraft prints its own progress

PROVENANCE = "recipient.json"
# what an inference export leaves out: VitsModel's names, recovered by `voxgraft recipient recover`
TRAINING_ONLY = ("posterior_encoder.", "duration_predictor.post_", "duration_predictor.flows.1.")
INIT_SEED = 0


@dataclass(frozen=True)
class ImportedVoice:
    out_dir: Path
    sha256: str
    tensors: int
    untrained_parameters: int


def _weight_normed(name: str, value: torch.Tensor, state: dict) -> dict[str, torch.Tensor] | None:
    """A folded weight for a weight-normed convolution: direction v = W, magnitude g = |W|."""
    base = name.removesuffix(".weight") + ".parametrizations.weight."
    if not name.endswith(".weight") or base + "original1" not in state:
        return None
    g = value.flatten(1).norm(dim=1).reshape(-1, *([1] * (value.dim() - 1)))
    return {base + "original0": g, base + "original1": value}


def converted_state(graph: PiperGraph, model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """VitsModel tensors from Piper's; refuses a tensor with no place or the wrong shape."""
    state = model.state_dict()
    out: dict[str, torch.Tensor] = {}
    for piper, array in graph.tensors.items():
        name, value = hf_name(piper), torch.from_numpy(np.ascontiguousarray(array))
        if name in state and state[name].dim() == 2 and value.dim() == 3 and value.shape[2] == 1:
            value = value[:, :, 0]  # Piper's 1x1 convolutions are VitsModel's linear layers
        pieces = _weight_normed(name, value, state) or {name: value}
        for key, tensor in pieces.items():
            if key not in state:
                raise PiperFileError(f"tensor {piper} has no place in the VITS model ({key})")
            if tensor.shape != state[key].shape:
                raise PiperFileError(f"tensor {piper} has shape {list(tensor.shape)}, the model wants {list(state[key].shape)}")
            out[key] = tensor
    absent = [k for k in state if k not in out and not k.startswith(TRAINING_ONLY) and not k.startswith("style.")]
    if absent:
        raise PiperFileError(f"the voice has no tensor for {len(absent)} model parameters, e.g. {absent[0]}")
    return out


def _read_piper_config(path: Path) -> dict:
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
        _ = config["audio"]["sample_rate"], config["phoneme_id_map"]
    except FileNotFoundError:
        raise PiperFileError(f"{path}: missing (a Piper voice's config sits beside it as VOICE.onnx.json)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise PiperFileError(f"{path}: not a Piper voice config ({type(exc).__name__}: {exc})") from None
    return config


def _check_config_matches(piper: dict, model_config, config_path: Path) -> None:
    symbols = int(piper.get("num_symbols", model_config.vocab_size))
    top_id = max(int(ids[0]) for ids in piper["phoneme_id_map"].values())
    if symbols != model_config.vocab_size or top_id >= model_config.vocab_size:
        raise PiperFileError(f"{config_path}: {symbols} symbols (ids up to {top_id}) but the voice embeds {model_config.vocab_size}")
    speakers = int(piper.get("num_speakers", 1))
    if speakers != model_config.num_speakers:
        raise PiperFileError(f"{config_path}: {speakers} speakers but the voice has {model_config.num_speakers}")


def _provenance(onnx_path: Path, sha: str, piper: dict, model, untrained: list[str]) -> dict:
    return {
        "source": "piper",
        "onnx_file": onnx_path.name,
        "onnx_sha256": sha,
        "quality": piper.get("audio", {}).get("quality"),
        "sample_rate": model.config.sampling_rate,
        "piper_config": {k: v for k, v in piper.items() if k != "phoneme_id_map"},
        "untrained": {"prefixes": list(TRAINING_ONLY), "parameters": sum(model.state_dict()[k].numel() for k in untrained)},
        "recovered": None,
    }


def _check_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise PiperFileError(f"{out_dir}: exists and is not an empty directory; import into a new one")


def import_piper(onnx_path: str | Path, out_dir: str | Path, expected_sha256: str | None = None) -> ImportedVoice:
    """Convert the voice into `out_dir` (atomically; nothing is written when anything is off)."""
    onnx_path, out_dir = Path(onnx_path), Path(out_dir)
    _check_out_dir(out_dir)
    if not onnx_path.is_file():
        raise PiperFileError(f"{onnx_path}: no such file")
    config_path = onnx_path.with_name(onnx_path.name + ".json")
    sha = file_sha256(onnx_path)
    if expected_sha256 and sha != expected_sha256:
        raise PiperFileError(f"{onnx_path}: sha256 {sha[:12]}... is not the expected {expected_sha256[:12]}...; refusing a changed file")
    piper = _read_piper_config(config_path)
    graph = read_piper_graph(onnx_path)
    config = vits_config(graph, piper)
    _check_config_matches(piper, config, config_path)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(INIT_SEED)
        model = StyledVitsModel(config).eval()
    tensors = converted_state(graph, model)
    model.load_state_dict(tensors, strict=False)
    untrained = [k for k in model.state_dict() if k not in tensors]
    with atomic_directory(out_dir) as tmp:
        model.save_pretrained(str(tmp))
        PiperSymbols.from_piper_config(piper).save(tmp)
        record = _provenance(onnx_path, sha, piper, model, untrained)
        (tmp / PROVENANCE).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    return ImportedVoice(out_dir, sha, len(graph.tensors), record["untrained"]["parameters"])
