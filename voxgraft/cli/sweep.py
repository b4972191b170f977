"""`voxgraft sweep`, `voxgraft report` and `voxgraft pick`: run a sweep, then read and export it."""

from __future__ import annotations

import argparse
from pathlib import Path

from voxgraft.console import Formatter, console, err_console, fail, print_table

SCRATCH_HELP = "for a sweep in a bucket: where its working copy lives (default ~/.cache/voxgraft/sweeps)"
EXIT_SWEEP_FAILED = 1  # the sweep ran, but nothing in it may be called best


def cmd_sweep(args: argparse.Namespace) -> int:
    from voxgraft.data.corpus import CorpusError
    from voxgraft.data.training_set import TrainingSetError
    from voxgraft.models.checkpoints import CheckpointError
    from voxgraft.search_spaces.schema import SweepFileError, builtin_sweeps, load_sweep
    from voxgraft.sweep.run import SweepError, resume_sweep, run_sweep

    try:
        if args.resume:
            ignored = [flag for flag, given in (("a sweep file", args.space), ("--recipient", args.recipient), ("--donor", args.donor),
                                                ("--storage", args.storage), ("--wandb", args.wandb)) if given]
            if ignored:
                return fail(f"--resume continues {args.resume} as it began; {', '.join(ignored)} would change what it is: "
                            "leave them out (or start a new sweep)")
            outcome = resume_sweep(args.resume, address=args.address)
        else:
            if not args.space:
                return fail("give a sweep file (or a built-in name: smoke, smoke_timbre, cadence, timbre, ablation, vae), or --resume DIR")
            path = builtin_sweeps().get(args.space, args.space)
            sweep = load_sweep(path)
            overrides = {k: v for k, v in (("recipient", args.recipient), ("donor", args.donor), ("storage", args.storage)) if v}
            if overrides:
                sweep = sweep.model_copy(update=overrides)
            outcome = run_sweep(sweep, address=args.address, wandb=args.wandb)
    except (SweepFileError, SweepError, CorpusError, TrainingSetError, CheckpointError) as exc:
        return fail(str(exc))
    console.print(f"experiment: {outcome.experiment_dir}", highlight=False)
    console.print(f"results ({outcome.rows} rows, Parquet): {outcome.results_dir}", highlight=False)
    console.print(outcome.summary(), highlight=False)
    if outcome.best:
        best = outcome.best
        console.print(
            f"best trial: {best['trial_id']} (organs {best['config.organs']}, lr {best['config.lr']:.3g}, "
            f"{best['config.alignment']} alignment) at step {best['step']}; checkpoint: {best['checkpoint']}",
            highlight=False,
        )
    else:  # scripts and CI must be able to tell a sweep that gave nothing usable from a good one
        err_console.print("[bold red]error:[/] no transplant is eligible for best: every trial failed, was rejected, "
                          f"or kept no evaluated checkpoint ({outcome.summary()})", highlight=False)
        return EXIT_SWEEP_FAILED
    return 0


def at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def note_live_driver(sweep_dir: str) -> None:
    """Say so when a driver still runs the sweep being read: what it shows may grow."""
    from voxgraft.sweep.lock import holder_of

    try:
        held = holder_of(str(sweep_dir))
    except (OSError, ValueError):  # an unreachable bucket: the read that follows says so
        return
    if held is not None:
        err_console.print(f"note: a driver still runs {sweep_dir} ({held.describe()}): this reads what its trials have written so far",
                          highlight=False, markup=False)


def cmd_report(args: argparse.Namespace) -> int:
    from voxgraft.analysis.explorer import listen_checkpoints
    from voxgraft.analysis.optuna_study import StudyError, write_study
    from voxgraft.analysis.report import ReportError, analyse, best_trials, write_report
    from voxgraft.analysis.summary import summary_table
    from voxgraft.layout import SAMPLES_SUBDIR
    from voxgraft.search_spaces.spec import name_and_objectives
    from voxgraft.sweep.working_copy import SweepFolder, WorkingCopyError

    try:
        if args.wandb:
            from voxgraft.analysis.wandb_log import require_wandb

            require_wandb()
        note_live_driver(args.sweep_dir)
        with console.status("analysing the results store"):
            sweep = SweepFolder(args.sweep_dir, args.scratch)
            analysis = analyse(sweep.folder, skip_corrupt=args.skip_corrupt)
            top = best_trials(analysis, args.top)
            for checkpoint in listen_checkpoints(analysis, top).values():  # the page plays these
                sweep.fetch(checkpoint, SAMPLES_SUBDIR)
            files = write_report(analysis, top, args.out)
            sweep.publish()
            study = write_study(analysis, name_and_objectives(sweep.folder)[1], args.optuna_storage) if args.optuna_storage else None
    except (ReportError, RuntimeError, WorkingCopyError, StudyError) as exc:
        return fail(str(exc))
    print_table(summary_table(analysis, top))
    console.print(f"report: {files.html}\nsummary: {files.summary}", highlight=False)
    if study:
        console.print(f"Optuna study {study!r} in {args.optuna_storage}: optuna-dashboard {args.optuna_storage}", highlight=False)
    if args.wandb:
        from voxgraft.analysis.wandb_log import log_report

        console.print(f"W&B run: {log_report(analysis, top, files)}", highlight=False)
    return 0


def cmd_pick(args: argparse.Namespace) -> int:
    from voxgraft.analysis.pick import PickError, pick_and_export
    from voxgraft.models.checkpoints import CheckpointError
    from voxgraft.sweep.working_copy import SweepFolder, WorkingCopyError

    warn = lambda line: err_console.print(f"warning: {line}", highlight=False, markup=False)  # noqa: E731
    try:
        note_live_driver(args.sweep_dir)
        sweep = SweepFolder(args.sweep_dir, args.scratch)
        try:
            exported = pick_and_export(sweep.folder, args.export, args.objective, args.pareto == "knee", args.top, args.recipient,
                                       args.format, args.force, args.skip_corrupt, warn=warn, fetch=sweep.fetch)
        finally:
            sweep.publish()  # checkpoints found unusable are marked in the bucket too
    except (PickError, CheckpointError, WorkingCopyError) as exc:
        return fail(str(exc))
    for pick, directory in exported:
        row = pick.row
        console.print(f"#{pick.rank} trial {row['trial_id']} (organs {row['config.organs']}, lr {row['config.lr']:.3g}, "
                      f"{row['config.alignment']}, step {row['step']}) -> {directory}", highlight=False)
    if len(exported) < args.top:
        err_console.print(f"note: --top {args.top} asked for {args.top}, but only {len(exported)} checkpoint(s) are eligible: "
                          f"exported {len(exported)}", highlight=False, markup=False)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    sweep = sub.add_parser(
        "sweep",
        help="run a transplant sweep on Ray Tune from a sweep file, or resume one",
        formatter_class=Formatter,
        epilog="examples:\n  voxgraft sweep smoke                       # built-in CPU sweep on the demo voices\n"
        "  voxgraft sweep my_sweep.yaml --address auto\n  voxgraft sweep --resume demo_out/sweeps/smoke",
    )
    sweep.add_argument("space", nargs="?", help="sweep file, or a built-in name: smoke, smoke_timbre, cadence, timbre, ablation, vae")
    sweep.add_argument("--resume", default=None, metavar="DIR", help="continue the interrupted sweep in DIR (a folder or a bucket URI)")
    sweep.add_argument("--address", default=None, help="Ray cluster address (auto, ray://host:10001); default: a local Ray")
    sweep.add_argument("--storage", default=None, help="override the file's storage (local path or s3://...)")
    sweep.add_argument("--recipient", default=None, help="override the file's recipient")
    sweep.add_argument("--donor", default=None, help="override the file's donor corpus")
    sweep.add_argument("--wandb", action="store_true", help="also log to Weights & Biases (offline unless configured)")
    sweep.set_defaults(func=cmd_sweep)

    report = sub.add_parser(
        "report", help="ablation report and listening dashboard of a sweep (from its Parquet store)", formatter_class=Formatter,
        epilog="examples:\n  voxgraft report demo_out/sweeps/smoke\n  voxgraft report sweeps/cadence --top 5 --wandb",
    )
    report.add_argument("sweep_dir", help="the sweep's experiment directory (STORAGE/NAME), or its bucket URI")
    report.add_argument("--top", type=at_least_one, default=3, help="top transplants to list and play (default 3)")
    report.add_argument("--out", type=Path, default=None, help="where to write (default SWEEP_DIR/report)")
    report.add_argument("--wandb", action="store_true", help="also log the tables and page to W&B (offline unless configured)")
    report.add_argument("--skip-corrupt", action="store_true", help="leave out results files that are not readable Parquet")
    report.add_argument("--optuna-storage", default=None, metavar="URL",
                        help="also write the sweep as an Optuna study there (sqlite:///PATH.db) for optuna-dashboard")
    report.add_argument("--scratch", type=Path, default=None, help=SCRATCH_HELP)
    report.set_defaults(func=cmd_report)

    pick = sub.add_parser(
        "pick", help="export the best transplant(s) of a sweep as ready models", formatter_class=Formatter,
        epilog="examples:\n  voxgraft pick demo_out/sweeps/smoke --export best_voice\n"
        "  voxgraft pick sweeps/timbre --pareto knee --export knee_voice\n"
        "  voxgraft pick sweeps/cadence --objective transfer_cadence --top 3 --export candidates",
    )
    pick.add_argument("sweep_dir", help="the sweep's experiment directory (STORAGE/NAME), or its bucket URI")
    how = pick.add_mutually_exclusive_group()
    how.add_argument("--objective", default=None, help="a results column to optimize (default: the sweep's first objective)")
    how.add_argument("--pareto", choices=["knee"], default=None, help="the knee of donor-likeness against recipient drift")
    pick.add_argument("--top", type=at_least_one, default=1, help="how many to export (>1: OUT/<rank>-<trial>/ each)")
    pick.add_argument("--export", required=True, type=Path, metavar="OUT", help="model directory to write")
    pick.add_argument("--force", action="store_true", help="write into OUT even when it is no voxgraft export, or a file of yours has an export file's name (overwritten); "
                      "other files there are kept")
    pick.add_argument("--skip-corrupt", action="store_true", help="leave out results files that are not readable Parquet")
    pick.add_argument(
        "--format", choices=("hf", "piper"), default="hf",
        help="hf: a VitsModel save_pretrained directory; piper: OUT/NAME.onnx + NAME.onnx.json that Piper runs (Piper recipients)",
    )
    pick.add_argument("--recipient", default=None, help="the recipient, if the sweep's spec no longer points at it")
    pick.add_argument("--scratch", type=Path, default=None, help=SCRATCH_HELP)
    pick.set_defaults(func=cmd_pick)
