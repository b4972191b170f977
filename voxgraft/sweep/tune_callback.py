"""A Tune callback that writes every trial report into the results store."""

from __future__ import annotations

import posixpath

from ray.tune import Callback

from voxgraft.layout import RESULTS_DIR
from voxgraft.sweep.store import ResultsStore, report_row


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

    def _finish(self, trial, status: str, message: str | None) -> None:
        row = self._last.get(trial.trial_id)
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
        error = getattr(trial, "error_msg", None) or "the trial raised an exception"
        self._finish(trial, "error", str(error).strip().splitlines()[-1][:500])

    def __getstate__(self):
        return {"sweep": self.sweep, "_last": {}}
