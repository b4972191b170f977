"""The model commands: plan, pretrain, synth."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from voxgraft.atomic import ForeignFolderError, atomic_file, check_replaceable
from voxgraft.console import Formatter, console, fail, print_table, progress_bar

SHORT_LOSS = {"discriminator": "D", "duration": "dur", "kl": "kl", "mel": "mel", "total": "total"}


def cmd_plan(args: argparse.Namespace) -> int:
    from rich.table import Table

    from voxgraft.models.checkpoints import CheckpointError, load_recipient
    from voxgraft.models.configs import named_config
    from voxgraft.models.mas import AlignmentError
    from voxgraft.models.organs import FreezePlan, UnknownOrganError
    from voxgraft.training.plan import MODULES, plan_step

    try:
        model = load_recipient(args.model).model if args.model else _bare_model(named_config(args.config, 64))
        organs = FreezePlan.for_model(args.train, model).trainable
        plan = plan_step(organs, args.alignment)
    except (UnknownOrganError, AlignmentError, CheckpointError, ValueError) as exc:
        return fail(str(exc))
    table = Table(title=f"step plan: train {', '.join(organs)} ({args.alignment} alignment)")
    table.add_column("module")
    table.add_column("runs")
    table.add_column("weights")
    for module in MODULES:
        table.add_row(module, plan.modes[module], plan.weights(module))
    print_table(table)
    console.print(f"active losses: {', '.join(plan.losses)}", highlight=False)
    if args.model:
        _print_provenance(Path(args.model))
    return _print_step_memory(args) if args.memory else 0


def _print_step_memory(args: argparse.Namespace) -> int:
    from voxgraft.trainables.step_memory import measure_step_memory

    if not args.model:
        return fail("--memory measures a real recipient: pass --model")
    if args.save and (args.save.is_dir() or not args.save.parent.is_dir()):
        return fail(f"--save {args.save}: give a file in an existing folder")
    if not 1 <= args.batch_size <= 4096 or not 0 < args.card_gb <= 4096:
        return fail("--batch-size must be 1..4096 and --card-gb in (0, 4096]")
    try:
        m = measure_step_memory(Path(args.model), Path(args.memory), args.train, args.alignment, args.batch_size)
    except ValueError as exc:  # CorpusError, TrainingSetError, CheckpointError, AlignmentError, unknown organ
        return fail(str(exc))
    kind = "reserved by the CUDA allocator" if m.device == "cuda" else "resident (CPU)"
    console.print(f"step memory ({m.batch_size} rows, {m.steps} steps, {m.device}): peak {m.peak_mb:,.0f} MB {kind}; "
                  f"{m.before_mb:,.0f} MB before the steps", highlight=False)
    if args.save:
        record = {**asdict(m), "organs": args.train, "alignment": args.alignment, "recipient": str(Path(args.model).resolve())}
        with atomic_file(args.save) as tmp:
            tmp.write_text(json.dumps(record, indent=1) + "\n")
        console.print(f"saved: {args.save} (for `voxgraft cluster check --measured`)", highlight=False)
    fits = m.trials_per_card(args.card_gb)
    if fits is None:
        console.print(f"trials per {args.card_gb:g} GB card: measure on a GPU (CPU memory does not translate)", highlight=False)
    else:
        console.print(f"trials per {args.card_gb:g} GB card: {fits} (each also pays ~500 MB of CUDA context)", highlight=False)
    return 0


def _print_provenance(recipient: Path) -> None:
    """Where an imported recipient came from, and what of it was recovered rather than original."""
    from voxgraft.training.recipient_recovery import RecoveryError, read_provenance

    try:
        record = read_provenance(recipient) if recipient.is_dir() else None
    except RecoveryError as exc:
        console.print(f"provenance: {exc}", highlight=False)
        return
    if not record:
        return
    console.print(f"recipient: {record.get('source')} voice {record.get('onnx_file')} (sha256 {str(record.get('onnx_sha256'))[:12]}...)", highlight=False)
    recovered = record.get("recovered")
    if not recovered:
        console.print("not recovered: its posterior encoder and duration posterior are untrained; run `voxgraft recipient recover`", highlight=False)
        return
    before, after = recovered["before"], recovered["after"]
    console.print(
        f"recovered, not original: {', '.join(recovered['organs'])}; round-trip mel L1 {after['round_trip_mel_l1']:.3f} "
        f"(untrained {before['round_trip_mel_l1']:.3f}, noise reference {recovered['noise_reference_mel_l1']:.3f}); "
        f"duration NLL {after['duration_nll']:.2f} (untrained {before['duration_nll']:.2f})",
        highlight=False,
    )


def _bare_model(config):
    from transformers import VitsModel

    return VitsModel(config)


def cmd_pretrain(args: argparse.Namespace) -> int:
    from voxgraft.data.corpus import CorpusError
    from voxgraft.data.training_set import TrainingSetError
    from voxgraft.models.checkpoints import CheckpointError
    from voxgraft.models.mas import AlignmentError, check_strategy
    from voxgraft.models.styled_vits import StyleError
    from voxgraft.training.pretrain import RECORD_FILE, PretrainSettings, pretrain
    from voxgraft.training.trainer import TrainConfig

    if args.steps < 1 or args.checkpoint_every < 1 or args.batch_size < 1:
        return fail("--steps, --checkpoint-every and --batch-size must be at least 1")
    if not args.learning_rate > 0:
        return fail("--learning-rate must be positive")
    if args.style_latent < 0 or args.style_beta < 0 or args.style_anneal_steps < 0:
        return fail("--style-latent, --style-beta and --style-anneal-steps must not be negative")
    try:
        check_strategy(args.alignment)
        check_replaceable(args.out, RECORD_FILE, "pretrained model", args.force)
    except (AlignmentError, ForeignFolderError) as exc:
        return fail(str(exc))
    settings = PretrainSettings(
        config=args.config,
        alignment=args.alignment,
        steps=args.steps,
        checkpoint_every=args.checkpoint_every,
        heldout=args.heldout,
        train=TrainConfig(learning_rate=args.learning_rate, batch_size=args.batch_size, seed=args.seed),
        duration_steps=args.duration_steps,
        style_latent=args.style_latent,
        style_beta=args.style_beta,
        style_anneal_steps=args.style_anneal_steps,
    )
    try:
        with progress_bar() as progress:
            task = progress.add_task("pretraining", total=args.steps)

            def report(step: int, total: int, losses: dict[str, float]) -> None:
                shown = " ".join(f"{SHORT_LOSS[k]} {v:.3g}" for k, v in losses.items() if k in SHORT_LOSS)
                progress.update(task, completed=step, description=f"pretraining [{shown}]")

            result = pretrain(args.corpus, args.out, settings, report)
    except (CorpusError, TrainingSetError, CheckpointError, AlignmentError, StyleError, ValueError) as exc:
        return fail(str(exc))
    if result.resumed_from:
        console.print(f"resumed at step {result.resumed_from}", highlight=False)
    console.print(f"trained {result.steps} steps; model in {result.out_dir}", highlight=False)
    for name, value in result.final.items():
        console.print(f"  {name}: {result.initial.get(name, float('nan')):.3f} untrained -> {value:.3f}", highlight=False)
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    from voxgraft.data.corpus import CorpusError
    from voxgraft.models.checkpoints import CheckpointError
    from voxgraft.models.speak import Reference, SpeakError, speak

    try:
        reference = Reference.parse(args.ref_durations) if args.ref_durations else None
        knobs = {"noise_scale": args.noise_scale, "noise_w": args.noise_w, "length_scale": args.length_scale}
        seconds = speak(args.model, args.text, args.out_wav, reference, seed=args.seed, speaker=args.speaker, **knobs)
    except (SpeakError, CheckpointError, CorpusError) as exc:
        return fail(str(exc))
    console.print(f"wrote {seconds:.2f} s to {args.out_wav}", highlight=False)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    from voxgraft.models.configs import CONFIGS
    from voxgraft.models.mas import STRATEGIES
    from voxgraft.models.organs import ORGAN_MODULES, ORGAN_PRESETS

    plan = sub.add_parser(
        "plan",
        help="show which modules and losses a training step runs for a freeze plan",
        formatter_class=Formatter,
        epilog="examples:\n  voxgraft plan --train duration_predictor\n  voxgraft plan --train timbre --alignment learned\n\n"
        f"organs: {', '.join(ORGAN_MODULES)}; presets: {', '.join(ORGAN_PRESETS)}",
    )
    plan.add_argument("--train", required=True, help="organs and/or presets to train, comma-separated")
    plan.add_argument("--alignment", default="forced", help=f"one of: {', '.join(STRATEGIES)}")
    plan.add_argument("--model", default=None, help="a model directory (default: a bare model of --config)")
    plan.add_argument("--config", default="base", choices=sorted(CONFIGS))
    plan.add_argument("--memory", default=None, metavar="DONOR",
                      help="also measure a training step's peak memory on this device with real steps on DONOR's largest batch (needs --model)")
    plan.add_argument("--batch-size", type=int, default=16, help="with --memory: the batch size to measure")
    plan.add_argument("--card-gb", type=float, default=24.0, help="with --memory on CUDA: the card to fit trials on")
    plan.add_argument("--save", type=Path, default=None, metavar="FILE.json", help="with --memory: write the measurement here")
    plan.set_defaults(func=cmd_plan)

    pre = sub.add_parser(
        "pretrain",
        help="train a recipient voice from scratch on a corpus, or continue one; resumes where it stopped",
        formatter_class=Formatter,
        epilog="examples:\n  voxgraft pretrain corpora/recipient models/recipient --config tiny --steps 300\n"
        "  voxgraft pretrain corpora/man corpora/woman corpora/man_whisper corpora/woman_whisper models/voices "
        "--style-latent 16   # one multi-voice model with a style VAE",
    )
    pre.add_argument("corpus", nargs="+", help="one corpus per voice; several train one multi-voice model")
    pre.add_argument("out", help="model directory to write (an existing one is continued)")
    pre.add_argument("--force", action="store_true", help="replace OUT even when it holds files that are not a voxgraft model")
    pre.add_argument("--config", default="tiny", choices=sorted(CONFIGS), help="model size of a new model")
    pre.add_argument("--alignment", default="forced", help=f"one of: {', '.join(STRATEGIES)}")
    pre.add_argument("--steps", type=int, default=300, help="total optimizer steps to reach")
    pre.add_argument("--checkpoint-every", type=int, default=100)
    pre.add_argument("--batch-size", type=int, default=8)
    pre.add_argument("--learning-rate", type=float, default=1e-3)
    pre.add_argument("--duration-steps", type=int, default=300, help="duration-predictor-only steps after the joint phase")
    pre.add_argument("--heldout", type=int, default=4, help="utterances held out for the measures (per voice)")
    pre.add_argument("--seed", type=int, default=0)
    pre.add_argument("--style-latent", type=int, default=0, metavar="N", help="give a new model a style VAE with an N-dim latent")
    pre.add_argument("--style-beta", type=float, default=0.01, help="weight of the style VAE's KL after annealing")
    pre.add_argument("--style-anneal-steps", type=int, default=200, help="steps over which the KL weight rises from 0 to beta")
    pre.set_defaults(func=cmd_pretrain)

    synth = sub.add_parser(
        "synth",
        help="speak text with a model; with --ref-durations, with the timing of an aligned reference utterance",
        formatter_class=Formatter,
        epilog="examples:\n  voxgraft synth models/recipient \"The cat sat on the mat.\" out.wav\n"
        "  voxgraft synth models/recipient \"$(cat corpora/cadence_donor/wavs/LJ001-0001.txt)\" out.wav "
        "--ref-durations corpora/cadence_donor:LJ001-0001",
    )
    synth.add_argument("model", help="model directory (config.json, weights, symbols.json)")
    synth.add_argument("text")
    synth.add_argument("out_wav", type=Path)
    synth.add_argument("--ref-durations", default=None, metavar="CORPUS:UTTERANCE_ID", help="borrow this utterance's durations")
    synth.add_argument("--noise-scale", type=float, default=0.667, help="noise of the prior (Piper's noise_scale), in [0, 2]")
    synth.add_argument("--noise-w", type=float, default=0.8, help="noise of the stochastic duration predictor (Piper's noise_w), in [0, 2]")
    synth.add_argument("--length-scale", type=float, default=1.0, help="stretch every duration by this factor (Piper's length_scale), in [0.1, 10]")
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument("--speaker", type=int, default=None, help="speaker index of a multi-speaker model")
    synth.set_defaults(func=cmd_synth)
