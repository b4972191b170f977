"""cluster.yaml is a valid Ray cluster launcher file with 24 GB GPU workers."""

import json
from pathlib import Path

import jsonschema
import ray
import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_cluster_yaml_validates_against_rays_own_schema():
    schema = json.loads((Path(ray.__file__).parent / "autoscaler" / "ray-schema.json").read_text())
    config = yaml.safe_load((ROOT / "cluster.yaml").read_text())
    jsonschema.validate(config, schema)
    workers = [t for name, t in config["available_node_types"].items() if name != config["head_node_type"]]
    assert workers and all(t["node_config"]["InstanceType"] == "g5.xlarge" for t in workers)  # one A10G, 24 GB
    assert any("pip install torch==" in c for c in config["setup_commands"])  # CUDA torch from PyPI
