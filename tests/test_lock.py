"""requirements.lock is what every install runs: it pins each of voxgraft's requirements (but
torch, each host's own build) to one version that meets pyproject.toml, this venv has exactly
those versions, and cluster.yaml's nodes install the same lock and torch version."""

import re
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def _locked() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, sep, pinned = line.strip().partition("==")
            assert sep and re.fullmatch(r"[\w.+!-]+", pinned), f"not an exact pin: {line!r}"
            pins[canonicalize_name(name)] = pinned
    return pins


def _required() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]]


def test_the_lock_pins_every_requirement_to_a_version_pyproject_allows():
    locked = _locked()
    assert "torch" not in locked and not [n for n in locked if n.startswith("nvidia-")]  # no host's torch build
    for requirement in _required():
        name = canonicalize_name(requirement.name)
        if name == "torch":
            continue
        assert name in locked, f"{requirement} is not in requirements.lock: run `make lock`"
        assert requirement.specifier.contains(locked[name], prereleases=True), f"lock has {name}=={locked[name]}, pyproject wants {requirement}"


def test_this_environment_is_the_lock():
    wrong = {}
    for name, pinned in _locked().items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = None
        if installed != pinned:
            wrong[name] = (pinned, installed)
    assert not wrong, f"installed versions differ from requirements.lock (locked, installed): {wrong}"


def test_cluster_nodes_install_the_lock_and_the_same_torch():
    commands = " && ".join(yaml.safe_load((ROOT / "cluster.yaml").read_text())["setup_commands"])
    torch_version = re.search(r"^TORCH_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert f"pip install torch=={torch_version}" in commands
    assert "pip install -r requirements.lock" in commands and "pip install --no-deps -e ." in commands
