"""`voxgraft cluster check`: what a cluster.yaml will run where (sweep/cluster_check.py)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from voxgraft.console import Formatter, console, err_console, fail


def cmd_check(args: argparse.Namespace) -> int:
    from voxgraft.search_spaces.schema import SweepFileError, builtin_sweeps, load_sweep
    from voxgraft.sweep.cluster_check import ClusterCheckError, check, load_cluster

    try:
        config = load_cluster(args.cluster)
        sweep = load_sweep(builtin_sweeps().get(args.sweep, args.sweep)) if args.sweep else None
        measured = _measured(args.measured) if args.measured else None
    except (ClusterCheckError, SweepFileError) as exc:
        return fail(str(exc))
    found = check(config, sweep, measured)
    for line in found.lines:
        console.print(line, highlight=False, soft_wrap=True)
    for problem in found.problems:
        err_console.print(f"problem: {problem}", highlight=False, markup=False, soft_wrap=True)
    return 2 if found.problems else 0


def _measured(path: Path) -> dict:
    from voxgraft.sweep.cluster_check import ClusterCheckError

    try:
        record = json.loads(path.read_text())
        float(record["peak_mb"]), str(record["device"])
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise ClusterCheckError(f"{path}: not a measurement written by `voxgraft plan --memory ... --save`") from None
    return record


def register(sub: argparse._SubParsersAction) -> None:
    cluster = sub.add_parser("cluster", help="check a Ray cluster launcher file before `ray up`", formatter_class=Formatter)
    commands = cluster.add_subparsers(dest="cluster_command", required=True)
    check = commands.add_parser(
        "check", help="what will run where: node types, trials per node, GPU memory per trial", formatter_class=Formatter,
        epilog="examples:\n  voxgraft cluster check cluster.yaml --sweep cadence\n"
        "  voxgraft cluster check cluster.yaml --sweep my_sweep.yaml --measured step.json",
    )
    check.add_argument("cluster", type=Path, help="the cluster launcher file (cluster.yaml)")
    check.add_argument("--sweep", default=None, help="a sweep file or built-in name whose trials to place")
    check.add_argument("--measured", type=Path, default=None, metavar="STEP.json",
                       help="a step's peak memory from `voxgraft plan --memory ... --save` (on a GPU)")
    check.set_defaults(func=cmd_check)
