"""The corpus commands: synth, check, features, align, import-textgrids, compare-alignments."""

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


# --- corpus align, import-textgrids, compare-alignments ----------------------------------------


def _run_alignment(corpus: str, aligner: str, source: str | None, out: str | None, replace: bool, tier: str = "phones") -> int:
    from voxgraft.data.align_corpus import AlignCorpusError, align_corpus, phone_source
    from voxgraft.data.alignment import FILENAME

    target = Path(out) if out else Path(corpus) / FILENAME
    if target.exists() and not replace:
        return fail(f"{target} exists; pass --replace to overwrite it, or --out to write elsewhere")
    if not target.parent.is_dir() or target.is_dir():
        return fail(f"{target}: cannot write the alignment table there (its folder must exist and it must not be a folder)")
    try:
        find = phone_source(aligner, source, tier)
        with progress_bar() as progress:
            task = progress.add_task(f"aligning ({aligner})", total=None)
            report = align_corpus(corpus, find, target, progress=lambda done, n: progress.update(task, completed=done, total=n))
    except AlignCorpusError as exc:
        return fail(str(exc))
    console.print(
        f"aligned {report.aligned} utterances into {report.path}; repaired {report.gaps} gap(s) and "
        f"{report.overlaps} overlap(s) in the aligner's output",
        highlight=False,
    )
    if report.differing:
        first = next(iter(report.differing.items()))
        console.print(
            f"note: in {len(report.differing)} utterance(s) the aligner heard other phones than eSpeak NG's transcription "
            f"(tokens kept, times from the nearest phones); e.g. {first[0]}: {', '.join(first[1][:4])}",
            highlight=False, soft_wrap=True,
        )
    for uid, note in report.notes.items():
        console.print(f"note: {uid}: {note}", highlight=False)
    return 0


def cmd_corpus_align(args: argparse.Namespace) -> int:
    return _run_alignment(args.corpus, args.aligner, args.source, args.out, args.replace, args.tier)


def cmd_corpus_import_textgrids(args: argparse.Namespace) -> int:
    return _run_alignment(args.corpus, "textgrid", args.textgrids, args.out, args.replace, args.tier)


def cmd_corpus_compare_alignments(args: argparse.Namespace) -> int:
    from voxgraft.data.alignment import FILENAME, read_alignments
    from voxgraft.data.compare_alignments import compare_alignments

    tables = []
    for where in (args.test, args.reference):
        path = Path(where) / FILENAME if Path(where).is_dir() else Path(where)
        try:
            tables.append(read_alignments(path))
        except (OSError, ValueError) as exc:
            return fail(f"{path}: not a readable alignment table ({exc})")
    try:
        c = compare_alignments(*tables)
    except ValueError as exc:
        return fail(str(exc))
    console.print(
        f"{c.utterances} utterances, {c.boundaries} boundaries: error mean {c.mean_ms:.1f} ms, median {c.median_ms:.1f} ms, "
        f"90th percentile {c.p90_ms:.1f} ms, {c.within_20ms:.0%} within 20 ms; label agreement {c.label_agreement:.1%}"
        + (f"; {c.only_in_one} utterance(s) in only one of them" if c.only_in_one else ""),
        highlight=False,
    )
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

    align = corpus_sub.add_parser(
        "align",
        help="write the corpus's alignments with a built-in or imported aligner (all or nothing)",
        formatter_class=Formatter,
        epilog="examples:\n  voxgraft corpus align ~/data/donor\n"
        "  voxgraft corpus align ~/data/donor --aligner whisperx-json ~/data/donor_whisperx\n"
        "  voxgraft corpus align ~/data/donor --aligner textgrid ~/data/donor_mfa --out /tmp/mfa.parquet\n\n"
        "pocketsphinx aligns each wav to its transcript offline; whisperx-json reads one ID.json per utterance\n"
        "as WhisperX writes it; textgrid reads one ID.TextGrid per utterance (Montreal Forced Aligner).",
    )
    align.add_argument("corpus")
    align.add_argument("source", nargs="?", help="folder of the aligner's files (whisperx-json, textgrid)")
    align.add_argument("--aligner", choices=("pocketsphinx", "whisperx-json", "textgrid"), default="pocketsphinx")
    _output_options(align)
    align.set_defaults(func=cmd_corpus_align)

    tg = corpus_sub.add_parser(
        "import-textgrids",
        help="the same as: corpus align CORPUS TEXTGRIDS --aligner textgrid",
        formatter_class=Formatter,
        epilog="example:\n  voxgraft corpus import-textgrids ~/data/donor ~/data/donor_aligned",
    )
    tg.add_argument("corpus")
    tg.add_argument("textgrids", help="folder of ID.TextGrid files, one per utterance")
    _output_options(tg)
    tg.set_defaults(func=cmd_corpus_import_textgrids)

    cmp = corpus_sub.add_parser(
        "compare-alignments",
        help="boundary error (ms) and label agreement of one alignment against a reference",
        formatter_class=Formatter,
        epilog="example:\n  voxgraft corpus compare-alignments /tmp/pocketsphinx.parquet corpora/cadence_donor",
    )
    cmp.add_argument("test", help="alignment to measure: a corpus folder or an alignments .parquet")
    cmp.add_argument("reference", help="the reference alignment: a corpus folder or an alignments .parquet")
    cmp.set_defaults(func=cmd_corpus_compare_alignments)


def _output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tier", default="phones", help="TextGrid phone tier name")
    parser.add_argument("--out", help="where to write the table (default: CORPUS/alignments.parquet)")
    parser.add_argument("--replace", action="store_true", help="overwrite an existing alignment table")
