"""`voxgraft cluster check cluster.yaml`: what will run where, before anything is paid for.

The file is validated against Ray's own cluster schema; each node type's CPUs and GPUs are its
declared `resources`, or what Ray detects on its instance type (a table of common AWS types);
with a sweep file, how many of its trials each node type holds and whether a trial's GPU share
holds the peak memory `voxgraft plan --memory ... --save` measured on a GPU.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from voxgraft.search_spaces.schema import Sweep

# AWS instance types: (vCPUs, GPUs, GB per GPU), as Ray detects them when `resources` is left empty
INSTANCE_TYPES = {
    "m5.large": (2, 0, 0), "m5.xlarge": (4, 0, 0), "m5.2xlarge": (8, 0, 0), "m5.4xlarge": (16, 0, 0),
    "c5.2xlarge": (8, 0, 0), "c5.4xlarge": (16, 0, 0),
    "g4dn.xlarge": (4, 1, 16), "g4dn.2xlarge": (8, 1, 16), "g4dn.12xlarge": (48, 4, 16),
    "g5.xlarge": (4, 1, 24), "g5.2xlarge": (8, 1, 24), "g5.4xlarge": (16, 1, 24), "g5.12xlarge": (48, 4, 24),
    "g6.xlarge": (4, 1, 24), "g6.2xlarge": (8, 1, 24), "g6.12xlarge": (48, 4, 24),
    "p3.2xlarge": (8, 1, 16), "p4d.24xlarge": (96, 8, 40), "p5.48xlarge": (192, 8, 80),
}
CUDA_CONTEXT_GB = 0.5  # per trial process, outside the allocator's peak (trainables/step_memory.py)


class ClusterCheckError(ValueError):
    pass


@dataclass(frozen=True)
class NodeType:
    name: str
    instance: str
    cpu: float | None
    gpu: float | None
    gpu_gb: float | None
    max_workers: int
    head: bool

    def trials(self, cpu: float, gpu: float) -> int:
        """How many trials asking for (cpu, gpu) one such node holds at once."""
        if self.cpu is None or self.gpu is None:
            return 0
        by_cpu = math.floor(self.cpu / cpu + 1e-9)
        by_gpu = math.floor(self.gpu / gpu + 1e-9) if gpu else by_cpu
        return min(by_cpu, by_gpu)


@dataclass
class Findings:
    lines: list[str] = field(default_factory=list)  # what will run where
    problems: list[str] = field(default_factory=list)  # each makes the check fail (exit 2)


def load_cluster(path: Path) -> dict:
    """cluster.yaml, valid against the schema of the Ray that is installed."""
    import jsonschema
    import ray

    try:
        config = yaml.safe_load(Path(path).read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ClusterCheckError(f"{path}: not a readable YAML file ({str(exc).splitlines()[0]})") from None
    schema = json.loads((Path(ray.__file__).parent / "autoscaler" / "ray-schema.json").read_text())
    try:
        jsonschema.validate(config, schema)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "top level"
        raise ClusterCheckError(f"{path}: {where}: {exc.message} (Ray's cluster schema)") from None
    return config


def node_types(config: dict) -> list[NodeType]:
    out = []
    for name, spec in config.get("available_node_types", {}).items():
        instance = str(spec.get("node_config", {}).get("InstanceType", "?"))
        cpus, gpus, gpu_gb = INSTANCE_TYPES.get(instance, (None, None, None))
        declared = spec.get("resources") or {}
        cpu = float(declared["CPU"]) if "CPU" in declared else cpus
        gpu = float(declared["GPU"]) if "GPU" in declared else gpus
        head = name == config.get("head_node_type")
        out.append(NodeType(name, instance, cpu, gpu, gpu_gb, 1 if head else int(spec.get("max_workers", 0)), head))
    return out


def describe(node: NodeType) -> str:
    if node.cpu is None or node.gpu is None:
        return f"{node.instance}: unknown to voxgraft; declare resources: {{CPU: N, GPU: N}}"
    gpus = "no GPU" if not node.gpu else f"{node.gpu:g} GPU" + (f" of {node.gpu_gb:g} GB" if node.gpu_gb else "")
    return f"{node.instance}: {node.cpu:g} CPU, {gpus}"


def check(config: dict, sweep: Sweep | None = None, measured: dict | None = None) -> Findings:
    found = Findings()
    nodes = node_types(config)
    for node in nodes:
        role = "head (runs the driver)" if node.head else f"worker, up to {node.max_workers}"
        found.lines.append(f"{node.name}, {role}: {describe(node)}")
        if node.head and node.gpu:
            found.problems.append(f"the head node type {node.name} has {node.gpu:g} GPU: trials would train beside the driver; "
                                  "give the head a CPU instance or declare resources: {CPU: N, GPU: 0}")
    if sweep is not None:
        _check_trials(found, nodes, sweep, measured)
    return found


def _check_trials(found: Findings, nodes: list[NodeType], sweep: Sweep, measured: dict | None) -> None:
    cpu, gpu = sweep.resources.cpu, sweep.resources.gpu
    hosts = [(n, n.trials(cpu, gpu)) for n in nodes if n.trials(cpu, gpu) > 0]
    ask = f"a trial of {sweep.name} asks for {cpu:g} CPU and {gpu:g} GPU"
    if not [n for n, _ in hosts if not n.head]:
        found.problems.append(f"{ask}: no worker node type has that, so trials would wait forever")
        return
    for node, per_node in hosts:
        where = "on the head, beside the driver" if node.head else f"per {node.name} node"
        found.lines.append(f"{ask}: {per_node} at once {where}")
    most = sum(per_node * n.max_workers for n, per_node in hosts)
    found.lines.append(f"at most {most} trials at once, with every node type at its max_workers")
    if gpu:
        for node, _ in hosts:
            if node.gpu_gb:
                _check_share(found, node, gpu, measured)


def _check_share(found: Findings, node: NodeType, gpu: float, measured: dict | None) -> None:
    share = node.gpu_gb * gpu
    if measured is None:
        found.lines.append(f"GPU memory per trial on {node.name}: {share:g} GB, unmeasured: run `voxgraft plan --model R --train "
                           "ORGANS --memory DONOR --save step.json` on a GPU and pass --measured step.json")
        return
    if measured.get("device") != "cuda":
        found.lines.append(f"GPU memory per trial on {node.name}: {share:g} GB; the measurement given was on "
                           f"{measured.get('device')}, which does not translate to GPU memory")
        return
    need = float(measured["peak_mb"]) / 1024 + CUDA_CONTEXT_GB
    what = f"{measured.get('organs')} at batch {measured.get('batch_size')}"
    if need > share:
        found.problems.append(f"a trial needs {need:.1f} GB ({what}, measured on a GPU, with CUDA context) but gets a "
                              f"{share:g} GB share of a {node.gpu_gb:g} GB GPU on {node.name}: raise resources.gpu to "
                              f"{need / node.gpu_gb:.2f} or more")
    else:
        found.lines.append(f"GPU memory per trial on {node.name}: {share:g} GB share, {need:.1f} GB measured ({what}): fits")
