"""The demo command: the main job on the embedded default (voxgraft/demo.py does the work)."""

from __future__ import annotations

import argparse
from pathlib import Path

from voxgraft.console import Formatter, console, fail, progress_bar


def cmd_demo(args: argparse.Namespace) -> int:
    from voxgraft.demo import run_demo

    if args.count < 2 or args.pretrain_steps < 1 or args.duration_steps < 0:
        return fail("--count must be at least 2, --pretrain-steps at least 1, --duration-steps at least 0")
    run_demo(
        Path(args.out), count=args.count, seed=args.seed, console=console, progress_factory=progress_bar,
        pretrain_steps=args.pretrain_steps, duration_steps=args.duration_steps, sweep=not args.skip_sweep,
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser(
        "demo",
        help="the main job on the embedded default: demo corpora, a pretrained tiny recipient, the smoke sweep",
        formatter_class=Formatter,
        epilog="example:\n  voxgraft demo --out demo_out",
    )
    demo.add_argument("--out", default="demo_out", help="output directory (reused when run again)")
    demo.add_argument("--count", type=int, default=50, help="utterances per voice")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--pretrain-steps", type=int, default=300, help="joint training steps of the tiny recipient")
    demo.add_argument("--duration-steps", type=int, default=300, help="duration-predictor-only steps after them")
    demo.add_argument("--skip-sweep", action="store_true", help="stop before the smoke sweep")
    demo.set_defaults(func=cmd_demo)

