"""A Piper voice's `.onnx` read back into named tensors, with nothing left unaccounted for.

Piper exports with constant folding, so names vary: most weights keep Piper's module names
(`enc_p.*`, `dp.*`, `flow.*`, `dec.*`); others are named by the graph (the text embedding appears
as `sid`, the flow's weight-normed convolutions as `onnx::Conv_NNNN`), so each of those is named
by the node that consumes it. The duration predictor's first affine flow is stored as
exp(-logs). Everything else must be a small graph constant (shapes, scalars); any other tensor is
an error, so a file that is not a Piper voice, or one from an exporter that names things
differently, is refused rather than half-converted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PIPER_INPUTS = ("input", "input_lengths", "scales")
_MODULE_NAME = re.compile(r"^(enc_p|dp|flow|dec|emb_g)\.[\w.]+$")
_EXP_NEG_LOGS = re.compile(r"^/dp/flows\.(\d+)/Exp_output_0$")
_EMBEDDINGS = {"/enc_p/emb/Gather": "enc_p.emb.weight", "/emb_g/Gather": "emb_g.weight"}
_CONSTANT_MAX_SIZE = 16  # shape vectors and scalars folded by the exporter


class PiperFileError(ValueError):
    pass


@dataclass(frozen=True)
class PiperGraph:
    tensors: dict[str, np.ndarray]  # Piper module names ("dec.ups.0.weight") -> float32 arrays
    conv_attributes: dict[str, dict[str, list[int]]]  # module ("dec.resblocks.0.convs.1") -> dilations, strides
    inputs: tuple[str, ...]
    constants: int  # graph constants accounted for as such


def _module_of(node_name: str) -> str:
    """'/flow/flows.6/enc/in_layers.0/Conv' -> 'flow.flows.6.enc.in_layers.0'."""
    return ".".join(node_name.strip("/").split("/")[:-1])


def _load(path: Path):
    import onnx
    from google.protobuf.message import DecodeError

    try:
        return onnx.load(str(path))
    except (DecodeError, OSError, ValueError, RuntimeError) as exc:
        raise PiperFileError(f"{path}: not a readable ONNX model ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None


def _consumers(graph) -> dict[str, tuple[object, int]]:
    found = {}
    for node in graph.node:
        for index, name in enumerate(node.input):
            found.setdefault(name, (node, index))
    return found


def _name_by_consumer(name: str, consumers: dict) -> str | None:
    node, index = consumers.get(name, (None, -1))
    if node is None:
        return None
    if node.name in _EMBEDDINGS and index == 0:
        return _EMBEDDINGS[node.name]
    if node.op_type in ("Conv", "ConvTranspose") and index in (1, 2):
        return f"{_module_of(node.name)}.{'weight' if index == 1 else 'bias'}"
    return None


def read_piper_graph(path: str | Path) -> PiperGraph:
    from onnx import numpy_helper

    path = Path(path)
    model = _load(path)
    inputs = tuple(i.name for i in model.graph.input)
    if not set(PIPER_INPUTS) <= set(inputs):
        raise PiperFileError(f"{path}: not a Piper voice (inputs {list(inputs)}, Piper's are {list(PIPER_INPUTS)} and maybe 'sid')")
    consumers = _consumers(model.graph)
    tensors: dict[str, np.ndarray] = {}
    constants = 0
    for init in model.graph.initializer:
        value = numpy_helper.to_array(init)
        exp_neg = _EXP_NEG_LOGS.match(init.name)
        if _MODULE_NAME.match(init.name):
            name = init.name
        elif exp_neg:
            name, value = f"dp.flows.{exp_neg.group(1)}.logs", -np.log(value)
        else:
            name = _name_by_consumer(init.name, consumers)
        if name is None:
            if value.size > _CONSTANT_MAX_SIZE:
                raise PiperFileError(f"{path}: tensor {init.name!r} {list(value.shape)} is no weight of a Piper VITS voice")
            constants += 1
            continue
        if name in tensors:
            raise PiperFileError(f"{path}: two tensors for {name}")
        tensors[name] = value.astype(np.float32)
    return PiperGraph(tensors, _conv_attributes(model.graph), inputs, constants)


def _conv_attributes(graph) -> dict[str, dict[str, list[int]]]:
    from onnx import helper

    found = {}
    for node in graph.node:
        if node.op_type in ("Conv", "ConvTranspose"):
            attrs = {a.name: list(helper.get_attribute_value(a)) for a in node.attribute if a.name in ("dilations", "strides")}
            found[_module_of(node.name)] = attrs
    return found
