"""`voxgraft sweep`: prepare the donor once, run (or resume) the Tune experiment, say where the
results and the best checkpoint are."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from voxgraft.analysis.store import ResultsStore
from voxgraft.analysis.tune_callback import ResultsStoreCallback
from voxgraft.data.training_set import open_training_set
from voxgraft.layout import REFERENCES_DIR, RESULTS_DIR, SPEC_FILE
from voxgraft.models.checkpoints import load_recipient
from voxgraft.search_spaces.schema import Sweep, parse_sweep
from voxgraft.search_spaces.tuner import param_space, tune_config
from voxgraft.trainables.evaluate.anchors import compute_anchors, write_anchors
from voxgraft.trainables.evaluate.speaker import SpeakerEncoder
from voxgraft.trainables.transplant import TrialContext, recipient_symbols, transplant_trial



class SweepError(ValueError):
    pass


@dataclass
class SweepOutcome:
    experiment_dir: str
    results_dir: Path
    rows: int
    best: dict | None
    results: object = None  # Ray Tune's ResultGrid


def is_uri(storage: str) -> bool:
    return "://" in storage


def experiment_dir(sweep: Sweep) -> str:
    root = sweep.storage if is_uri(sweep.storage) else str(Path(sweep.storage).resolve())
    return f"{root.rstrip('/')}/{sweep.name}"


def results_dir(sweep: Sweep) -> Path:
    """The store lives beside the experiment for local storage; for cloud storage, on the
    driver under ./sweeps (copy it up with the tool of your cloud)."""
    if is_uri(sweep.storage):
        return Path("sweeps").resolve() / sweep.name / RESULTS_DIR
    return Path(experiment_dir(sweep)) / RESULTS_DIR


def references_dir(sweep: Sweep) -> Path:
    """The sweep's anchors and A/B renderings (recipient/, donor/), beside its results."""
    return results_dir(sweep).parent / REFERENCES_DIR


def prepare(sweep: Sweep) -> TrialContext:
    """Check the recipient, prepare the donor's features and measure the transfer anchors
    (writing the recipient's and donor's renderings of the held-out sentences) once, before
    any trial."""
    recipient = Path(sweep.recipient)
    loaded = load_recipient(recipient)  # fails here, clearly, rather than in every trial
    if sweep.search.vae_latent and not loaded.model.config.speaker_embedding_size:
        raise SweepError(
            f"{recipient}: the sweep sets vae_latent, but this recipient has no global conditioning for a style "
            "VAE: pretrain a multi-voice recipient with `voxgraft pretrain ... --style-latent N`"
        )
    try:
        symbols = recipient_symbols(recipient)
    except ValueError as exc:
        raise SweepError(f"{recipient}: the recipient needs voxgraft's symbols.json beside its weights ({exc})") from None
    for alignment in sweep.search.alignment:
        data = open_training_set(sweep.donor, alignment, symbols=symbols, heldout=sweep.eval.heldout)
    anchors = compute_anchors(loaded.model.eval(), data, SpeakerEncoder.pretrained(), references_dir(sweep))
    write_anchors(anchors, references_dir(sweep))
    return TrialContext(
        str(recipient.resolve()),
        str(Path(sweep.donor).resolve()),
        sweep.eval.heldout,
        sweep.memory_budget_gb,
        json.loads(anchors.to_json()),
    )


def _write_text(location: str, text: str) -> None:
    """A small file beside the experiment, locally or in cloud storage (through pyarrow's filesystems)."""
    if not is_uri(location):
        Path(location).parent.mkdir(parents=True, exist_ok=True)
        Path(location).write_text(text)
        return
    import pyarrow.fs

    fs, path = pyarrow.fs.FileSystem.from_uri(location)
    with fs.open_output_stream(path) as out:
        out.write(text.encode())


def _read_text(location: str) -> str:
    if not is_uri(location):
        return Path(location).read_text()
    import pyarrow.fs

    fs, path = pyarrow.fs.FileSystem.from_uri(location)
    with fs.open_input_stream(path) as stream:
        return stream.read().decode()


def _trainable(sweep: Sweep, context: TrialContext):
    from ray import tune

    resources = {"cpu": sweep.resources.cpu, "gpu": sweep.resources.gpu}
    return tune.with_resources(tune.with_parameters(transplant_trial, context=context), resources)


def _callbacks(sweep: Sweep, wandb: bool) -> list:
    callbacks = [ResultsStoreCallback(str(results_dir(sweep)), sweep.name)]
    if wandb:
        import importlib.util

        if importlib.util.find_spec("wandb") is None:
            raise SweepError("--wandb needs wandb: pip install 'voxgraft[wandb]'")
        from ray.air.integrations.wandb import WandbLoggerCallback

        if not os.environ.get("WANDB_API_KEY") and not os.environ.get("WANDB_MODE"):
            os.environ["WANDB_MODE"] = "offline"  # logs locally until the user configures W&B
        callbacks.append(WandbLoggerCallback(project="voxgraft", group=sweep.name))
    return callbacks


def _init_ray(address: str | None) -> None:
    import ray

    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)


def best_row(sweep: Sweep, store: ResultsStore) -> dict | None:
    rows = store.table().to_pylist()
    failed = {r["trial_id"] for r in rows if r["status"] in ("rejected", "error")}  # its earlier rows too
    rows = [r for r in rows if r["trial_id"] not in failed and not r.get("rejected")]
    metric, mode = sweep.objective.metric, sweep.objective.mode
    rows = [r for r in rows if r.get(metric) is not None]
    if not rows:
        return None
    return (min if mode == "min" else max)(rows, key=lambda r: r[metric])


def run_sweep(sweep: Sweep, address: str | None = None, wandb: bool = False) -> SweepOutcome:
    from ray import tune

    exp_dir = experiment_dir(sweep)
    if not is_uri(exp_dir) and Path(exp_dir).exists() and any(Path(exp_dir).iterdir()):
        raise SweepError(f"{exp_dir} already holds a sweep: continue it with --resume {exp_dir}, or give another name or --storage")
    callbacks = _callbacks(sweep, wandb)
    context = prepare(sweep)
    _init_ray(address)
    run_config = tune.RunConfig(
        name=sweep.name,
        storage_path=exp_dir.rsplit("/", 1)[0],
        checkpoint_config=tune.CheckpointConfig(
            num_to_keep=sweep.keep_checkpoints,
            checkpoint_score_attribute=sweep.objective.metric,
            checkpoint_score_order=sweep.objective.mode,
        ),
        failure_config=tune.FailureConfig(max_failures=sweep.max_failures),
        callbacks=callbacks,
        verbose=1,
    )
    tuner = tune.Tuner(_trainable(sweep, context), param_space=param_space(sweep), tune_config=tune_config(sweep), run_config=run_config)
    spec = {"sweep": sweep.model_dump(mode="json"), "context": asdict(context), "wandb": wandb}
    _write_text(f"{exp_dir}/{SPEC_FILE}", json.dumps(spec, indent=2) + "\n")
    grid = tuner.fit()
    return _outcome(sweep, exp_dir, grid)


def resume_sweep(directory: str | Path, address: str | None = None) -> SweepOutcome:
    """Continue an interrupted sweep from its experiment directory (also after SIGKILL)."""
    from ray import tune

    directory = str(directory) if is_uri(str(directory)) else str(Path(directory).resolve())
    try:
        spec = json.loads(_read_text(f"{directory}/{SPEC_FILE}"))
    except (OSError, json.JSONDecodeError):
        raise SweepError(f"{directory}: not a voxgraft sweep directory (no readable {SPEC_FILE})") from None
    sweep = parse_sweep(spec["sweep"], f"{directory}/{SPEC_FILE}")
    if "anchors" in spec["context"]:
        context = TrialContext(**spec["context"])
    else:  # a sweep started before evaluation had anchors: measure them now, as a new sweep would
        context = prepare(sweep)
    if not tune.Tuner.can_restore(directory):
        raise SweepError(f"{directory}: Ray Tune has no experiment state to resume there")
    _init_ray(address)
    tuner = tune.Tuner.restore(directory, _trainable(sweep, context), resume_unfinished=True, resume_errored=True)
    grid = tuner.fit()
    return _outcome(sweep, directory, grid)


def _outcome(sweep: Sweep, exp_dir: str, grid) -> SweepOutcome:
    store = ResultsStore(results_dir(sweep))
    return SweepOutcome(exp_dir, store.root, store.table().num_rows, best_row(sweep, store), grid)
