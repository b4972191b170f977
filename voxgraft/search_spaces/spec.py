"""A sweep directory's spec and layout: the one reader of `voxgraft_sweep.json`.

`voxgraft sweep` writes the spec (the validated sweep file, the trial context and whether W&B
logs) beside the experiment when the sweep starts; `--resume`, `report` and `pick` read it back
through `read_spec`. Where the directories of a sweep are is `experiment_dir`, `results_dir`
and `references_dir`; the names inside them are in voxgraft/layout.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from voxgraft.layout import REFERENCES_DIR, RESULTS_DIR, SPEC_FILE, path_inside
from voxgraft.search_spaces.schema import Sweep, SweepFileError, parse_sweep
from voxgraft.storage import is_uri, join, read_bytes, write_bytes

DEFAULT_OBJECTIVES = [("heldout_loss", "min")]  # the sweep file's default objective


class SpecError(ValueError):
    pass


@dataclass(frozen=True)
class SweepSpec:
    sweep: Sweep
    context: dict  # trainables.transplant.TrialContext as JSON data
    wandb: bool = False

    def to_json(self) -> str:
        return json.dumps({"sweep": self.sweep.model_dump(mode="json"), "context": self.context, "wandb": self.wandb}, indent=2) + "\n"

    @property
    def objectives(self) -> list[tuple[str, str]]:
        return [(o.metric, o.mode) for o in self.sweep.objectives]


def experiment_dir(sweep: Sweep) -> str:
    if is_uri(sweep.storage):
        return join(sweep.storage, sweep.name)
    return str(path_inside(Path(sweep.storage).resolve(), sweep.name))


def results_dir(sweep: Sweep) -> str:
    """The store, beside the experiment: a local folder or a bucket URI."""
    return join(experiment_dir(sweep), RESULTS_DIR)


def references_dir(sweep: Sweep) -> str:
    """The sweep's anchors and A/B renderings (recipient/, donor/), beside its results."""
    return join(experiment_dir(sweep), REFERENCES_DIR)


def write_spec(directory: str, spec: SweepSpec) -> None:
    write_bytes(join(directory, SPEC_FILE), spec.to_json().encode())


def read_spec(directory: str | Path) -> SweepSpec:
    """The spec of the sweep in `directory`; SpecError when there is none or it is unreadable."""
    location = join(str(directory), SPEC_FILE)
    try:
        payload = json.loads(read_bytes(location).decode())
        sweep, context = payload["sweep"], dict(payload["context"])
    except (OSError, ValueError, KeyError, TypeError):
        raise SpecError(f"{directory}: not a voxgraft sweep directory (no readable {SPEC_FILE})") from None
    return SweepSpec(parse_sweep(sweep, location), context, bool(payload.get("wandb", False)))


def name_and_objectives(directory: Path) -> tuple[str, list[tuple[str, str]]]:
    """The sweep's name and objectives; for a store copied without its spec, the directory's
    name and the default objective."""
    try:
        spec = read_spec(directory)
    except (SpecError, SweepFileError):
        return directory.name, list(DEFAULT_OBJECTIVES)
    return spec.sweep.name, spec.objectives
