"""Synthesize LJSpeech-format corpora with eSpeak NG, with exact ground-truth phoneme alignments.

eSpeak reports the output sample where each phoneme starts; those events become the corpus's
alignment in the same token sequence the phonemizer produces for the text (checked for every
utterance, so text and alignment can never silently disagree).
"""

from __future__ import annotations

import json
import multiprocessing as mp
import queue as queue_module
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from voxgraft.atomic import atomic_directory
from voxgraft.data import espeak
from voxgraft.data.alignment import FILENAME as ALIGNMENTS_FILENAME
from voxgraft.data.alignment import Interval, write_alignments
from voxgraft.data.audio import write_wav
from voxgraft.data.espeak import EVENT_END, EVENT_PHONEME, EVENT_WORD, SynthEvent, VoiceSettings
from voxgraft.data.phonemizer import clause_terminators, phonemize
from voxgraft.data.sentences import generate_sentences
from voxgraft.data.symbols import PAUSE, WORD_BOUNDARY, SymbolTable, split_stress
from voxgraft.data.voices import get_preset

SAMPLE_RATE = espeak.SAMPLE_RATE
VOICE_FILENAME = "voice.json"


class AlignmentMismatchError(RuntimeError):
    pass


def events_to_intervals(events: list[SynthEvent], n_samples: int, terminators: list[str]) -> list[Interval]:
    """Turn eSpeak's events into contiguous token intervals covering the whole audio.

    A leading pause takes the silence before the first phoneme. Inside a clause, a word boundary
    starts at the word's event, or earlier at a pause event (eSpeak's word gap), and lasts until
    the word's first phoneme. A clause ends with its punctuation token, which starts at the
    clause's pause event and lasts until the next clause speaks.
    """
    starts: list[tuple[str, int]] = [(PAUSE, 0)]
    pending_silence: int | None = None
    clause_start = True
    clause_index = 0
    for ev in events:
        if ev.kind == EVENT_PHONEME and not ev.phoneme:
            pending_silence = ev.sample if pending_silence is None else pending_silence
        elif ev.kind == EVENT_PHONEME:
            starts.extend((tok, ev.sample) for tok in split_stress(ev.phoneme))
            pending_silence = None
        elif ev.kind == EVENT_WORD:
            if not clause_start:
                starts.append((WORD_BOUNDARY, min(ev.sample, pending_silence if pending_silence is not None else ev.sample)))
            clause_start = False
            pending_silence = None
        elif ev.kind == EVENT_END:
            end_token = terminators[clause_index] if clause_index < len(terminators) else PAUSE
            starts.append((end_token, pending_silence if pending_silence is not None else ev.sample))
            clause_index += 1
            clause_start = True
            pending_silence = None
    bounds = [s for _, s in starts[1:]] + [n_samples]
    return [
        Interval(tok, start / SAMPLE_RATE, max(start, end) / SAMPLE_RATE)
        for (tok, start), end in zip(starts, bounds)
    ]


@dataclass(frozen=True)
class SynthUtterance:
    utterance_id: str
    text: str
    audio: np.ndarray  # int16
    intervals: list[Interval]


def synthesize_utterance(utterance_id: str, text: str, settings: VoiceSettings) -> SynthUtterance:
    audio, events = espeak.synthesize(text, settings)
    tokens = phonemize(text, settings)
    n_clauses = sum(1 for ev in events if ev.kind == EVENT_END)
    intervals = events_to_intervals(events, len(audio), clause_terminators(text, n_clauses))
    aligned = [iv.phoneme for iv in intervals]
    if aligned != tokens:
        raise AlignmentMismatchError(
            f"{utterance_id}: eSpeak's events give tokens {aligned} but the phonemizer gives {tokens} for {text!r}"
        )
    return SynthUtterance(utterance_id, text, audio, intervals)


def utterance_ids(count: int) -> list[str]:
    return [f"utt{i:05d}" for i in range(count)]


def _write_corpus(preset: str, count: int, seed: int, out_dir: Path, report: Callable[[int], None]) -> None:
    settings = get_preset(preset)
    texts = generate_sentences(count, seed)
    (out_dir / "wavs").mkdir()
    alignments: dict[str, list[Interval]] = {}
    lines = []
    for i, (utt_id, text) in enumerate(zip(utterance_ids(count), texts)):
        utt = synthesize_utterance(utt_id, text, settings)
        write_wav(out_dir / "wavs" / f"{utt_id}.wav", utt.audio, SAMPLE_RATE)
        alignments[utt_id] = utt.intervals
        lines.append(f"{utt_id}|{text}|{text}")
        report(i + 1)
    (out_dir / "metadata.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_alignments(out_dir / ALIGNMENTS_FILENAME, alignments)
    SymbolTable.default().save(out_dir)
    voice = {"preset": preset, "seed": seed, "count": count, "sample_rate": SAMPLE_RATE, **asdict(settings)}
    (out_dir / VOICE_FILENAME).write_text(json.dumps(voice, indent=2) + "\n", encoding="utf-8")


def _worker(preset: str, count: int, seed: int, out_dir: str, queue) -> None:
    try:
        _write_corpus(preset, count, seed, Path(out_dir), lambda done: queue.put(("progress", done)))
        queue.put(("done", None))
    except BaseException as exc:  # sent to the parent, which re-raises it
        queue.put(("error", exc))


def synthesize_corpus(
    preset: str,
    count: int,
    seed: int,
    out_dir: str | Path,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Write `count` utterances of `preset` to `out_dir` (LJSpeech layout + alignments.parquet).

    eSpeak NG keeps synthesis state in C statics for the life of the process (its pitch
    flutter index, for one), so the same text sounds slightly different depending on what was
    spoken before. Each corpus is therefore spoken by a fresh process: the same preset, count
    and seed give byte-identical files, whatever ran earlier. The corpus is built in a
    temporary sibling directory and renamed into place, so an interrupted run leaves nothing.
    """
    get_preset(preset)  # fail on an unknown name before any work
    if count < 1:
        raise ValueError("count must be at least 1")
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir} exists and is not empty; choose a new directory")
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    with atomic_directory(out_dir) as tmp:
        proc = ctx.Process(target=_worker, args=(preset, count, seed, str(tmp), queue), daemon=True)
        proc.start()
        try:
            while True:
                try:
                    kind, payload = queue.get(timeout=1.0)
                except queue_module.Empty:
                    if not proc.is_alive():
                        raise RuntimeError(f"synthesis of {preset} died with exit code {proc.exitcode}") from None
                    continue
                if kind == "progress" and progress:
                    progress(payload, count)
                elif kind == "error":
                    raise payload
                elif kind == "done":
                    break
        finally:
            if proc.is_alive():
                proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
    return out_dir
