"""voxgraft's command line: one module per command group (corpus, demo, model, recipient, sweep, style),
each of which parses its arguments, calls the library and prints. Start at `build_parser`."""

from __future__ import annotations

import argparse

from voxgraft.cli import corpus, demo, model, recipient, style, sweep
from voxgraft.console import Formatter, err_console


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voxgraft",
        description="Transplant a donor voice's cadence or timbre into a trained VITS voice by fine-tuning chosen organs.",
        epilog="example:\n  voxgraft corpus synth --preset recipient --count 50 corpora/recipient",
        formatter_class=Formatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for group in (corpus, demo, model, recipient, sweep, style):
        group.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130

