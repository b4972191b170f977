"""The corpus commands: synth, check, features, import-textgrids."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape

from voxgraft.console import EXIT_BAD_INPUT, Formatter, console, fail, progress_bar
from voxgraft.data.voices import VOICE_PRESETS

# --- corpus synth -----------------------------------------------------------------------------


def cmd_corpus_synth(args: argparse.Namespace) -> int:
    from voxgraft.data.synth import synthesize_corpus

    if args.all_presets == bool(args.preset):
        return fail("give exactly one of --preset NAME or --all-presets")
    if args.preset and args.preset not in VOICE_PRESETS:
        return fail(f"unknown preset {args.preset!r}; choose one of: {', '.join(VOICE_PRESETS)}")
    if args.count < 1:
        return fail("--count must be at least 1")
    out = Path(args.out_dir)
    targets = {name: out / name for name in VOICE_PRESETS} if args.all_presets else {args.preset: out}
    for target in targets.values():
        if target.exists() and any(target.iterdir()):
            return fail(f"{target} exists and is not empty; choose a new directory")
    with progress_bar() as progress:
        for name, target in targets.items():
            task = progress.add_task(f"synthesizing {name}", total=args.count)
            synthesize_corpus(name, args.count, args.seed, target, lambda done, _n, task=task: progress.update(task, completed=done))
            console.print(f"wrote {args.count} utterances of [bold]{name}[/] to {target}")
    return 0


# --- corpus check -----------------------------------------------------------------------------


def cmd_corpus_check(args: argparse.Namespace) -> int:
    from voxgraft.data.check import check_corpus

    with progress_bar() as progress:
        task = progress.add_task("checking", total=None)
        corpus = check_corpus(args.corpus, progress=lambda done, n: progress.update(task, completed=done, total=n))
    for problem in corpus.problems:
        style = "red" if problem.severity == "error" else "yellow"
        console.print(f"[{style}]{problem.severity}[/]: {escape(problem.where)}: {escape(problem.message)}", highlight=False, soft_wrap=True)
    n_err = len(corpus.errors)
    if n_err:
        console.print(f"[bold red]unusable:[/] {args.corpus}: {n_err} error(s); fix them and check again", highlight=False)
        return EXIT_BAD_INPUT
    aligned = "with alignments" if corpus.alignments_path else "no alignments"
    console.print(f"[bold green]ok:[/] {args.corpus}: {len(corpus.utterances)} utterances ({corpus.layout}, {aligned})", highlight=False)
    return 0


# --- corpus features --------------------------------------------------------------------------


def cmd_corpus_features(args: argparse.Namespace) -> int:
    from voxgraft.data.check import load_corpus
    from voxgraft.data.corpus import CorpusError
    from voxgraft.data.feature_cache import prepare_features

    try:
        corpus = load_corpus(args.corpus)
    except CorpusError as exc:
        return fail(str(exc))
    with progress_bar() as progress:
        task = progress.add_task("features", total=len(corpus.utterances))
        store = prepare_features(
            corpus, cache_dir=args.cache_dir, progress=lambda done, n, computed: progress.update(task, completed=done)
        )
    console.print(f"features for {len(store)} utterances in {store.path}", highlight=False)
    return 0


# --- corpus import-textgrids ------------------------------------------------------------------


def cmd_corpus_import_textgrids(args: argparse.Namespace) -> int:
    from voxgraft.data.textgrid_import import TextGridImportError, import_textgrids

    try:
        path, n = import_textgrids(args.corpus, args.textgrids, phones_tier=args.tier)
    except TextGridImportError as exc:
        return fail(str(exc))
    console.print(f"imported {n} alignments into {path}", highlight=False)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    corpus = sub.add_parser(
        "corpus", help="make, check and prepare voice corpora", formatter_class=Formatter,
        epilog="example:\n  voxgraft corpus check corpora/recipient",
    )
    corpus_sub = corpus.add_subparsers(dest="corpus_command", required=True)

    synth = corpus_sub.add_parser(
        "synth",
        help="synthesize an LJSpeech-format corpus with eSpeak NG, with exact phoneme alignments",
        formatter_class=Formatter,
        epilog="examples:\n  voxgraft corpus synth --preset cadence_donor --count 50 --seed 0 corpora/cadence_donor\n"
        "  voxgraft corpus synth --all-presets --count 20 corpora/\n\npresets: " + ", ".join(VOICE_PRESETS),
    )
    synth.add_argument("out_dir", help="directory to create (with --all-presets: one subdirectory per preset)")
    synth.add_argument("--preset", help="voice preset name")
    synth.add_argument("--all-presets", action="store_true", help="synthesize every preset")
    synth.add_argument("--count", type=int, default=50, help="number of utterances")
    synth.add_argument("--seed", type=int, default=0, help="seed of the sentence generator (same seed, same bytes)")
    synth.set_defaults(func=cmd_corpus_synth)

    check = corpus_sub.add_parser(
        "check",
        help="validate a corpus and list every problem; exit 2 when it is unusable; writes nothing",
        formatter_class=Formatter,
        epilog="example:\n  voxgraft corpus check ~/data/LJSpeech-1.1",
    )
    check.add_argument("corpus", help="LJSpeech-format folder, or folder of *.wav with same-name *.txt")
    check.set_defaults(func=cmd_corpus_check)

    feats = corpus_sub.add_parser(
        "features",
        help="compute and cache spectrograms, mels and F0 (only what changed since the last run)",
        formatter_class=Formatter,
        epilog="example:\n  voxgraft corpus features corpora/recipient",
    )
    feats.add_argument("corpus")
    feats.add_argument("--cache-dir", default=None, help="where the cache lives (default: CORPUS/.voxgraft_cache)")
    feats.set_defaults(func=cmd_corpus_features)

    tg = corpus_sub.add_parser(
        "import-textgrids",
        help="import Montreal Forced Aligner TextGrids as the corpus's alignments (gaps and overlaps repaired)",
        formatter_class=Formatter,
        epilog="example:\n  voxgraft corpus import-textgrids ~/data/donor ~/data/donor_aligned",
    )
    tg.add_argument("corpus")
    tg.add_argument("textgrids", help="folder of ID.TextGrid files, one per utterance")
    tg.add_argument("--tier", default="phones", help="name of the phone tier")
    tg.set_defaults(func=cmd_corpus_import_textgrids)
