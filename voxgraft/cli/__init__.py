"""voxgraft's command line: one module per command group (corpus, demo, model, recipient, sweep, style, cluster),
each of which parses its arguments, calls the library and prints. Start at `build_parser`."""

from __future__ import annotations

import argparse
import errno
import os
import shutil

from voxgraft.cli import cluster, corpus, demo, model, recipient, style, sweep, triage
from voxgraft.console import Formatter, err_console, fail
from voxgraft.layout import OutsideRootError

NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)  # a full disk, a quota, a file-size limit


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voxgraft",
        description="Transplant a donor voice's cadence or timbre into a trained VITS voice by fine-tuning chosen organs.",
        epilog="example:\n  voxgraft corpus synth --preset recipient --count 50 corpora/recipient",
        formatter_class=Formatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for group in (corpus, demo, model, recipient, sweep, style, triage, cluster):
        group.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    except OutsideRootError as exc:  # a name that slipped past its input check: never written
        return fail(str(exc))
    except OSError as exc:
        message = _no_space(exc)
        if message is None:
            raise
        return fail(message)


def _no_space(exc: OSError) -> str | None:
    """One line for a write that ran out of room (shutil.Error gathers a tree copy's failures as
    text), or None for any other OSError: those are bugs to see whole."""
    if exc.errno in NO_SPACE:
        return f"{exc.strerror}: {exc.filename}; free space (or raise the limit) and run the command again"
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list):
        for entry in exc.args[0]:
            reason = str(entry[-1]) if isinstance(entry, tuple) else ""
            for code in NO_SPACE:
                if os.strerror(code) in reason:
                    return f"{os.strerror(code)}: {entry[1]}; free space (or raise the limit) and run the command again"
    return None

