"""`voxgraft corpus align`: a corpus's alignments from an aligner, all or nothing.

Every utterance is aligned (pocketsphinx) or read (WhisperX JSON, MFA TextGrid), carried onto
the phonemizer's tokens for its text, repaired to cover its audio exactly and checked against
the corpus's symbol table. Only when no utterance has a problem is the table written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import soundfile as sf

from voxgraft.data.alignment import FILENAME, Interval, repair, write_alignments
from voxgraft.data.check import corpus_symbols
from voxgraft.data.corpus import Utterance, read_corpus
from voxgraft.data.phonemizer import phonemize
from voxgraft.data.pocketsphinx_align import AlignError
from voxgraft.data.textgrid import TextGridError, textgrid_phones
from voxgraft.data.token_timing import TimedPhone, place
from voxgraft.data.whisperx_json import WhisperXError, whisperx_phones

ALIGNERS = ("pocketsphinx", "whisperx-json", "textgrid")
MIN_AGREEMENT = 0.5  # fewer of the transcript's phones heard than this: the audio says something else
NO_NEW_PAUSES = float("inf")  # repair splits leftover gaps rather than adding tokens the text lacks


class AlignCorpusError(ValueError):
    pass


@dataclass
class AlignmentReport:
    path: Path
    aligned: int = 0
    gaps: int = 0
    overlaps: int = 0
    differing: dict[str, list[str]] = field(default_factory=dict)  # utterance -> "token:expected>heard"
    notes: dict[str, str] = field(default_factory=dict)  # utterance -> how its times are less exact


# One utterance's timed phones, and a note when they are less exact than the aligner's best.
PhoneSource = Callable[[Utterance, float], tuple[list[TimedPhone], str | None]]


def phone_source(aligner: str, source: str | Path | None, phones_tier: str = "phones") -> PhoneSource:
    """How one utterance's timed phones are found, for each kind of aligner."""
    if aligner == "pocketsphinx":
        from voxgraft.data.pocketsphinx_align import PocketsphinxAligner

        engine = PocketsphinxAligner()

        def aligned(utt: Utterance, _total: float) -> tuple[list[TimedPhone], str | None]:
            wav, rate = sf.read(str(utt.audio_path), dtype="float32", always_2d=True)
            return engine.align(wav.mean(axis=1), rate, utt.text)

        return aligned
    if source is None or not Path(source).is_dir():
        raise AlignCorpusError(f"--aligner {aligner} needs the folder of its files, got {source}")
    folder = Path(source)
    if aligner == "whisperx-json":
        return lambda utt, total: (whisperx_phones(_file(folder, utt, ".json"), total), None)
    if aligner == "textgrid":
        return lambda utt, _total: (textgrid_phones(_file(folder, utt, ".TextGrid"), phones_tier), None)
    raise AlignCorpusError(f"unknown aligner {aligner!r}; choose one of: {', '.join(ALIGNERS)}")


def _file(folder: Path, utt: Utterance, suffix: str) -> Path:
    path = folder / f"{utt.utterance_id}{suffix}"
    if not path.is_file():
        raise AlignError(f"{path} is missing")
    return path


def _align_one(utt: Utterance, find: PhoneSource, symbols, report: AlignmentReport) -> list[Interval]:
    try:
        total = sf.info(str(utt.audio_path)).duration
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise AlignError(f"unreadable audio ({exc})") from None
    tokens = phonemize(utt.text)
    unknown = sorted(set(symbols.unknown(tokens)))
    if unknown:
        raise AlignError(f"phonemes not in the corpus's symbol table: {' '.join(map(repr, unknown))}")
    phones, note = find(utt, total)
    if note:
        report.notes[utt.utterance_id] = note
    placement = place(phones, tokens, total)
    if placement.agreement < MIN_AGREEMENT:
        raise AlignError(
            f"the aligner heard only {placement.agreement:.0%} of the transcript's phones "
            f"(first differences: {', '.join(placement.mismatches[:5])}); do audio and text agree?"
        )
    report.gaps += placement.gaps
    report.overlaps += placement.overlaps
    if placement.mismatches:
        report.differing[utt.utterance_id] = placement.mismatches
    return repair(placement.intervals, total, min_pause_s=NO_NEW_PAUSES)


def align_corpus(
    corpus_dir: str | Path,
    find: PhoneSource,
    out: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> AlignmentReport:
    corpus = read_corpus(corpus_dir)
    problems = [str(p) for p in corpus.errors]
    symbols = corpus_symbols(corpus.root)
    report = AlignmentReport(Path(out) if out else corpus.root / FILENAME)
    alignments: dict[str, list[Interval]] = {}
    for done, utt in enumerate(corpus.utterances if not problems else [], 1):
        try:
            alignments[utt.utterance_id] = _align_one(utt, find, symbols, report)
        except (AlignError, WhisperXError, TextGridError) as exc:
            problems.append(f"{utt.utterance_id}: {exc}")
        if progress:
            progress(done, len(corpus.utterances))
    if not corpus.utterances and not problems:
        problems.append(f"{corpus.root}: no utterances")
    if problems:
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise AlignCorpusError(f"nothing written; {len(problems)} utterance(s) could not be aligned:\n" + "\n".join(problems[:20]) + more)
    report.aligned = len(alignments)
    write_alignments(report.path, alignments)
    return report
