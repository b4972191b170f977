"""Importing a folder of aligner TextGrids as a corpus's `alignments.parquet`.

All-or-nothing: every TextGrid is read, repaired against its audio's length and checked
against the symbol table first; only when none has a problem is the table written (atomically).
"""

from __future__ import annotations

from pathlib import Path

import soundfile as sf

from voxgraft.data.alignment import FILENAME, Interval, repair, write_alignments
from voxgraft.data.check import corpus_symbols
from voxgraft.data.corpus import read_corpus
from voxgraft.data.textgrid import TextGridError, read_textgrid


class TextGridImportError(ValueError):
    pass


def import_textgrids(corpus_dir: str | Path, textgrid_dir: str | Path, phones_tier: str = "phones") -> tuple[Path, int]:
    corpus = read_corpus(corpus_dir)
    textgrid_dir = Path(textgrid_dir)
    problems = [str(p) for p in corpus.errors]
    if not textgrid_dir.is_dir():
        problems.append(f"{textgrid_dir}: not a directory")
    symbols = corpus_symbols(corpus.root)
    alignments: dict[str, list[Interval]] = {}
    for utt in corpus.utterances if textgrid_dir.is_dir() else []:
        path = textgrid_dir / f"{utt.utterance_id}.TextGrid"
        if not path.exists():
            problems.append(f"{path}: missing (utterance {utt.utterance_id!r})")
            continue
        try:
            intervals = read_textgrid(path, phones_tier=phones_tier)
        except TextGridError as exc:
            problems.append(str(exc))
            continue
        unknown = sorted(set(symbols.unknown([iv.phoneme for iv in intervals])))
        if unknown:
            problems.append(f"{path}: phones not in the symbol table: {' '.join(repr(u) for u in unknown)}")
            continue
        try:
            total = sf.info(str(utt.audio_path)).duration
        except (sf.LibsndfileError, RuntimeError) as exc:
            problems.append(f"{utt.audio_path}: unreadable audio ({exc})")
            continue
        alignments[utt.utterance_id] = repair(intervals, total)
    if problems:
        raise TextGridImportError(
            f"nothing imported; {len(problems)} problem(s):\n" + "\n".join(problems[:20])
            + (f"\n... and {len(problems) - 20} more" if len(problems) > 20 else "")
        )
    return write_alignments(corpus.root / FILENAME, alignments), len(alignments)
