"""The sweep file: what to transplant from where, what to search over, how, and where results go.

Validated by pydantic with unknown keys forbidden, so a typo is an error naming the field, not
a silently ignored setting. `load_sweep` turns every validation error into one line per field.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, field_validator, model_validator

from voxgraft.evaluate.registry import OBJECTIVES
from voxgraft.layout import unsafe_name_reason
from voxgraft.models.organs import ORGAN_MODULES, ORGAN_PRESETS
from voxgraft.storage import credentials_in

ORGAN_NAMES = tuple(ORGAN_MODULES) + tuple(ORGAN_PRESETS)
FIXED_KEYS = ("segment_frames", "grad_clip_norm", "lr_decay", "seed")


class SweepFileError(ValueError):
    pass


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_organ_set(value: str) -> str:
    names = [n.strip() for n in value.split(",") if n.strip()]
    if not names:
        raise ValueError("an organ set names at least one organ")
    unknown = [n for n in names if n not in ORGAN_NAMES]
    if unknown:
        raise ValueError(f"unknown organ {unknown[0]!r}; allowed: {', '.join(ORGAN_NAMES)}")
    return ",".join(names)


class EverySubset(Strict):
    every_subset_of: list[str] = Field(min_length=1)

    @field_validator("every_subset_of")
    @classmethod
    def _organs(cls, v: list[str]) -> list[str]:
        return [_check_organ_set(n) for n in v]

    def options(self) -> list[str]:
        items = self.every_subset_of
        return [",".join(c) for k in range(1, len(items) + 1) for c in itertools.combinations(items, k)]


class Triaged(Strict):
    """`organs: {triage: K}`: every subset of the K organs `voxgraft triage` ranks first for
    `objective`, measured when the sweep starts (sweep/triaged.py)."""

    triage: Annotated[int, Field(ge=1, le=len(ORGAN_MODULES))]
    objective: Literal["cadence", "timbre"] = "timbre"


def _organs_form(value: object) -> str:
    """Which form `organs:` takes, so a mistake in one is reported in that form's terms only."""
    if isinstance(value, Triaged) or (isinstance(value, dict) and "triage" in value):
        return "triage_form"
    return "subsets_form" if isinstance(value, (dict, EverySubset)) else "list_form"  # models too: when writing the spec


OrganSearch = Annotated[
    Annotated[Annotated[list[str], Field(min_length=1)], Tag("list_form")]
    | Annotated[EverySubset, Tag("subsets_form")]
    | Annotated[Triaged, Tag("triage_form")],
    Discriminator(_organs_form),
]

LearningRate = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]  # documented range (0, 1]


class LogUniform(Strict):
    loguniform: tuple[LearningRate, LearningRate]

    @model_validator(mode="after")
    def _ordered(self) -> LogUniform:
        low, high = self.loguniform
        if not low < high:
            raise ValueError(f"loguniform needs low < high, got [{low}, {high}]")
        return self


PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
PositiveInt = Annotated[int, Field(gt=0)]
STORAGE_SCHEMES = ("s3", "gs", "gcs", "hdfs", "abfs", "file")  # what pyarrow.fs opens
MAX_STEPS = 10_000_000  # far past any real transplant; a typo such as 1e23 is an error here, not mid-trial
# Each fixed setting's documented range: (low, high, whether low itself is allowed, integer?)
FIXED_RANGES = {"segment_frames": (1, 100_000, True, True), "grad_clip_norm": (0, 1e6, False, False),
                "lr_decay": (0, 1, False, False), "seed": (0, 2**32 - 1, True, True)}


class Search(Strict):
    organs: OrganSearch
    lr: Annotated[list[LearningRate], Field(min_length=1)] | LogUniform
    alignment: Annotated[list[Literal["forced", "learned"]], Field(min_length=1)] = ["forced"]
    # what the decoder learns from (training/plan.py): VITS's posterior of the donor's audio, or
    # the latent it decodes at inference (the text prior along the alignment, through the flow)
    decoder_input: Annotated[list[Literal["posterior", "prior"]], Field(min_length=1)] = ["posterior"]
    # the style VAE's latent size and KL weight (the recipient must be pretrained with --style-latent)
    vae_latent: Annotated[list[Annotated[int, Field(ge=1, le=1024)]], Field(min_length=1)] | None = None
    vae_beta: Annotated[list[Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)]], Field(min_length=1)] | None = None
    batch_size: Annotated[int, Field(gt=0, le=4096)] = 8
    steps: Annotated[int, Field(gt=0, le=MAX_STEPS)] = 200
    eval_every: PositiveInt = 50
    fixed: dict[str, float | int] = {}

    @field_validator("organs")
    @classmethod
    def _organ_sets(cls, v):
        return [_check_organ_set(n) for n in v] if isinstance(v, list) else v

    @field_validator("fixed")
    @classmethod
    def _fixed_keys(cls, v: dict) -> dict:
        unknown = [k for k in v if k not in FIXED_KEYS]
        if unknown:
            raise ValueError(f"unknown fixed setting {unknown[0]!r}; allowed: {', '.join(FIXED_KEYS)}")
        for key, value in v.items():
            low, high, low_ok, integer = FIXED_RANGES[key]
            inside = (low <= value if low_ok else low < value) and value <= high
            if isinstance(value, bool) or not inside or (integer and value != int(value)):
                bounds = f"{'[' if low_ok else '('}{low:g}, {high:g}]"
                raise ValueError(f"{key} must be {'a whole number ' if integer else ''}in {bounds}, got {value!r}")
        return v

    @model_validator(mode="after")
    def _eval_within_steps(self) -> Search:
        if self.eval_every > self.steps:
            raise ValueError(f"eval_every ({self.eval_every}) is more than steps ({self.steps}): no evaluation would run")
        return self

    def organ_options(self) -> list[str]:
        if isinstance(self.organs, Triaged):  # a bug, not bad input: run_sweep resolves it first
            raise ValueError("organs: {triage: K} is resolved to organ sets when the sweep starts")
        return self.organs.options() if isinstance(self.organs, EverySubset) else list(self.organs)


class Asha(Strict):
    type: Literal["asha"]
    grace_period: PositiveInt = 1
    reduction_factor: Annotated[float, Field(gt=1)] = 2.0


class NoScheduler(Strict):
    type: Literal["none"]


class Objective(Strict):
    metric: Literal[OBJECTIVES]  # type: ignore[valid-type]
    mode: Literal["min", "max"] = "min"


class Resources(Strict):
    cpu: Annotated[float, Field(gt=0, le=1024, allow_inf_nan=False)] = 1.0
    gpu: Annotated[float, Field(ge=0, le=64, allow_inf_nan=False)] = 0.0


class EvalSet(Strict):
    heldout: PositiveInt = 4  # the donor's last N utterances
    # Whisper and DNSMOS hear every evaluation (evaluate/judges.py); false: faster, and every
    # page says they were not measured
    judges: bool = True
    asr_model: str | None = None  # a CTranslate2 Whisper directory; default the bundled tiny.en

    @field_validator("asr_model")
    @classmethod
    def _a_folder(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("asr_model is empty; give a CTranslate2 Whisper directory or leave it out")
        return v


class Sweep(Strict):
    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")]
    recipient: str
    donor: str
    eval: EvalSet = EvalSet()
    search: Search
    searcher: Literal["grid", "random", "optuna", "optuna-multi"] = "grid"
    scheduler: Annotated[Asha | NoScheduler, Field(discriminator="type")] = NoScheduler(type="none")
    num_samples: Annotated[int, Field(gt=0, le=100_000)] = 1
    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] = 0
    objectives: Annotated[list[Objective], Field(min_length=1)] = [Objective(metric="heldout_loss")]
    resources: Resources = Resources()
    memory_budget_gb: Annotated[float, Field(gt=0, le=4096, allow_inf_nan=False)] = 24.0
    keep_checkpoints: PositiveInt = 2
    max_failures: Annotated[int, Field(ge=0)] = 1
    storage: str = "sweeps"

    @field_validator("name")
    @classmethod
    def _one_folder(cls, v: str) -> str:
        reason = unsafe_name_reason(v)  # the experiment's folder under storage
        if reason:
            raise ValueError(f"{reason}; a sweep's name is the name of its folder")
        return v

    @field_validator("storage")
    @classmethod
    def _known_scheme(cls, v: str) -> str:
        scheme = v.split("://", 1)[0] if "://" in v else None
        if scheme is not None and scheme not in STORAGE_SCHEMES:
            raise ValueError(f"unknown storage scheme {scheme!r}; use a local folder or one of: {', '.join(s + '://' for s in STORAGE_SCHEMES)}")
        if not v.strip():
            raise ValueError("storage is empty; use a local folder or a bucket URI")
        secret = credentials_in(v)
        if secret:  # the URI is written into the sweep's spec, Tune's state and the report
            raise ValueError(f"storage URI carries {secret}: give credentials through the environment "
                             "(AWS_ACCESS_KEY_ID, GOOGLE_APPLICATION_CREDENTIALS, ...) or an instance role, never in the URI")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Sweep:
        if self.searcher == "grid" and isinstance(self.search.lr, LogUniform):
            raise ValueError("search.lr: a grid needs a list of learning rates, not a loguniform range")
        if self.searcher == "optuna-multi" and len(self.objectives) < 2:
            raise ValueError("objectives: optuna-multi needs at least two objectives")
        if self.searcher != "optuna-multi" and len(self.objectives) > 1:
            raise ValueError(f"objectives: searcher {self.searcher!r} optimizes one objective; use optuna-multi for several")
        if isinstance(self.scheduler, Asha) and len(self.objectives) > 1:
            raise ValueError("scheduler: ASHA stops trials on one metric; it cannot be combined with several objectives")
        return self

    @property
    def objective(self) -> Objective:
        return self.objectives[0]


def _field_path(loc: tuple) -> str:
    """pydantic's location without the union-member names it inserts."""
    members = ("list", "EverySubset", "LogUniform", "asha", "none", "list_form", "subsets_form", "triage_form")
    parts = [str(p) for p in loc if not (isinstance(p, str) and ("[" in p or p in members))]
    return ".".join(parts)


def _one_line_per_field(errors: list[dict]) -> list[tuple[str, str]]:
    """A union reports one error per member; keep the most specific: the deepest field, and at
    one field a value error over a 'should be a list/dict' type mismatch."""
    found = [(_field_path(e["loc"]), e["type"], e["msg"].removeprefix("Value error, ")) for e in errors]
    paths = {p for p, _, _ in found}
    chosen: dict[str, tuple[str, str]] = {}
    for path, kind, message in found:
        if any(other != path and other.startswith(path + ".") for other in paths if path):
            continue  # a deeper error says more
        if kind == "extra_forbidden":
            message = "unknown key (check its spelling)"
        if path not in chosen or (chosen[path][0].endswith("_type") and not kind.endswith("_type")):
            chosen[path] = (kind, message)
    return [(path, message) for path, (_, message) in chosen.items()]


def parse_sweep(data: object, source: str = "sweep file") -> Sweep:
    if not isinstance(data, dict):
        raise SweepFileError(f"{source}: expected a mapping of settings at the top level")
    try:
        return Sweep.model_validate(data)
    except ValidationError as exc:
        lines = [f"{source}: {path}: {message}" if path else f"{source}: {message}" for path, message in _one_line_per_field(exc.errors())]
        raise SweepFileError("\n".join(lines)) from None


MAX_SWEEP_FILE_BYTES = 1_000_000  # a sweep file is a page of settings


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML where a key given twice is an error (plain YAML keeps the last silently)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"key {key!r} is given twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def load_sweep(path: str | Path) -> Sweep:
    path = Path(path)
    try:
        if path.stat().st_size > MAX_SWEEP_FILE_BYTES:
            raise SweepFileError(f"{path}: {path.stat().st_size} bytes; a sweep file is at most {MAX_SWEEP_FILE_BYTES}")
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)
    except OSError as exc:
        raise SweepFileError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise SweepFileError(f"{path}: not UTF-8 text") from None
    except RecursionError:
        raise SweepFileError(f"{path}: nested too deeply to be a sweep file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or ""
        detail = f" ({problem})" if "given twice" in problem else ""
        raise SweepFileError(f"{path}:{where}: not valid YAML{detail}") from None
    return parse_sweep(data, str(path))


BUILTIN_DIR = Path(__file__).parent


def builtin_sweeps() -> dict[str, Path]:
    return {p.stem: p for p in sorted(BUILTIN_DIR.glob("*.yaml"))}
