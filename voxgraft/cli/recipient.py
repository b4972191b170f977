"""The recipient commands: import-piper (a Piper voice -> a recipient) and recover."""

from __future__ import annotations

import argparse
from pathlib import Path

from voxgraft.console import Formatter, console, fail, progress_bar


def _bad_recovery_options(args: argparse.Namespace) -> str | None:
    if min(args.encoder_steps, args.duration_steps, args.discriminator_steps) < 0 or args.utterances < 1:
        return "step counts must not be negative and --utterances must be at least 1"
    return None


def cmd_import_piper(args: argparse.Namespace) -> int:
    from voxgraft.models.piper_onnx import PiperFileError

    if args.recover and _bad_recovery_options(args):  # before anything is written
        return fail(_bad_recovery_options(args))
    try:
        from voxgraft.models.piper_import import import_piper

        voice = import_piper(args.voice, args.out_dir, args.sha256)
    except (PiperFileError, OSError) as exc:  # OSError: an output folder it may not write, a full disk
        return fail(str(exc))
    console.print(
        f"imported {voice.tensors} tensors (sha256 {voice.sha256[:12]}...) into {voice.out_dir}; "
        f"{voice.untrained_parameters / 1e6:.1f}M training-only parameters need `voxgraft recipient recover`",
        highlight=False,
    )
    return cmd_recover(args) if args.recover else 0


def cmd_recover(args: argparse.Namespace) -> int:
    from voxgraft.models.checkpoints import CheckpointError
    from voxgraft.training.recipient_recovery import RecoveryError, recover_recipient
    from voxgraft.training.recover import RecoverySettings

    directory = args.out_dir if hasattr(args, "out_dir") else args.recipient
    if _bad_recovery_options(args):
        return fail(_bad_recovery_options(args))
    settings = RecoverySettings(utterances=args.utterances, encoder_steps=args.encoder_steps, duration_steps=args.duration_steps)
    try:
        with progress_bar() as progress:
            task = progress.add_task("recovering", total=None)

            def report(part: str, step: int, total: int, loss: float) -> None:
                progress.update(task, completed=step, total=total, description=f"{part} [loss {loss:.3g}]")

            record = recover_recipient(directory, settings, args.discriminator_steps, report)
    except (RecoveryError, CheckpointError, OSError) as exc:
        return fail(str(exc))
    after, before = record["after"], record["before"]
    console.print(
        f"round-trip mel L1 {before['round_trip_mel_l1']:.3f} -> {after['round_trip_mel_l1']:.3f} "
        f"(noise reference {record['noise_reference_mel_l1']:.3f}); duration NLL {before['duration_nll']:.2f} -> "
        f"{after['duration_nll']:.2f}; {record['seconds']:.0f} s",
        highlight=False,
    )
    return 0


def _recovery_options(parser: argparse.ArgumentParser) -> None:
    from voxgraft.training.recover import RecoverySettings

    defaults = RecoverySettings()
    parser.add_argument("--utterances", type=int, default=defaults.utterances, help="sentences the voice speaks to train on")
    parser.add_argument("--encoder-steps", type=int, default=defaults.encoder_steps)
    parser.add_argument("--duration-steps", type=int, default=defaults.duration_steps)
    parser.add_argument("--discriminator-steps", type=int, default=60)


def register(sub: argparse._SubParsersAction) -> None:
    recipient = sub.add_parser(
        "recipient", help="bring a trained voice in as a recipient: import a Piper voice, recover its training-only organs",
        formatter_class=Formatter, epilog="example:\n  voxgraft recipient import-piper en_US-joe-medium.onnx models/joe --recover",
    )
    recipient_sub = recipient.add_subparsers(dest="recipient_command", required=True)
    imp = recipient_sub.add_parser(
        "import-piper",
        help="convert a Piper voice (VOICE.onnx + VOICE.onnx.json) into a recipient directory",
        formatter_class=Formatter,
        epilog="example:\n  voxgraft recipient import-piper en_US-joe-medium.onnx models/joe --recover",
    )
    imp.add_argument("voice", type=Path, help="the voice's .onnx (its .onnx.json beside it)")
    imp.add_argument("out_dir", type=Path, help="a new (or empty) directory for the recipient")
    imp.add_argument("--sha256", default=None, help="refuse the file unless its sha256 is this")
    imp.add_argument("--recover", action="store_true", help="recover the training-only organs right after importing")
    _recovery_options(imp)
    imp.set_defaults(func=cmd_import_piper)
    rec = recipient_sub.add_parser(
        "recover",
        help="train what an imported voice lacks (posterior encoder, duration posterior, discriminator) on its own speech",
        formatter_class=Formatter,
        epilog="example:\n  voxgraft recipient recover models/joe",
    )
    rec.add_argument("recipient", type=Path)
    _recovery_options(rec)
    rec.set_defaults(func=cmd_recover)
