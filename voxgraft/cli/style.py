"""The style commands of the command line: `voxgraft style embed | arith | adapt | clone`."""

from __future__ import annotations

import argparse
from pathlib import Path

from voxgraft.atomic import ForeignFolderError, check_replaceable
from voxgraft.console import Formatter, console, fail, print_table


def _load_styled(model_dir: str):
    from voxgraft.models.checkpoints import load_recipient
    from voxgraft.models.styled_vits import StyleError, has_style

    recipient = load_recipient(model_dir)
    if not has_style(recipient.model):
        raise StyleError(f"{model_dir}: this model has no style VAE (pretrain one with --style-latent N)")
    return recipient


def cmd_embed(args: argparse.Namespace) -> int:
    from rich.table import Table

    from voxgraft.data.audio import AudioError
    from voxgraft.models.checkpoints import CheckpointError
    from voxgraft.models.styled_vits import StyleError
    from voxgraft.style.space import retrieval_ranking
    from voxgraft.style.vectors import StyleVectorsError, embed_corpora, write_vectors

    if args.limit is not None and args.limit < 1:
        return fail("--limit must be at least 1")
    try:
        recipient = _load_styled(args.model)
        vectors = embed_corpora(recipient.model, str(args.model), recipient.sha256, args.corpus, args.limit)
        write_vectors(vectors, args.out)
    except (CheckpointError, StyleError, StyleVectorsError, AudioError) as exc:
        return fail(str(exc))
    cents = vectors.centroids()
    table = Table(title=f"style vectors ({vectors.latents.shape[1]}-dim) of {len(vectors.voices)} utterances")
    table.add_column("voice")
    table.add_column("utterances", justify="right")
    table.add_column("nearest other voice")
    for voice, centre in cents.items():
        others = [(n, d) for n, d in retrieval_ranking(centre, cents) if n != voice]
        table.add_row(voice, str(vectors.voices.count(voice)), f"{others[0][0]} ({others[0][1]:.2f})" if others else "-")
    print_table(table)
    console.print(f"silhouette against the voices: {vectors.silhouette:.3f}", highlight=False)
    console.print(f"wrote {args.out}", highlight=False)
    return 0


def cmd_arith(args: argparse.Namespace) -> int:
    import numpy as np

    from voxgraft.data.audio import AudioError
    from voxgraft.models.checkpoints import CheckpointError
    from voxgraft.models.speak import SpeakError, speak
    from voxgraft.models.styled_vits import StyleError
    from voxgraft.style.space import ExpressionError, combine, parse_expression, retrieval_ranking, scaled_combine, spreads
    from voxgraft.style.vectors import StyleVectorsError, embed_corpora, read_voice_spreads, read_voice_vectors

    if args.limit < 1:
        return fail("--limit must be at least 1")
    if bool(args.vectors) == bool(args.voice):
        return fail("give the voices' vectors with exactly one of --vectors FILE or --voice NAME=CORPUS (repeatable)")
    try:
        names = [name for _, name in parse_expression(args.expression)]
        recipient = _load_styled(args.model)
        if args.vectors:
            voices, meta = read_voice_vectors(args.vectors)
            if meta.get("model_sha256") not in (None, recipient.sha256):
                return fail(f"{args.vectors} holds vectors of another model ({str(meta.get('model_sha256'))[:12]}...): embed with this one")
            spread = read_voice_spreads(args.vectors) if args.scale == "auto" else {}
        else:
            pairs = dict(_voice_pair(v) for v in args.voice)
            missing = [n for n in names if n not in pairs]
            if missing:
                return fail(f"no --voice {missing[0]}=CORPUS for {missing[0]!r} in the expression")
            vectors = embed_corpora(recipient.model, str(args.model), recipient.sha256, [pairs[n] for n in dict.fromkeys(names)], args.limit)
            voices = {n: c for n, c in zip(dict.fromkeys(names), vectors.centroids().values())}
            spread = dict(zip(voices, spreads(vectors.latents, vectors.voices).values()))
        vector = scaled_combine(args.expression, voices, spread) if args.scale == "auto" else combine(args.expression, voices)
        seconds = speak(args.model, args.text, args.out_wav, seed=args.seed, style_latent=vector.astype(np.float32))
    except (ExpressionError, CheckpointError, StyleError, StyleVectorsError, AudioError, SpeakError) as exc:
        return fail(str(exc))
    nearest = ", ".join(f"{n} {d:.2f}" for n, d in retrieval_ranking(vector, voices)[:3])
    console.print(f"{args.expression} -> nearest voices: {nearest}", highlight=False)
    console.print(f"wrote {seconds:.2f} s to {args.out_wav}", highlight=False)
    return 0


def cmd_adapt(args: argparse.Namespace) -> int:
    from voxgraft.data.audio import AudioError
    from voxgraft.evaluate.speaker import SpeakerEncoder
    from voxgraft.models.checkpoints import CheckpointError
    from voxgraft.models.styled_vits import StyleError
    from voxgraft.style.adapter import META, AdapterError, save_adapter
    from voxgraft.style.vectors import StyleVectorsError, train_adapter

    if args.limit is not None and args.limit < 1:
        return fail("--limit must be at least 1")
    try:
        check_replaceable(args.out, META, "style adapter", args.force)
    except ForeignFolderError as exc:
        return fail(str(exc))
    try:
        recipient = _load_styled(args.model)
        adapter, n = train_adapter(recipient.model, args.corpus, SpeakerEncoder.pretrained(), args.limit)
        meta = {"model": str(args.model), "model_sha256": recipient.sha256, "corpora": [str(c) for c in args.corpus], "utterances": n}
        save_adapter(adapter, args.out, meta)
    except (CheckpointError, StyleError, StyleVectorsError, AudioError, AdapterError) as exc:
        return fail(str(exc))
    console.print(f"fit on {n} utterances of {len(args.corpus)} corpora; adapter in {args.out}", highlight=False)
    return 0


def cmd_clone(args: argparse.Namespace) -> int:
    from voxgraft.data.audio import AudioError
    from voxgraft.evaluate.speaker import SpeakerEncoder
    from voxgraft.models.checkpoints import CheckpointError
    from voxgraft.models.speak import SpeakError, speak
    from voxgraft.models.styled_vits import StyleError
    from voxgraft.style.adapter import AdapterError, load_adapter
    from voxgraft.style.vectors import StyleVectorsError, latent_from_audio

    try:
        recipient = _load_styled(args.model)
        adapter, info = load_adapter(args.adapter)
        if info.get("model_sha256") != recipient.sha256:
            return fail(f"{args.adapter} was fit for another model ({str(info.get('model_sha256'))[:12]}...): fit one with `voxgraft style adapt`")
        rate = recipient.model.config.sampling_rate
        latent = latent_from_audio(adapter, SpeakerEncoder.pretrained(), args.reference, rate)
        seconds = speak(args.model, args.text, args.out_wav, seed=args.seed, style_latent=latent)
    except (CheckpointError, StyleError, StyleVectorsError, AudioError, AdapterError, SpeakError) as exc:
        return fail(str(exc))
    console.print(f"wrote {seconds:.2f} s to {args.out_wav}", highlight=False)
    return 0


def _voice_pair(spec: str) -> tuple[str, str]:
    from voxgraft.style.space import ExpressionError

    name, sep, corpus = spec.partition("=")
    if not sep or not name or not corpus:
        raise ExpressionError(f"--voice wants NAME=CORPUS_DIR, got {spec!r}")
    return name, corpus


def register(sub: argparse._SubParsersAction) -> None:
    style = sub.add_parser("style", help="style vectors of a styled model: embed corpora, voice arithmetic")
    style_sub = style.add_subparsers(dest="style_command", required=True)

    embed = style_sub.add_parser(
        "embed",
        help="style vectors per utterance and per voice of corpora (one corpus per voice), as an Arrow table",
        formatter_class=Formatter,
        epilog="example:\n  voxgraft style embed models/voices corpora/man corpora/woman corpora/man_whisper "
        "corpora/woman_whisper --out style.arrow",
    )
    embed.add_argument("model", help="a model pretrained with --style-latent")
    embed.add_argument("corpus", nargs="+", help="corpus directories, one voice each")
    embed.add_argument("--out", type=Path, required=True, help="Arrow file to write")
    embed.add_argument("--limit", type=int, default=None, help="at most this many utterances per corpus")
    embed.set_defaults(func=cmd_embed)

    arith = style_sub.add_parser(
        "arith",
        help="speak text in a voice made by arithmetic on style vectors, e.g. \"woman_whisper - woman + man\"",
        formatter_class=Formatter,
        epilog="examples:\n  voxgraft style arith models/voices \"woman_whisper - woman + man\" --vectors style.arrow "
        "--text \"The cat sat on the mat.\" out.wav\n"
        "  voxgraft style arith models/voices \"woman_whisper - woman + man\" --voice woman_whisper=corpora/woman_whisper "
        "--voice woman=corpora/woman --voice man=corpora/man --text \"Hello there.\" out.wav",
    )
    arith.add_argument("model")
    arith.add_argument("expression", help="voice names joined by + and -")
    arith.add_argument("out_wav", type=Path)
    arith.add_argument("--text", required=True)
    arith.add_argument("--vectors", default=None, help="an Arrow table from `voxgraft style embed` (its voice centroids)")
    arith.add_argument("--voice", action="append", default=[], metavar="NAME=CORPUS", help="a voice's reference corpus")
    arith.add_argument("--limit", type=int, default=32, help="reference utterances per --voice corpus")
    arith.add_argument("--scale", default="none", choices=("none", "auto"),
                       help="auto: carry the offset A - B onto BASE scaled by spread(BASE) / spread(B); measured not to help "
                       "on the bench recipients (docs/style.md)")
    arith.add_argument("--seed", type=int, default=0)
    arith.set_defaults(func=cmd_arith)

    adapt = style_sub.add_parser(
        "adapt",
        help="fit an adapter from speaker-encoder embeddings to this model's style latents",
        formatter_class=Formatter,
        epilog="example:\n  voxgraft style adapt models/voices corpora/man corpora/woman corpora/man_whisper "
        "corpora/woman_whisper --out models/voices_adapter",
    )
    adapt.add_argument("model")
    adapt.add_argument("corpus", nargs="+", help="corpora whose utterances the adapter is fit on")
    adapt.add_argument("--out", type=Path, required=True, help="adapter directory to write")
    adapt.add_argument("--limit", type=int, default=None, help="at most this many utterances per corpus")
    adapt.add_argument("--force", action="store_true", help="replace --out even when it holds files that are not a voxgraft adapter")
    adapt.set_defaults(func=cmd_adapt)

    clone = style_sub.add_parser(
        "clone",
        help="speak text in the voice of a few reference recordings, through an adapter",
        formatter_class=Formatter,
        epilog="example:\n  voxgraft style clone models/voices models/voices_adapter ref1.wav ref2.wav "
        "--text \"The cat sat on the mat.\" --out out.wav",
    )
    clone.add_argument("model")
    clone.add_argument("adapter", help="a directory from `voxgraft style adapt`")
    clone.add_argument("reference", nargs="+", help="recordings of the voice (a few seconds is enough)")
    clone.add_argument("--text", required=True)
    clone.add_argument("--out", dest="out_wav", type=Path, required=True)
    clone.add_argument("--seed", type=int, default=0)
    clone.set_defaults(func=cmd_clone)
