"""`voxgraft triage`: which organs a donor pulls on, before paying for a sweep (trainables/organ_triage.py)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from voxgraft.atomic import atomic_file
from voxgraft.console import Formatter, console, fail, print_table

OBJECTIVES = ("cadence", "timbre")  # training/triage.py's OBJECTIVE_LOSSES (not imported: the parser stays torch-free)


def cmd_triage(args: argparse.Namespace) -> int:
    from rich.table import Table

    from voxgraft.trainables.organ_triage import triage_recipient

    if args.save and (args.save.is_dir() or not args.save.parent.is_dir()):
        return fail(f"--save {args.save}: give a file in an existing folder")
    if not 1 <= args.batches <= 1000 or not 1 <= args.batch_size <= 4096:
        return fail("--batches must be 1..1000 and --batch-size 1..4096")
    try:
        with console.status(f"triage: {args.objective} gradients and look-aheads on {args.donor}"):
            found = triage_recipient(args.recipient, args.donor, args.objective, args.alignment, args.batches, args.batch_size)
    except ValueError as exc:  # CheckpointError, CorpusError, TrainingSetError, AlignmentError, TriageError
        return fail(str(exc))
    table = Table(title=f"organ triage for {args.objective} ({'+'.join(found.losses)} losses, {found.batches} donor batches, "
                        f"held-out loss {found.heldout_loss:.4g})")
    for column in ("rank", "organ", "parameters", "‖g‖/‖θ‖", *[f"of {loss}" for loss in found.losses], "look-ahead gain", "at step", "along training", "at step"):
        table.add_column(column, justify="left" if column == "organ" else "right")
    for rank, s in enumerate(found.scores, 1):
        table.add_row(str(rank), s.organ, f"{s.parameters:,}", f"{s.relative_grad_norm:.3g}",
                      *[f"{s.relative_grad_norm_by_loss[loss]:.3g}" for loss in found.losses], f"{s.lookahead_gain:+.3g}",
                      f"{s.lookahead_step:g}" if s.lookahead_step else "-", f"{s.training_lookahead_gain:+.3g}",
                      f"{s.training_lookahead_step:g}" if s.training_lookahead_step else "-")
    print_table(table)
    console.print(f"ranking: {', '.join(found.ranking())}", highlight=False)
    if args.save:
        record = {**found.to_dict(), "recipient": str(Path(args.recipient).resolve()), "donor": str(Path(args.donor).resolve())}
        with atomic_file(args.save) as tmp:
            tmp.write_text(json.dumps(record, indent=1) + "\n")
        console.print(f"saved: {args.save}", highlight=False)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    triage = sub.add_parser(
        "triage", formatter_class=Formatter,
        help="rank a recipient's organs by how hard a donor pulls on them (relative gradient norm, one-step look-ahead)",
        epilog="examples:\n  voxgraft triage --recipient demo_out/models/joe --donor demo_out/corpora/cadence_donor --objective cadence\n"
        "  voxgraft triage --recipient R --donor D --objective timbre --save triage.json",
    )
    triage.add_argument("--recipient", required=True, help="the recipient model directory")
    triage.add_argument("--donor", required=True, help="the donor corpus directory")
    triage.add_argument("--objective", default="timbre", choices=OBJECTIVES)
    triage.add_argument("--alignment", default="forced", help="durations: forced (from the corpus) or learned (MAS)")
    triage.add_argument("--batches", type=int, default=3, help="donor batches the gradients are averaged over")
    triage.add_argument("--batch-size", type=int, default=4)
    triage.add_argument("--save", type=Path, default=None, metavar="FILE.json", help="also write the scores and ranking here")
    triage.set_defaults(func=cmd_triage)
