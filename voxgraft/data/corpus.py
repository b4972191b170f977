"""Reading voice corpora: LJSpeech-format folders and folders of `*.wav` with same-name `*.txt`.

Reading never stops at the first bad entry: it collects every problem (one line each, naming
the file and line) so `voxgraft corpus check` can show them all at once. Code that trains on a
corpus calls `load_corpus`, which refuses a corpus with any error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from voxgraft.data.alignment import FILENAME as ALIGNMENTS_FILENAME
from voxgraft.layout import unsafe_name_reason

METADATA = "metadata.csv"


@dataclass(frozen=True)
class Problem:
    where: str  # file, or file:line
    message: str
    severity: str = "error"  # "error" makes the corpus unusable; "note" is informational

    def __str__(self) -> str:
        return f"{self.severity}: {self.where}: {self.message}"


@dataclass(frozen=True)
class Utterance:
    utterance_id: str
    text: str
    audio_path: Path


@dataclass
class Corpus:
    root: Path
    layout: str  # "ljspeech" or "wav+txt"
    utterances: list[Utterance] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def alignments_path(self) -> Path | None:
        path = self.root / ALIGNMENTS_FILENAME
        return path if path.exists() else None


class CorpusError(ValueError):
    def __init__(self, corpus: Corpus):
        self.corpus = corpus
        lines = [str(p) for p in corpus.errors[:10]]
        more = len(corpus.errors) - len(lines)
        super().__init__(
            f"{corpus.root}: corpus has {len(corpus.errors)} problem(s); run `voxgraft corpus check {corpus.root}`\n"
            + "\n".join(lines)
            + (f"\n... and {more} more" if more > 0 else "")
        )


def _read_ljspeech(root: Path, corpus: Corpus) -> None:
    meta = root / METADATA
    seen: dict[str, int] = {}
    for lineno, raw in enumerate(meta.read_bytes().splitlines(), start=1):
        where = f"{METADATA}:{lineno}"
        try:
            line = raw.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError:
            corpus.problems.append(Problem(where, "not valid UTF-8"))
            continue
        if not line.strip():
            continue
        fields = line.split("|")
        if len(fields) not in (2, 3) or not fields[0].strip():
            corpus.problems.append(
                Problem(where, f"malformed line: expected 'id|text' or 'id|text|normalized text', got {len(fields)} field(s)")
            )
            continue
        utt_id = fields[0].strip()
        text = (fields[2] if len(fields) == 3 and fields[2].strip() else fields[1]).strip()
        if unsafe_name_reason(utt_id):  # ids become file names: wavs/ID.wav, references/donor/ID.wav
            corpus.problems.append(Problem(where, f"utterance id {unsafe_name_reason(utt_id)}; use a plain file name"))
            continue
        if utt_id in seen:
            corpus.problems.append(Problem(where, f"duplicate id {utt_id!r} (first on line {seen[utt_id]})"))
            continue
        seen[utt_id] = lineno
        if not text:
            corpus.problems.append(Problem(where, f"empty text for {utt_id!r}"))
            continue
        wav = root / "wavs" / f"{utt_id}.wav"
        if not wav.exists():
            corpus.problems.append(Problem(f"wavs/{utt_id}.wav", f"missing (listed on {METADATA} line {lineno})"))
            continue
        corpus.utterances.append(Utterance(utt_id, text, wav))


def _read_wav_txt(root: Path, corpus: Corpus) -> None:
    wavs = {p.stem: p for p in sorted(root.glob("*.wav"))}
    txts = {p.stem: p for p in sorted(root.glob("*.txt"))}
    for stem in sorted(set(txts) - set(wavs)):
        corpus.problems.append(Problem(txts[stem].name, f"no matching {stem}.wav"))
    for stem, wav in wavs.items():
        txt = txts.get(stem)
        if txt is None:
            corpus.problems.append(Problem(wav.name, f"no matching {stem}.txt transcript"))
            continue
        try:
            text = txt.read_bytes().decode("utf-8").strip()
        except UnicodeDecodeError:
            corpus.problems.append(Problem(txt.name, "not valid UTF-8"))
            continue
        if not text:
            corpus.problems.append(Problem(txt.name, "empty transcript"))
            continue
        corpus.utterances.append(Utterance(stem, " ".join(text.split()), wav))


def read_corpus(root: str | Path) -> Corpus:
    """The corpus at `root` with every structural problem found (audio and text content are
    checked by `check_corpus`)."""
    root = Path(root)
    if not root.is_dir():
        corpus = Corpus(root, "unknown")
        corpus.problems.append(Problem(str(root), "not a directory"))
        return corpus
    if (root / METADATA).exists():
        corpus = Corpus(root, "ljspeech")
        _read_ljspeech(root, corpus)
    elif any(root.glob("*.wav")):
        corpus = Corpus(root, "wav+txt")
        _read_wav_txt(root, corpus)
    else:
        corpus = Corpus(root, "unknown")
        corpus.problems.append(
            Problem(str(root), f"no {METADATA} (LJSpeech format) and no *.wav files with *.txt transcripts")
        )
        return corpus
    if not corpus.utterances and not corpus.errors:
        corpus.problems.append(Problem(str(root), "corpus has no utterances"))
    return corpus
