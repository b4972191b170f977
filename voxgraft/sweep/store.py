"""The results store: every report of every trial, as a Parquet dataset.

One row per (trial, step), one small Parquet file per row, named by that key: writing a row
again (a resumed trial re-reporting a step, a status update) atomically replaces its file, so
a resumed sweep neither loses nor duplicates a row. When a trial ends, its rows are sealed into
one file per trial (`{trial}.trial.parquet`, written before the row files go), so a sweep of
thousands of trials is thousands of files, not millions. A row file of a sealed trial (a trial
resumed after it ended) is newer and wins over the sealed copy of that row. Every
SEGMENT_TRIALS sealed trials are merged into one segment file (`segment-{time}.parquet`), so a
sweep of ten thousand trials reads in a second, not in thousands of small-file opens. pandas, polars,
duckdb and pyarrow.dataset read the directory directly; `table()` also resolves that overlap.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute  # noqa: F401  (makes pa.compute available)
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from voxgraft.atomic import atomic_file
from voxgraft.evaluate.registry import METRICS

SEALED_SUFFIX = ".trial.parquet"
SEGMENT_PREFIX = "segment-"
SEGMENT_TRIALS = 64
CONFIG_COLUMNS = {
    "config.organs": pa.string(),
    "config.lr": pa.float64(),
    "config.alignment": pa.string(),
    "config.batch_size": pa.int64(),
    "config.steps": pa.int64(),
    "config.eval_every": pa.int64(),
    "config.vae_latent": pa.int64(),
    "config.vae_beta": pa.float64(),
}
METRIC_COLUMNS = tuple(METRICS)  # every metric is a float64 column (evaluate/registry.py)
SCHEMA = pa.schema(
    [
        ("sweep", pa.string()),
        ("trial_id", pa.string()),
        ("step", pa.int64()),
        ("report", pa.int64()),  # Tune's training_iteration
        ("wall_time_s", pa.float64()),  # since the trial started
        ("timestamp", pa.float64()),  # unix time of the report
        *CONFIG_COLUMNS.items(),
        *[(m, pa.float64()) for m in METRIC_COLUMNS],
        ("micro_batch", pa.int64()),  # < config.batch_size: halved to fit the memory budget
        ("rejected", pa.bool_()),  # rejection_score >= 1 or a non-finite loss
        ("status", pa.string()),  # running | done | stopped (by the scheduler) | rejected | error
        ("message", pa.string()),
        ("checkpoint", pa.string()),
        ("worker_pid", pa.int64()),  # the trial worker's process: trials that reused a worker share it
    ]
)


def _flatten_config(config: dict) -> dict:
    row = {}
    for key in CONFIG_COLUMNS:
        value = config.get(key.removeprefix("config."))
        row[key] = value
    return row


def _number(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if not math.isinf(value) else None


def report_row(sweep: str, trial_id: str, result: dict, checkpoint: str | None = None) -> dict:
    """One store row from a Tune result dict."""
    row = {
        "sweep": sweep,
        "trial_id": trial_id,
        "step": int(result.get("step", result.get("training_iteration", 0))),
        "report": int(result.get("training_iteration", 0)),
        "wall_time_s": _number(result.get("time_total_s")),
        "timestamp": _number(result.get("timestamp")),
        **_flatten_config(result.get("config", {})),
        **{m: _number(result.get(m)) for m in METRIC_COLUMNS},
        "micro_batch": None if result.get("micro_batch") is None else int(result["micro_batch"]),
        "rejected": None if result.get("rejected") is None else bool(result["rejected"]),
        "status": result.get("status", "running"),
        "message": result.get("message"),
        "checkpoint": checkpoint,
        "worker_pid": None if result.get("pid") is None else int(result["pid"]),
    }
    return row


class ResultsStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, trial_id: str, step: int) -> Path:
        return self.root / f"{trial_id}-{step:09d}.parquet"

    def _sealed_path(self, trial_id: str) -> Path:
        return self.root / f"{trial_id}{SEALED_SUFFIX}"

    def _row_files(self, trial_id: str | None = None) -> list[Path]:
        pattern = f"{trial_id}-*.parquet" if trial_id else "*-*.parquet"
        return sorted(p for p in self.root.glob(pattern) if not p.name.endswith(SEALED_SUFFIX) and not p.name.startswith(SEGMENT_PREFIX))

    def _segments(self) -> list[Path]:
        return sorted(self.root.glob(f"{SEGMENT_PREFIX}*.parquet"))  # by creation time: later is newer

    def compact(self, min_trials: int = SEGMENT_TRIALS) -> Path | None:
        """Merge the sealed trial files into one segment once there are `min_trials` of them."""
        sealed = sorted(self.root.glob(f"*{SEALED_SUFFIX}"))
        if len(sealed) < max(min_trials, 1):
            return None
        table = pa.concat_tables([pq.read_table(str(p), schema=SCHEMA) for p in sealed])
        path = self.root / f"{SEGMENT_PREFIX}{time.time_ns():020d}.parquet"
        with atomic_file(path) as tmp:
            pq.write_table(table, str(tmp))
        for p in sealed:
            p.unlink(missing_ok=True)
        return path

    def seal(self, trial_id: str) -> Path | None:
        """Gather a trial's row files (and an earlier sealed file) into its sealed file, then
        remove the row files. A crash in between leaves both copies, which read as one."""
        rows = self._row_files(trial_id)
        if not rows:
            return None
        sealed = self._sealed_path(trial_id)
        parts = [pq.read_table(str(sealed), schema=SCHEMA)] if sealed.exists() else []
        parts += [pq.read_table(str(p), schema=SCHEMA) for p in rows]
        table = _newest_per_key(pa.concat_tables(parts)).sort_by([("step", "ascending")])
        with atomic_file(sealed) as tmp:
            pq.write_table(table, str(tmp))
        for p in rows:
            p.unlink(missing_ok=True)
        self.compact()
        return sealed

    def write_sealed(self, rows: list[dict]) -> Path:
        """Write a whole trial's rows as its sealed file at once (imports, benchmarks)."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self._sealed_path(rows[0]["trial_id"])
        with atomic_file(path) as tmp:
            pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), str(tmp))
        self.compact()
        return path

    def write(self, row: dict) -> Path:
        """Insert or replace the row with this (trial_id, step), atomically."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self._path(row["trial_id"], row["step"])
        table = pa.Table.from_pylist([row], schema=SCHEMA)
        with atomic_file(path) as tmp:
            pq.write_table(table, str(tmp))
        return path

    def read_row(self, trial_id: str, step: int) -> dict | None:
        path = self._path(trial_id, step)
        if path.exists():
            return pq.read_table(str(path), schema=SCHEMA).to_pylist()[0]
        for part in [self._sealed_path(trial_id), *reversed(self._segments())]:  # newest first
            if part.exists():
                rows = pq.read_table(str(part), schema=SCHEMA, filters=[("trial_id", "=", trial_id), ("step", "=", step)]).to_pylist()
                if rows:
                    return rows[0]
        return None

    def table(self, skip_corrupt: bool = False) -> pa.Table:
        """Every row once, by (trial, step). A file that is not readable Parquet (empty,
        truncated) is an error naming it, or with `skip_corrupt` left out."""
        if not self.root.exists():
            return SCHEMA.empty_table()
        files = [str(p) for p in self._segments()] + sorted(str(p) for p in self.root.glob(f"*{SEALED_SUFFIX}"))
        files += [str(p) for p in self._row_files()]  # oldest to newest
        corrupt = [f for f in files if not _readable(f)]
        if corrupt and not skip_corrupt:
            shown = ", ".join(Path(f).name for f in corrupt[:5]) + (f" and {len(corrupt) - 5} more" if len(corrupt) > 5 else "")
            raise CorruptStoreError(f"{self.root}: {len(corrupt)} file(s) are not readable Parquet ({shown}); rerun with --skip-corrupt to read the rest")
        files = [f for f in files if f not in corrupt]
        if not files:
            return SCHEMA.empty_table()
        table = ds.dataset(files, schema=SCHEMA, format="parquet").to_table()
        if _has_duplicate_keys(table):  # a trial re-reported after sealing: read in order, newest wins
            table = _newest_per_key(pa.concat_tables([pq.read_table(f, schema=SCHEMA) for f in files]))
        table = table.set_column(table.schema.get_field_index("checkpoint"), "checkpoint", pa.array(
            [_in_this_sweep(c, self.root.parent) for c in table["checkpoint"].to_pylist()], pa.string()))
        return table.sort_by([("trial_id", "ascending"), ("step", "ascending")])


def _in_this_sweep(checkpoint: str | None, exp_dir: Path) -> str | None:
    """A checkpoint path as this sweep folder holds it: relative paths (written since sweeps
    became portable) resolve against the folder; an absolute one from an older store that points
    into a folder of the same name elsewhere (the original of a copy) is rebased here when the
    copy holds it, so a copy never reads or exports the original's checkpoints."""
    if checkpoint is None or "://" in checkpoint:
        return checkpoint
    if not os.path.isabs(checkpoint):
        return str(exp_dir / checkpoint)
    marker = f"{os.sep}{exp_dir.name}{os.sep}"
    if not checkpoint.startswith(str(exp_dir) + os.sep) and marker in checkpoint:
        rebased = exp_dir / checkpoint.rsplit(marker, 1)[1]
        if rebased.exists():
            return str(rebased)
    return checkpoint


class CorruptStoreError(ValueError):
    pass


def _readable(path: str) -> bool:
    try:
        pq.read_metadata(path)
        return True
    except (pa.ArrowInvalid, OSError):
        return False


def _has_duplicate_keys(table: pa.Table) -> bool:
    return table.group_by(["trial_id", "step"]).aggregate([]).num_rows < table.num_rows


def _newest_per_key(table: pa.Table) -> pa.Table:
    """Keep the last occurrence of each (trial_id, step): later parts are newer."""
    keyed = table.append_column("_order", pa.array(range(table.num_rows), pa.int64()))
    last = keyed.group_by(["trial_id", "step"], use_threads=False).aggregate([("_order", "max")])["_order_max"]
    return table.take(last.take(pa.compute.sort_indices(last)))  # in their original order
