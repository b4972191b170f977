"""The house rules, checked: layers and cycles (import-linter), style (ruff), short functions,
and the generated metrics page."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from voxgraft.evaluate.registry import METRICS, OBJECTIVES, markdown_table
from voxgraft.search_spaces.schema import SweepFileError, parse_sweep
from voxgraft.sweep.store import METRIC_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MAX_FUNCTION_LINES = 60


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(cwd), "PATH": str(BIN), "HOME": str(cwd)}
    return subprocess.run([str(BIN / "lint-imports"), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True)


def test_layers_hold_and_no_package_has_an_import_cycle():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "2 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    "module, line",
    [
        ("voxgraft/data/corpus.py", "import voxgraft.sweep.store  # an upward import"),
        ("voxgraft/analysis/trials.py", "import voxgraft.analysis.pick  # a cycle: pick imports trials"),
    ],
)
def test_the_layer_check_catches_an_upward_import_and_a_cycle(tmp_path, module, line):
    """The contracts can fail: a copy of the package with one bad import breaks them."""
    shutil.copytree(ROOT / "voxgraft", tmp_path / "voxgraft", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with open(tmp_path / module, "a") as f:
        f.write("\n" + line + "\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout


def test_ruff_is_clean():
    result = subprocess.run([str(BIN / "ruff"), "check", "voxgraft", "tests", "bench"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]


def _long_functions() -> list[str]:
    found = []
    for path in sorted((ROOT / "voxgraft").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            lines = node.end_lineno - node.lineno + 1
            declarative = path.parent.name == "cli" and node.name == "register"  # argparse tables
            if lines > MAX_FUNCTION_LINES and not declarative:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)")
    return found


def test_every_function_fits_on_a_screen():
    assert _long_functions() == []


def test_the_metrics_page_is_generated_from_the_registry():
    page = (ROOT / "docs" / "metrics.md").read_text()
    assert page == markdown_table(), "docs/metrics.md is stale: run `make docs`"


def test_store_columns_and_sweep_objectives_derive_from_the_registry():
    assert METRIC_COLUMNS == tuple(METRICS)
    base = {"name": "x", "recipient": "r", "donor": "d", "search": {"organs": ["cadence"], "lr": [1e-4]}}
    for metric in OBJECTIVES:
        parse_sweep(base | {"objectives": [{"metric": metric}]})
    with pytest.raises(SweepFileError, match="objectives"):
        parse_sweep(base | {"objectives": [{"metric": "speaking_rate"}]})  # a raw measure is no objective
