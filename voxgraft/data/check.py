"""Validating a corpus before anything trains on it: structure, audio, text, alignments.

`check_corpus` reads and checks everything and writes nothing. `load_corpus` is what training
code calls: the same checks, and a CorpusError listing the problems when any is an error.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

from voxgraft.data.alignment import read_alignments
from voxgraft.data.audio import MODEL_SAMPLE_RATE, SILENCE_PEAK
from voxgraft.data.corpus import Corpus, CorpusError, Problem, Utterance, read_corpus
from voxgraft.data.phonemizer import phonemize
from voxgraft.data.symbols import FILENAME as SYMBOLS_FILENAME
from voxgraft.data.symbols import SymbolTable


def _relative(corpus: Corpus, path: Path) -> str:
    try:
        return str(path.relative_to(corpus.root))
    except ValueError:
        return str(path)


def _audio_problems(corpus: Corpus, utt: Utterance, sample_rate: int, rates: Counter) -> list[Problem]:
    """Problems of one audio file; its sample rate is counted in `rates` when it differs."""
    where = _relative(corpus, utt.audio_path)
    try:
        audio, file_rate = sf.read(str(utt.audio_path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        return [Problem(where, f"unreadable or corrupt audio ({str(exc).strip()})")]
    problems = []
    if len(audio) == 0:
        return [Problem(where, "zero-length audio")]
    if audio.shape[1] != 1:
        problems.append(Problem(where, f"{audio.shape[1]} channels; voxgraft needs mono audio"))
    if float(np.max(np.abs(audio))) < SILENCE_PEAK:
        problems.append(Problem(where, "silent audio (peak below -60 dBFS)"))
    if file_rate != sample_rate:
        rates[file_rate] += 1
    return problems


def _text_problems(corpus: Corpus, utt: Utterance, symbols: SymbolTable) -> list[Problem]:
    where = _relative(corpus, utt.audio_path)
    tokens = phonemize(utt.text)
    if not tokens:
        return [Problem(where, f"the phonemizer finds nothing to say in {utt.text!r}")]
    unknown = sorted(set(symbols.unknown(tokens)))
    if unknown:
        shown = " ".join(repr(s) for s in unknown)
        return [Problem(where, f"symbols the phonemizer cannot map: {shown} (text {utt.text!r})")]
    return []


def _alignment_problems(corpus: Corpus, symbols: SymbolTable) -> list[Problem]:
    path = corpus.alignments_path
    if path is None:
        return []
    where = path.name
    try:
        alignments = read_alignments(path)
    except Exception as exc:  # pyarrow raises many types for a damaged file
        return [Problem(where, f"unreadable alignment table ({exc})")]
    problems = []
    for utt in corpus.utterances:
        intervals = alignments.get(utt.utterance_id)
        if intervals is None:
            problems.append(Problem(where, f"no alignment for {utt.utterance_id!r}"))
            continue
        unknown = sorted(set(symbols.unknown([iv.phoneme for iv in intervals])))
        if unknown:
            problems.append(Problem(where, f"alignment of {utt.utterance_id!r} has unknown symbols {unknown}"))
    return problems


def corpus_symbols(root: Path) -> SymbolTable:
    path = root / SYMBOLS_FILENAME
    return SymbolTable.load(path) if path.exists() else SymbolTable.default()


def check_corpus(
    root: str | Path,
    sample_rate: int = MODEL_SAMPLE_RATE,
    progress: Callable[[int, int], None] | None = None,
) -> Corpus:
    """Every problem of the corpus at `root`; writes nothing."""
    corpus = read_corpus(root)
    if not corpus.utterances:
        return corpus
    try:
        symbols = corpus_symbols(corpus.root)
    except ValueError as exc:
        corpus.problems.append(Problem(SYMBOLS_FILENAME, str(exc)))
        return corpus
    bad_ids = set()
    rates: Counter = Counter()
    for i, utt in enumerate(corpus.utterances):
        found = _audio_problems(corpus, utt, sample_rate, rates) + _text_problems(corpus, utt, symbols)
        corpus.problems.extend(found)
        if any(p.severity == "error" for p in found):
            bad_ids.add(utt.utterance_id)
        if progress:
            progress(i + 1, len(corpus.utterances))
    for rate, n in sorted(rates.items()):  # one line per rate, not one per file
        corpus.problems.append(Problem(str(corpus.root), f"{n} file(s) at {rate} Hz will be resampled to {sample_rate} Hz", "note"))
    corpus.problems.extend(_alignment_problems(corpus, symbols))
    corpus.utterances = [u for u in corpus.utterances if u.utterance_id not in bad_ids]
    return corpus


def load_corpus(root: str | Path, sample_rate: int = MODEL_SAMPLE_RATE) -> Corpus:
    """The checked corpus; raises CorpusError when it has any error."""
    corpus = check_corpus(root, sample_rate)
    if corpus.errors:
        raise CorpusError(corpus)
    return corpus
