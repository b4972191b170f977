"""The demo command: the main job on the embedded default (voxgraft/demo/ does the work)."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from voxgraft.console import Formatter, console, fail, progress_bar


def cmd_demo(args: argparse.Namespace) -> int:
    from voxgraft.demo import run_demo
    from voxgraft.demo.recipient import DEMO_RECOVERY

    if args.count < 2 or min(args.encoder_steps, args.duration_steps, args.discriminator_steps) < 0:
        return fail("--count must be at least 2, and the recovery step counts must not be negative")
    recovery = dataclasses.replace(DEMO_RECOVERY, encoder_steps=args.encoder_steps, duration_steps=args.duration_steps)
    run_demo(
        Path(args.out), count=args.count, seed=args.seed, console=console, progress_factory=progress_bar,
        recovery=recovery, discriminator_steps=args.discriminator_steps, sweep=not args.skip_sweep,
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    from voxgraft.demo.recipient import DEMO_DISCRIMINATOR_STEPS, DEMO_RECOVERY

    demo = sub.add_parser(
        "demo",
        help="the main job on the embedded default: demo corpora, the joe Piper voice as recipient, the smoke sweeps",
        formatter_class=Formatter,
        epilog="example:\n  voxgraft demo --out demo_out",
    )
    demo.add_argument("--out", default="demo_out", help="output directory (reused when run again)")
    demo.add_argument("--count", type=int, default=50, help="utterances per voice")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--encoder-steps", type=int, default=DEMO_RECOVERY.encoder_steps, help="recovery: posterior encoder steps")
    demo.add_argument("--duration-steps", type=int, default=DEMO_RECOVERY.duration_steps, help="recovery: duration posterior steps")
    demo.add_argument("--discriminator-steps", type=int, default=DEMO_DISCRIMINATOR_STEPS, help="recovery: discriminator warm-up steps")
    demo.add_argument("--skip-sweep", action="store_true", help="stop before the smoke sweeps")
    demo.set_defaults(func=cmd_demo)
