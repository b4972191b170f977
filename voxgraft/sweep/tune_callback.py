"""A Tune callback that writes every trial report into the results store."""

from __future__ import annotations

import posixpath

from ray.tune import Callback

from voxgraft.layout import RESULTS_DIR
from voxgraft.sweep.store import ResultsStore, report_row


def error_message(trial) -> str:
    """The exception a trial ended with, as its traceback's last line ("KeyError: 'alignment'"),
    from the error file Ray writes beside the trial (Trial.get_error, Ray 2.60)."""
    try:
        text = trial.get_error() or ""
    except (OSError, AttributeError):  # no error file (a worker that died), or an older Ray
        text = ""
    lines = [line.strip() for line in str(text).splitlines() if line.strip() and not line.startswith("Failure #")]
    return (lines[-1] if lines else "the trial raised an exception (Ray kept no error text)")[:500]


class ResultsStoreCallback(Callback):
    """Rows keyed by (trial, step): reports replayed after a resume overwrite, never duplicate.

    The last row of a trial gets its final status when the trial ends, and each row the path of
    the checkpoint saved with it.
    """

    def __init__(self, sweep: str):
        self.sweep = sweep
        self._last: dict[str, dict] = {}

    @staticmethod
    def store(trial) -> ResultsStore:
        """Beside the trial's own experiment folder, on its storage's filesystem (a local folder
        or a bucket): Tune restores this callback pickled, and a copied or moved sweep must write
        its own store, never the original's."""
        return ResultsStore(posixpath.join(trial.storage.experiment_fs_path, RESULTS_DIR), trial.storage.storage_filesystem)

    def on_trial_result(self, iteration, trials, trial, result, **info):
        row = report_row(self.sweep, trial.trial_id, result)
        self._last[trial.trial_id] = row
        self.store(trial).write(row)

    def on_checkpoint(self, iteration, trials, trial, checkpoint, **info):
        row = self._last.get(trial.trial_id)
        if row is not None and checkpoint is not None:
            row["checkpoint"] = posixpath.relpath(checkpoint.path, trial.storage.experiment_fs_path)  # the folder can move
            self.store(trial).write(row)

    def _last_row(self, trial) -> dict | None:
        """The trial's latest row: from this driver, or (a trial resumed here that failed before
        reporting) the latest one the store holds, so its final status lands on its last step."""
        row = self._last.get(trial.trial_id)
        if row is None:
            row = self.store(trial).last_row(trial.trial_id)
        return row

    def _finish(self, trial, status: str, message: str | None) -> None:
        row = self._last_row(trial)
        if row is None:
            row = report_row(self.sweep, trial.trial_id, {"config": trial.config, "step": 0})
        if row["status"] == "running":
            row["status"] = status
        if message and not row.get("message"):
            row["message"] = message
        self.store(trial).write(row)
        self.store(trial).seal(trial.trial_id)

    def on_trial_complete(self, iteration, trials, trial, **info):
        row = self._last.get(trial.trial_id)
        stopped_early = row is not None and row["step"] < int(trial.config.get("steps", 0))
        self._finish(trial, "stopped" if stopped_early else "done", "stopped early by the scheduler" if stopped_early else None)

    def on_trial_error(self, iteration, trials, trial, **info):
        self._finish(trial, "error", error_message(trial))

    def __getstate__(self):
        return {"sweep": self.sweep, "_last": {}}
