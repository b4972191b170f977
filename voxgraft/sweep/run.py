"""`voxgraft sweep`: run (or resume) the Tune experiment of a sweep file, and say where the
results and the best checkpoint are. Start at `run_sweep`."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import posixpath
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from voxgraft import storage
from voxgraft.console import err_console, first_line
from voxgraft.layout import REFERENCES_DIR, RESULTS_DIR, SPEC_FILE
from voxgraft.models.checkpoints import CheckpointError, recipient_sha256
from voxgraft.search_spaces.schema import Sweep
from voxgraft.search_spaces.spec import SpecError, SweepSpec, experiment_dir, read_spec, results_dir, write_spec
from voxgraft.search_spaces.tuner import param_space, tune_config
from voxgraft.storage import is_uri
from voxgraft.sweep.best import best
from voxgraft.sweep.lock import LOCK_FILE, SweepLocked, holding
from voxgraft.sweep.prepare import SweepError, prepare
from voxgraft.sweep.ray_address import UnreachableRay, check_reachable
from voxgraft.sweep.ray_processes import start_local_ray
from voxgraft.sweep.store import ResultsStore
from voxgraft.sweep.triaged import resolve_triage
from voxgraft.sweep.tune_callback import ResultsStoreCallback
from voxgraft.trainables.transplant import TrialContext, transplant_trial


@dataclass
class SweepOutcome:
    experiment_dir: str
    results_dir: str  # a local folder or a bucket URI
    rows: int
    best: dict | None  # sweep/best.py's choice by the sweep's first objective
    results: object = None  # Ray Tune's ResultGrid
    evaluated: int = 0  # rows with the first objective measured
    statuses: dict[str, int] = field(default_factory=dict)  # trials by their last status
    seconds: dict[str, float] = field(default_factory=dict)  # where the driver's time went: prepare, ray_start, trials

    def summary(self) -> str:
        shown = ", ".join(f"{n} {status}" for status, n in sorted(self.statuses.items())) or "no trial reported"
        return f"trials: {shown}; {self.evaluated} evaluated report(s)"


def _trainable(sweep: Sweep, context: TrialContext):
    from ray import tune

    resources = {"cpu": sweep.resources.cpu, "gpu": sweep.resources.gpu}
    return tune.with_resources(tune.with_parameters(transplant_trial, context=context), resources)


def _callbacks(sweep: Sweep, wandb: bool) -> list:
    callbacks = [ResultsStoreCallback(sweep.name)]
    if wandb:
        import importlib.util

        if importlib.util.find_spec("wandb") is None:
            raise SweepError("--wandb needs wandb: pip install 'voxgraft[wandb]'")
        from ray.air.integrations.wandb import WandbLoggerCallback

        if not os.environ.get("WANDB_API_KEY") and not os.environ.get("WANDB_MODE"):
            os.environ["WANDB_MODE"] = "offline"  # logs locally until the user configures W&B
        callbacks.append(WandbLoggerCallback(project="voxgraft", group=sweep.name))
    return callbacks


def _check_address(address: str | None) -> None:
    """Before anything is written: an unreachable cluster fails in bounded time, leaving nothing
    (asked even when this process already runs a Ray: it may not be the one at `address`)."""
    if address is None:
        return
    try:
        check_reachable(address)
    except UnreachableRay as exc:
        raise SweepError(f"cannot reach Ray: {exc}") from None


def _init_ray(address: str | None) -> None:
    import ray

    if ray.is_initialized():
        return

    def init():
        # "local": a Ray of our own, even when /tmp/ray/ray_current_cluster names another cluster
        # on this machine (a `ray start` of the user's), which ray.init() would otherwise join
        ray.init(address=address or "local", include_dashboard=False, log_to_driver=False, configure_logging=False)

    try:
        if address is None:
            orphans = start_local_ray(init)
            if orphans:
                err_console.print(f"stopped {orphans} Ray process(es) left running by an earlier voxgraft that was killed")
        else:
            init()
    except (ConnectionError, TimeoutError, RuntimeError, ValueError) as exc:  # what ray.init raises for a bad address
        raise SweepError(f"cannot start or reach Ray at {address or 'this machine'}: {str(exc).splitlines()[0] if str(exc) else exc!r}") from None


def _run_config(sweep: Sweep, exp_dir: str, callbacks: list):
    from ray import tune

    return tune.RunConfig(
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


def run_sweep(sweep: Sweep, address: str | None = None, wandb: bool = False) -> SweepOutcome:
    from ray import tune

    exp_dir = experiment_dir(sweep)
    _check_start(sweep, exp_dir)
    if address is None:
        _check_fits(sweep, [_this_machine()], "this machine")
    _check_address(address)
    callbacks = _callbacks(sweep, wandb)
    seconds = {}
    with _timed(seconds, "prepare"):
        prepared = prepare(sweep)
        context = prepared.context
        sweep, chosen = resolve_triage(sweep, exp_dir)
    if chosen:
        err_console.print(chosen, highlight=False, markup=False)
    with _timed(seconds, "ray_start"):
        _init_ray(address)
    if address is not None:
        _check_fits(sweep, _cluster_nodes(), f"the cluster at {address}")
    tuner = tune.Tuner(
        _trainable(sweep, context), param_space=param_space(sweep), tune_config=tune_config(sweep),
        run_config=_run_config(sweep, exp_dir, callbacks),
    )
    with _sole_driver(exp_dir):
        _check_not_begun(exp_dir)  # now that it is ours: a rival may have begun it while this one prepared
        write_spec(exp_dir, SweepSpec(sweep, asdict(context), wandb))
        store = ResultsStore(results_dir(sweep))
        for row in prepared.knob_rows:  # after the spec: a start that failed before it leaves no results
            store.write_sealed([row])
        with _timed(seconds, "trials"):
            grid = tuner.fit()
    return replace(_outcome(sweep, exp_dir, grid), seconds=seconds)


@contextlib.contextmanager
def _sole_driver(exp_dir: str):
    """The sweep's lock for the block (sweep/lock.py): a second driver is one line."""
    try:
        with holding(exp_dir):
            yield
    except SweepLocked as exc:
        raise SweepError(f"{exp_dir}: {exc}") from None


def _check_not_begun(exp_dir: str) -> None:
    fs, path = storage.resolve(exp_dir)
    if storage.exists(fs, posixpath.join(path, SPEC_FILE)):
        raise SweepError(f"{exp_dir} was begun by another driver while this one prepared: continue it with --resume {exp_dir}")


def _check_start(sweep: Sweep, exp_dir: str) -> None:
    if is_uri(exp_dir):
        _check_bucket_start(exp_dir)
    else:
        _check_local_start(sweep, Path(exp_dir))


@contextlib.contextmanager
def _timed(seconds: dict[str, float], part: str):
    tick = time.perf_counter()
    yield
    seconds[part] = time.perf_counter() - tick


def _this_machine() -> dict[str, float]:
    import torch

    return {"CPU": float(os.cpu_count() or 1), "GPU": float(torch.cuda.device_count())}


def _cluster_nodes() -> list[dict[str, float]]:
    import ray

    return [node["Resources"] for node in ray.nodes() if node.get("Alive")]


def _check_fits(sweep: Sweep, nodes: list[dict[str, float]], where: str) -> None:
    """A trial asking for more than any one node has would wait PENDING forever."""
    need = {"CPU": sweep.resources.cpu, "GPU": sweep.resources.gpu}
    if not any(all(node.get(k, 0.0) >= v for k, v in need.items()) for node in nodes):
        biggest = max(nodes, key=lambda n: (n.get("GPU", 0.0), n.get("CPU", 0.0)), default={})
        raise SweepError(
            f"resources: a trial asks for {need['CPU']:g} CPU and {need['GPU']:g} GPU, but no node of {where} has that "
            f"(the largest: {biggest.get('CPU', 0.0):g} CPU, {biggest.get('GPU', 0.0):g} GPU): no trial could ever start"
        )


STARTED_ONLY = {REFERENCES_DIR, RESULTS_DIR, LOCK_FILE}  # what a start that failed before Ray ran may leave (and its lock)


def _check_local_start(sweep: Sweep, exp_dir: Path) -> None:
    """Refuse storage that is not a writable folder, and a folder that already holds a sweep
    or someone else's files; a start that failed before its trials ran is simply rerun."""
    storage = Path(sweep.storage)
    if storage.exists() and not storage.is_dir():
        raise SweepError(f"storage {storage} is a file, not a folder")
    writable_parent = next((p for p in [storage, *storage.resolve().parents] if p.exists()), None)
    if writable_parent is None or not os.access(writable_parent, os.W_OK | os.X_OK):
        raise SweepError(f"storage {storage}: cannot write there ({writable_parent} is not writable)")
    if (exp_dir / SPEC_FILE).exists():
        raise SweepError(f"{exp_dir} already holds a sweep: continue it with --resume {exp_dir}, or give another name or --storage")
    if exp_dir.exists() and not {p.name for p in exp_dir.iterdir()} <= STARTED_ONLY:
        raise SweepError(f"{exp_dir} holds files that are not a voxgraft sweep: give another name or --storage")
    if (exp_dir / RESULTS_DIR).is_dir() and any((exp_dir / RESULTS_DIR).iterdir()):
        raise SweepError(f"{exp_dir} holds results but no sweep spec: give another name or --storage")


def _check_bucket_start(exp_dir: str) -> None:
    """The bucket answers with these credentials, and the folder holds no sweep yet."""
    try:
        fs, path = storage.resolve(exp_dir)
        taken = storage.exists(fs, posixpath.join(path, SPEC_FILE)) or bool(storage.names_in(fs, posixpath.join(path, RESULTS_DIR)))
    except (OSError, ValueError) as exc:  # no such bucket, no credentials, refused, unreachable endpoint
        raise SweepError(f"storage {exp_dir}: {first_line(exc)}") from None
    if taken:
        raise SweepError(f"{exp_dir} already holds a sweep: continue it with --resume {exp_dir}, or give another name or --storage")


def resume_sweep(directory: str | Path, address: str | None = None) -> SweepOutcome:
    """Continue an interrupted sweep from its experiment directory (also after SIGKILL)."""
    from ray import tune

    directory = str(directory) if is_uri(str(directory)) else str(Path(directory).resolve())
    try:
        spec = read_spec(directory)
    except SpecError as exc:
        raise SweepError(str(exc)) from None
    sweep = spec.sweep
    _check_address(address)
    if not is_uri(directory):  # this folder, wherever it was copied or moved to, not where it began
        sweep = sweep.model_copy(update={"storage": str(Path(directory).parent), "name": Path(directory).name})
    if "anchors" in spec.context:
        context = TrialContext(**spec.context)
        if address is None:  # on a cluster each trial checks the recipient it loads (TrialContext.recipient_sha256)
            _check_inputs_here(context)
            _check_recipient_unchanged(context)
    else:  # a sweep started before evaluation had anchors: measure them now, as a new sweep would
        context = prepare(sweep).context
    _check_tune_state(directory)
    with _sole_driver(directory):
        _init_ray(address)
        try:
            tuner = tune.Tuner.restore(directory, _trainable(sweep, context), resume_unfinished=True, resume_errored=True)
        except (EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError) as exc:  # a truncated or foreign tuner.pkl
            raise SweepError(f"{directory}: Ray Tune cannot read its tuner.pkl ({type(exc).__name__}: {first_line(exc)}): "
                             "it cannot be resumed") from None
        grid = tuner.fit()
    return _outcome(sweep, directory, grid)


TUNE_STATE = ("tuner.pkl", "experiment_state-*.json")


def _check_tune_state(directory: str) -> None:
    """Tune's own state, whole, before Ray starts: without its experiment state Tune restores
    trials with empty configs under the old ids, and they fail in every worker (KeyError)."""
    try:
        fs, path = storage.resolve(directory)
        found = {pattern: storage.names_in(fs, path, pattern) for pattern in TUNE_STATE}
        states = [posixpath.join(path, name) for name in found[TUNE_STATE[1]]]
        empty = [name for name in [*found[TUNE_STATE[0]], *found[TUNE_STATE[1]]] if fs.get_file_info(posixpath.join(path, name)).size == 0]
        for state in states:
            with fs.open_input_stream(state) as f:
                json.loads(f.readall())
    except (OSError, ValueError) as exc:
        raise SweepError(f"{directory}: Ray Tune's experiment state cannot be read ({first_line(exc)}): it cannot be resumed") from None
    missing = [pattern for pattern, names in found.items() if not names]
    if missing or empty:
        what = f"no {missing[0]}" if missing else f"{empty[0]} is empty"
        raise SweepError(f"{directory}: Ray Tune's state is not whole ({what}); the driver stopped before Tune saved it, so "
                         "there is nothing to resume: start the sweep again in a new folder")
    try:  # what Tuner.restore will read first, read here before the lock is taken or Ray started
        with fs.open_input_stream(posixpath.join(path, TUNE_STATE[0])) as f:
            pickle.loads(f.readall())
    except Exception as exc:  # noqa: BLE001 (a truncated or foreign pickle can raise anything)
        raise SweepError(f"{directory}: Ray Tune cannot read its tuner.pkl ({type(exc).__name__}: {first_line(exc)}): "
                         "it cannot be resumed") from None


def _check_inputs_here(context: TrialContext) -> None:
    """Trials read the recipient and donor at the paths the sweep began with; a local resume
    on a machine without them would fail every trial."""
    for what, path in (("recipient", context.recipient), ("donor", context.donor)):
        if not Path(path).exists():
            raise SweepError(f"the sweep's {what} {path} is not on this machine: resume where it is, "
                             "or pass --address of a cluster whose nodes have it")


def _check_recipient_unchanged(context: TrialContext) -> None:
    """Trials load their organ deltas into the recipient's weights: other weights would train on
    silently, and the sweep's checkpoints would stop meaning anything."""
    if context.recipient_sha256 is None:
        return
    try:
        now = recipient_sha256(context.recipient)
    except (CheckpointError, OSError) as exc:
        raise SweepError(f"the sweep's recipient cannot be read: {first_line(exc)}") from None
    if now != context.recipient_sha256:
        raise SweepError(f"the recipient {context.recipient} changed since this sweep began (sha256 {context.recipient_sha256[:12]}..., "
                         f"now {now[:12]}...): put its weights back to resume, or start a new sweep")


def _outcome(sweep: Sweep, exp_dir: str, grid) -> SweepOutcome:
    store = ResultsStore(results_dir(sweep))
    rows = store.trials().to_pandas()  # the knobs are not trials
    metric = sweep.objective.metric
    evaluated = int(np.isfinite(rows[metric].astype(float)).sum()) if metric in rows else 0
    statuses: dict[str, int] = {}
    if len(rows):
        last = rows.sort_values("step").groupby("trial_id")["status"].last()
        statuses = {str(k): int(v) for k, v in last.value_counts().items()}
    return SweepOutcome(exp_dir, store.root, len(rows), best(rows, metric, sweep.objective.mode), grid, evaluated, statuses)
