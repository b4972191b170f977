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


def is_uri(location: str) -> bool:
    return "://" in location


def experiment_dir(sweep: Sweep) -> str:
    if is_uri(sweep.storage):
        return f"{sweep.storage.rstrip('/')}/{sweep.name}"
    return str(path_inside(Path(sweep.storage).resolve(), sweep.name))


def results_dir(sweep: Sweep) -> Path:
    """The store lives beside the experiment for local storage; for cloud storage, on the
    driver under ./sweeps (copy it up with the tool of your cloud)."""
    if is_uri(sweep.storage):
        return Path("sweeps").resolve() / sweep.name / RESULTS_DIR
    return Path(experiment_dir(sweep)) / RESULTS_DIR


def references_dir(sweep: Sweep) -> Path:
    """The sweep's anchors and A/B renderings (recipient/, donor/), beside its results."""
    return results_dir(sweep).parent / REFERENCES_DIR


def write_text(location: str, text: str) -> None:
    """A small file beside the experiment, locally or in cloud storage (through pyarrow's filesystems)."""
    if not is_uri(location):
        Path(location).parent.mkdir(parents=True, exist_ok=True)
        Path(location).write_text(text)
        return
    import pyarrow.fs

    fs, path = pyarrow.fs.FileSystem.from_uri(location)
    with fs.open_output_stream(path) as out:
        out.write(text.encode())


def read_text(location: str) -> str:
    if not is_uri(location):
        return Path(location).read_text()
    import pyarrow.fs

    fs, path = pyarrow.fs.FileSystem.from_uri(location)
    with fs.open_input_stream(path) as stream:
        return stream.read().decode()


def write_spec(directory: str, spec: SweepSpec) -> None:
    write_text(f"{directory}/{SPEC_FILE}", spec.to_json())


def read_spec(directory: str | Path) -> SweepSpec:
    """The spec of the sweep in `directory`; SpecError when there is none or it is unreadable."""
    location = f"{directory}/{SPEC_FILE}"
    try:
        payload = json.loads(read_text(location))
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
