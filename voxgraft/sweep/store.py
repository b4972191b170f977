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
import posixpath
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute  # noqa: F401  (makes pa.compute available)
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from voxgraft import storage
from voxgraft.atomic import atomic_file
from voxgraft.evaluate.registry import METRICS
from voxgraft.sweep.store_files import MARKER, SEALED_SUFFIX, SEGMENT_PREFIX, inspect, kind_of

KNOB_STATUS = "knob"  # a knob's row (sweep/knob_rows.py): shown beside trials, never a trial
SEGMENT_TRIALS = 64
CONFIG_COLUMNS = {
    "config.organs": pa.string(),
    "config.lr": pa.float64(),
    "config.alignment": pa.string(),
    "config.decoder_input": pa.string(),
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
        ("status", pa.string()),  # running | done | stopped (by the scheduler) | rejected | error | knob
        ("message", pa.string()),
        ("checkpoint", pa.string()),
        ("worker_pid", pa.int64()),  # the trial worker's process: trials that reused a worker share it
    ],
    metadata=MARKER,  # in every file the store writes (store_files.py)
)
READ_ATTEMPTS = 5  # a listing whose files a seal merged away is listed again, this many times


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
    """The store in `root`: a local folder or a bucket URI, or a path on `filesystem` (a Tune
    trial's own storage filesystem)."""

    def __init__(self, root: str | Path, filesystem: pafs.FileSystem | None = None):
        self.root = str(root)  # for messages
        self.fs, self.dir = (filesystem, str(root)) if filesystem is not None else storage.resolve(root)
        self.ignored: list[str] = []  # files in the folder that the store did not write (after table())

    def _file(self, name: str) -> str:
        return posixpath.join(self.dir, name)

    def _path(self, trial_id: str, step: int) -> str:
        return self._file(f"{trial_id}-{step:09d}.parquet")

    def _sealed_path(self, trial_id: str) -> str:
        return self._file(f"{trial_id}{SEALED_SUFFIX}")

    def _names(self, pattern: str) -> list[str]:
        """The store's own files matching `pattern` (store_files.kind_of: its naming)."""
        return [n for n in storage.names_in(self.fs, self.dir, pattern) if kind_of(n)]

    def _row_files(self, trial_id: str | None = None) -> list[str]:
        pattern = f"{trial_id}-*.parquet" if trial_id else "*-*.parquet"
        return [self._file(n) for n in self._names(pattern) if kind_of(n) == "row"]

    def _segments(self) -> list[str]:
        return [self._file(n) for n in self._names(f"{SEGMENT_PREFIX}*.parquet")]  # by creation time: later is newer

    def _read(self, path: str, **kwargs) -> pa.Table:
        return pq.read_table(path, schema=SCHEMA, filesystem=self.fs, **kwargs)

    def _write(self, path: str, table: pa.Table) -> None:
        """Locally through a rename, so a reader never sees half a file; an object store's
        upload is all or nothing by itself (and has no folders to make: a request saved)."""
        if storage.is_local(self.fs):
            self.fs.create_dir(self.dir, recursive=True)
            with atomic_file(path) as tmp:
                pq.write_table(table, str(tmp))
        else:
            pq.write_table(table, path, filesystem=self.fs)

    def _delete(self, paths: list[str]) -> None:
        for path in paths:
            if storage.exists(self.fs, path):
                self.fs.delete_file(path)

    def compact(self, min_trials: int = SEGMENT_TRIALS) -> str | None:
        """Merge the sealed trial files into one segment once there are `min_trials` of them."""
        sealed = [self._file(n) for n in self._names(f"*{SEALED_SUFFIX}")]
        if len(sealed) < max(min_trials, 1):
            return None
        table = pa.concat_tables([self._read(p) for p in sealed])
        path = self._file(f"{SEGMENT_PREFIX}{time.time_ns():020d}.parquet")
        self._write(path, table)
        self._delete(sealed)
        return path

    def seal(self, trial_id: str) -> str | None:
        """Gather a trial's row files (and an earlier sealed file) into its sealed file, then
        remove the row files. A crash in between leaves both copies, which read as one."""
        rows = self._row_files(trial_id)
        if not rows:
            return None
        sealed = self._sealed_path(trial_id)
        parts = [self._read(sealed)] if storage.exists(self.fs, sealed) else []
        parts += [self._read(p) for p in rows]
        table = _newest_per_key(pa.concat_tables(parts)).sort_by([("step", "ascending")])
        self._write(sealed, table)
        self._delete(rows)
        self.compact()
        return sealed

    def write_sealed(self, rows: list[dict]) -> str:
        """Write a whole trial's rows as its sealed file at once (imports, benchmarks)."""
        path = self._sealed_path(rows[0]["trial_id"])
        self._write(path, pa.Table.from_pylist(rows, schema=SCHEMA))
        self.compact()
        return path

    def write(self, row: dict) -> str:
        """Insert or replace the row with this (trial_id, step), atomically."""
        path = self._path(row["trial_id"], row["step"])
        self._write(path, pa.Table.from_pylist([row], schema=SCHEMA))
        return path

    def last_row(self, trial_id: str) -> dict | None:
        """The trial's row with the highest step, or None when it has none."""
        parts = [self._read(s, filters=[("trial_id", "=", trial_id)]) for s in self._segments()]
        parts += [self._read(f) for f in [self._sealed_path(trial_id), *self._row_files(trial_id)] if storage.exists(self.fs, f)]
        last = None
        for row in (r for part in parts for r in part.to_pylist()):  # oldest to newest: a later copy of a step wins
            if last is None or row["step"] >= last["step"]:
                last = row
        return last

    def read_row(self, trial_id: str, step: int) -> dict | None:
        path = self._path(trial_id, step)
        if storage.exists(self.fs, path):
            return self._read(path).to_pylist()[0]
        for part in [self._sealed_path(trial_id), *reversed(self._segments())]:  # newest first
            if storage.exists(self.fs, part):
                rows = self._read(part, filters=[("trial_id", "=", trial_id), ("step", "=", step)]).to_pylist()
                if rows:
                    return rows[0]
        return None

    def table(self, skip_corrupt: bool = False) -> pa.Table:
        """Every row once, by (trial, step). A file of the store's that is not readable (empty,
        truncated, a column of the wrong type) is an error naming it, or with `skip_corrupt`
        left out; files it did not write are left out and named in `self.ignored`. A listing
        that a seal changed while it was read is read again."""
        for _ in range(READ_ATTEMPTS):
            files = self._segments() + [self._file(n) for n in self._names(f"*{SEALED_SUFFIX}")]
            files += self._row_files()  # oldest to newest
            verdicts = {f: inspect(f, self.fs, SCHEMA) for f in files}
            if any(v.state == "vanished" for v in verdicts.values()):
                time.sleep(0.2)
                continue
            try:
                return self._read_files(verdicts, skip_corrupt)
            except FileNotFoundError:
                time.sleep(0.2)
        raise CorruptStoreError(f"{self.root}: its files kept changing while they were read ({READ_ATTEMPTS} tries); try again")

    def _read_files(self, verdicts: dict, skip_corrupt: bool) -> pa.Table:
        corrupt = {f: v.why for f, v in verdicts.items() if v.state == "corrupt"}
        self.ignored = [posixpath.basename(f) for f, v in verdicts.items() if v.state == "foreign"]
        self.ignored += [n for n in storage.names_in(self.fs, self.dir, "*.parquet") if not kind_of(n)]  # not named as the store names
        if corrupt and not skip_corrupt:
            shown = ", ".join(f"{posixpath.basename(f)}: {why}" for f, why in list(corrupt.items())[:3])
            more = f" and {len(corrupt) - 3} more" if len(corrupt) > 3 else ""
            raise CorruptStoreError(f"{self.root}: {len(corrupt)} file(s) cannot be read ({shown}{more}); rerun with --skip-corrupt to read the rest")
        files = [f for f, v in verdicts.items() if v.state == "ok"]
        if not files:
            return SCHEMA.empty_table()
        table = ds.dataset(files, schema=SCHEMA, format="parquet", filesystem=self.fs).to_table()
        if _has_duplicate_keys(table):  # a trial re-reported after sealing: read in order, newest wins
            table = _newest_per_key(pa.concat_tables([self._read(f) for f in files]))
        return table.set_column(table.schema.get_field_index("checkpoint"), "checkpoint", pa.array(
            [self._checkpoint_here(c) for c in table["checkpoint"].to_pylist()], pa.string())).sort_by(
            [("trial_id", "ascending"), ("step", "ascending")])

    def trials(self, skip_corrupt: bool = False) -> pa.Table:
        """The trials' rows only: `table()` without the knobs' (status `knob`)."""
        table = self.table(skip_corrupt)
        return table.filter(pa.compute.not_equal(pa.compute.fill_null(table["status"], ""), KNOB_STATUS))

    def _checkpoint_here(self, checkpoint: str | None) -> str | None:
        """A stored checkpoint path as this store's sweep folder (its parent) holds it."""
        if checkpoint is None or "://" in checkpoint:
            return checkpoint
        if storage.is_uri(self.root):
            return checkpoint if checkpoint.startswith("/") else storage.join(storage.parent(self.root), checkpoint)
        return _in_this_sweep(checkpoint, Path(self.dir).parent)


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


def _has_duplicate_keys(table: pa.Table) -> bool:
    return table.group_by(["trial_id", "step"]).aggregate([]).num_rows < table.num_rows


def _newest_per_key(table: pa.Table) -> pa.Table:
    """Keep the last occurrence of each (trial_id, step): later parts are newer."""
    keyed = table.append_column("_order", pa.array(range(table.num_rows), pa.int64()))
    last = keyed.group_by(["trial_id", "step"], use_threads=False).aggregate([("_order", "max")])["_order_max"]
    return table.take(last.take(pa.compute.sort_indices(last)))  # in their original order
