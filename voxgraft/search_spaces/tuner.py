"""From a validated sweep file to Ray Tune's param space, searcher and scheduler."""

from __future__ import annotations

from ray import tune
from ray.tune.search import BasicVariantGenerator
from ray.tune.search.optuna import OptunaSearch

from voxgraft.search_spaces.organ_set_asha import OrganSetASHA
from voxgraft.search_spaces.schema import Asha, LogUniform, Sweep


def _dimension(values: list, grid: bool):
    if len(values) == 1:
        return values[0]
    return tune.grid_search(values) if grid else tune.choice(values)


def param_space(sweep: Sweep) -> dict:
    s = sweep.search
    grid = sweep.searcher == "grid"
    space = {
        "organs": _dimension(s.organ_options(), grid),
        "lr": tune.loguniform(*s.lr.loguniform) if isinstance(s.lr, LogUniform) else _dimension(list(s.lr), grid),
        "alignment": _dimension(list(s.alignment), grid),
        "decoder_input": _dimension(list(s.decoder_input), grid),
        "batch_size": s.batch_size,
        "steps": s.steps,
        "eval_every": s.eval_every,
        "fixed": dict(s.fixed),
    }
    if s.vae_latent:
        space["vae_latent"] = _dimension(list(s.vae_latent), grid)
    if s.vae_beta:
        space["vae_beta"] = _dimension(list(s.vae_beta), grid)
    return space


def searcher(sweep: Sweep):
    if sweep.searcher in ("grid", "random"):
        return BasicVariantGenerator(random_state=sweep.seed)
    import optuna

    if sweep.searcher == "optuna":
        sampler = optuna.samplers.TPESampler(seed=sweep.seed)
        return OptunaSearch(metric=sweep.objective.metric, mode=sweep.objective.mode, sampler=sampler)
    sampler = optuna.samplers.NSGAIISampler(seed=sweep.seed)
    return OptunaSearch(
        metric=[o.metric for o in sweep.objectives], mode=[o.mode for o in sweep.objectives], sampler=sampler
    )


def scheduler(sweep: Sweep):
    if isinstance(sweep.scheduler, Asha):
        return OrganSetASHA(
            time_attr="training_iteration",
            max_t=max(1, sweep.search.steps // sweep.search.eval_every + (sweep.search.steps % sweep.search.eval_every > 0)),
            grace_period=sweep.scheduler.grace_period,
            reduction_factor=sweep.scheduler.reduction_factor,
        )
    return None


def tune_config(sweep: Sweep) -> tune.TuneConfig:
    multi = sweep.searcher == "optuna-multi"
    return tune.TuneConfig(
        # a multi-objective searcher carries its own metrics; Tune's single metric would conflict
        metric=None if multi else sweep.objective.metric,
        mode=None if multi else sweep.objective.mode,
        search_alg=searcher(sweep),
        scheduler=scheduler(sweep),
        num_samples=sweep.num_samples,
        # a finished trial's worker runs the next one: no new process importing torch and
        # transformers per trial; each trial still loads everything it trains afresh
        reuse_actors=True,
    )
