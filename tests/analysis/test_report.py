"""The report's statistics on a synthetic store with planted effects: it must find them."""

import re
import shutil
import subprocess

import numpy as np
import pytest

from voxgraft.analysis import synthetic_store
from voxgraft.analysis.pareto import knee, pareto_mask
from voxgraft.analysis.report import ReportError, analyse, best_trials, write_report
from voxgraft.cli import main
from voxgraft.sweep.store import ResultsStore, report_row

REPEATS = 3  # of the 28-point factorial


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic_sweep")
    synthetic_store.build(root / "results", trials=28 * REPEATS, reports=4)
    return root


@pytest.fixture(scope="module")
def analysis(sweep_dir):
    return analyse(sweep_dir)


def test_the_factor_that_matters_ranks_first_and_the_null_factor_covers_zero(analysis):
    ranking = analysis.ranking["transfer_timbre"]
    assert ranking.iloc[0]["factor"] == "organ:decoder"
    effects = analysis.effects["transfer_timbre"].set_index(["factor", "level"])
    decoder = effects.loc[("organ:decoder", "True")]
    # trained minus not trained, over the factorial: 0.30 + 0.075 (other organs, with) - 0.10 (without)
    assert decoder["low"] < 0.275 < decoder["high"] and decoder["low"] > 0.2
    for level in synthetic_store.ALIGNMENTS:
        null = effects.loc[("alignment", level)]
        assert null["low"] < 0 < null["high"]
    lr = effects.loc[("lr_band", "1e-3..1e-2")]
    assert lr["low"] > 0  # the planted learning-rate effect is found too
    grid = analysis.grids["transfer_timbre"]["organ × lr_band"]  # each organ trained, at each lr decade
    assert list(grid.index) == ["posterior_encoder", "flow", "decoder"]
    assert (grid["1e-3..1e-2"] - grid["1e-4..1e-3"]).tolist() == pytest.approx([synthetic_store.LR_EFFECT] * 3, abs=0.02)


def test_optuna_importance_ranks_organs_first_and_the_null_factor_last(analysis):
    importance = analysis.importance["transfer_timbre"]
    assert set(importance) == {"PED-ANOVA", "fANOVA"}
    assert max(importance["fANOVA"], key=importance["fANOVA"].get) == "organs"  # most of the variance
    for evaluator, values in importance.items():
        assert min(values, key=values.get) == "alignment", evaluator


def test_shapley_is_exact_on_a_full_factorial_and_recovers_the_planted_organ_effects(analysis):
    shapley = analysis.shapley["transfer_timbre"]
    assert shapley.exact and shapley.note.startswith("exact")
    lr_share = synthetic_store.LR_EFFECT / 2 / len(synthetic_store.ORGAN_EFFECTS)  # the mean lr effect, shared equally
    for organ, effect in synthetic_store.ORGAN_EFFECTS.items():
        assert shapley.values[organ] == pytest.approx(effect + lr_share, abs=0.02)


def test_shapley_is_estimated_and_says_so_when_subsets_are_missing(sweep_dir, tmp_path):
    trials = {}
    for row in ResultsStore(sweep_dir / "results").table().to_pylist():
        if row["config.organs"] not in ("flow", "decoder,flow"):  # two organ subsets never ran
            trials.setdefault(row["trial_id"], []).append(row)
    partial = ResultsStore(tmp_path / "partial" / "results")
    for rows in trials.values():
        partial.write_sealed(rows)
    shapley = analyse(tmp_path / "partial").shapley["transfer_timbre"]
    assert not shapley.exact and shapley.note.startswith("estimated")
    assert max(shapley.values, key=shapley.values.get) == "decoder"


def test_pareto_front_and_knee():
    likeness = np.array([0.1, 0.5, 0.9, 0.4, 0.95])
    drift = np.array([0.0, 0.05, 0.5, 0.3, 0.9])
    assert pareto_mask(likeness, drift).tolist() == [True, True, True, False, True]
    import pandas as pd

    front = pd.DataFrame({"x": likeness[[0, 1, 2, 4]], "y": drift[[0, 1, 2, 4]]})
    assert knee(front, "x", "y") == 1  # most of the likeness for little drift


def test_the_report_is_written_and_works_on_a_sweep_still_running(sweep_dir, tmp_path):
    running = tmp_path / "running"
    shutil.copytree(sweep_dir, running)
    config = {"organs": "decoder", "lr": 1e-4, "alignment": "forced", "batch_size": 8, "steps": 500, "eval_every": 100}
    ResultsStore(running / "results").write(report_row("synthetic", "live", {"step": 100, "training_iteration": 1, "transfer_timbre": 0.1, "config": config}))
    analysis = analyse(running)
    assert len(analysis.trials) == 28 * REPEATS + 1
    assert analysis.pareto_axes == ("transfer_timbre", "duration_drift")
    files = write_report(analysis, best_trials(analysis, 3))
    page = files.html.read_text()
    assert page.count("<svg") >= 6 and "Pareto front" in page and "Shapley" in page
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:|#)""", page), "the page must load nothing from outside"
    summary = files.summary.read_text()
    assert "organ:decoder" in summary and "exact: all 7 organ subsets ran" in summary


def test_report_refuses_a_directory_without_a_store(tmp_path, capsys):
    with pytest.raises(ReportError, match="no results/ store"):
        analyse(tmp_path)
    assert main(["report", str(tmp_path)]) == 2
    assert "no results/ store" in capsys.readouterr().err
    assert not (tmp_path / "report").exists()


@pytest.mark.parametrize("command", ["report", "pick"])
def test_top_must_be_at_least_one(command, sweep_dir, tmp_path, capsys):
    extra = ["--export", str(tmp_path / "out")] if command == "pick" else ["--out", str(tmp_path / "report")]
    with pytest.raises(SystemExit) as exit_info:
        main([command, str(sweep_dir), "--top", "0", *extra])
    assert exit_info.value.code == 2
    assert "must be at least 1, got 0" in capsys.readouterr().err
    assert not (tmp_path / "out").exists() and not (tmp_path / "report").exists()


@pytest.mark.slow
def test_the_page_renders_in_headless_chromium_with_plots_and_no_outside_requests(sweep_dir, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed here (apt-get install chromium); CI installs it")
    files = write_report(analyse(sweep_dir), best_trials(analyse(sweep_dir), 2), tmp_path / "report")
    result = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--proxy-server=http://127.0.0.1:9",
         "--virtual-time-budget=2000", "--dump-dom", files.html.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    dom = result.stdout
    assert dom.count("<svg") >= 6, result.stderr[-2000:]
    assert "Donor-likeness against recipient preservation" in dom
    assert "ERR_PROXY" not in result.stderr and "net::" not in result.stderr
