"""ASHA that stops a trial only against trials training the same organs.

One ASHA rung compares every trial's objective at the same step. In a sweep that mixes organ
sets (cadence and timbre presets, or an ablation over subsets), their objectives measure
different things at different speeds: ASHA stopped a timbre trial after one report because
cadence trials scored better on a cadence-minded objective. Here each organ set (the trial's
`organs` value) has its own ASHA, created on first sight with the sweep's metric and mode, so
learning rates and alignments compete within an organ set and never across.
"""

from __future__ import annotations

import pickle

from ray.tune.schedulers import ASHAScheduler, FIFOScheduler


class OrganSetASHA(FIFOScheduler):
    def __init__(self, **asha_options) -> None:
        super().__init__()
        self._options = asha_options
        self._metric: str | None = None
        self._mode: str | None = None
        self._groups: dict[str, ASHAScheduler] = {}

    def set_search_properties(self, metric, mode, **spec) -> bool:
        self._metric, self._mode = metric or self._metric, mode or self._mode
        return True

    def group(self, trial) -> ASHAScheduler:
        key = str(trial.config.get("organs"))
        if key not in self._groups:
            self._groups[key] = ASHAScheduler(metric=self._metric, mode=self._mode, **self._options)
        return self._groups[key]

    def on_trial_add(self, tune_controller, trial) -> None:
        self.group(trial).on_trial_add(tune_controller, trial)

    def on_trial_result(self, tune_controller, trial, result: dict) -> str:
        return self.group(trial).on_trial_result(tune_controller, trial, result)

    def on_trial_complete(self, tune_controller, trial, result: dict) -> None:
        self.group(trial).on_trial_complete(tune_controller, trial, result)

    def on_trial_remove(self, tune_controller, trial) -> None:
        self.group(trial).on_trial_remove(tune_controller, trial)

    def debug_string(self) -> str:
        return "\n".join(f"organs {key}: {asha.debug_string()}" for key, asha in self._groups.items()) or "ASHA per organ set"

    def save(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "wb") as out:
            pickle.dump(self.__dict__, out)

    def restore(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "rb") as src:
            self.__dict__.update(pickle.load(src))
