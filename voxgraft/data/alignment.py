"""Phoneme alignments: stored, repaired, and turned into integer frame durations.

An alignment is a list of (phoneme token, start_s, end_s) intervals in speaking order. Real
aligner output has gaps and overlaps (the research notes hit this with WhisperX + wav2vec);
`repair` makes any alignment contiguous over [0, audio length] deterministically. A repaired
alignment becomes frame durations that sum exactly to the spectrogram's frame count.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from voxgraft.atomic import atomic_file
from voxgraft.data.symbols import PAUSE

FILENAME = "alignments.parquet"
DEFAULT_MIN_PAUSE_S = 0.05  # gaps at least this long become a pause token, shorter ones go to neighbours

SCHEMA = pa.schema(
    [
        ("utterance_id", pa.string()),
        ("index", pa.int32()),
        ("phoneme", pa.string()),
        ("start_s", pa.float64()),
        ("end_s", pa.float64()),
    ]
)


@dataclass(frozen=True)
class Interval:
    phoneme: str
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def repair(intervals: list[Interval], total_s: float, min_pause_s: float = DEFAULT_MIN_PAUSE_S) -> list[Interval]:
    """Make `intervals` contiguous, ordered and exactly covering [0, total_s].

    Phoneme order is kept (it is the aligner's transcript). Times are clipped to the audio.
    An overlap between neighbours is split at its middle. A gap is absorbed by a neighbouring
    pause if there is one, becomes a new pause if it is at least `min_pause_s` long, and is
    otherwise split between the two neighbours. The same input always gives the same output.
    """
    if total_s <= 0:
        raise ValueError(f"audio length must be positive, got {total_s}")
    if not intervals:
        return [Interval(PAUSE, 0.0, total_s)]

    def clip(t: float) -> float:
        return min(max(float(t), 0.0), total_s)

    items = [[iv.phoneme, clip(iv.start), max(clip(iv.start), clip(iv.end))] for iv in intervals]
    # Leading and trailing silence are gaps against the edges of the audio.
    items.insert(0, [None, 0.0, 0.0])
    items.append([None, total_s, total_s])

    out = [items[0]]
    for nxt in items[1:]:
        prev = out[-1]
        if prev[2] > nxt[1]:
            mid = (prev[2] + nxt[1]) / 2
            prev[2] = nxt[1] = mid
        elif nxt[1] > prev[2]:
            gap_start, gap_end = prev[2], nxt[1]
            if prev[0] == PAUSE:
                prev[2] = gap_end
            elif nxt[0] == PAUSE:
                nxt[1] = gap_start
            elif gap_end - gap_start >= min_pause_s:
                out.append([PAUSE, gap_start, gap_end])
            elif prev[0] is None:  # short leading silence belongs to the first phoneme
                nxt[1] = gap_start
            elif nxt[0] is None:  # short trailing silence belongs to the last phoneme
                prev[2] = gap_end
            else:
                mid = (gap_start + gap_end) / 2
                prev[2] = nxt[1] = mid
        out.append(nxt)
    out = [it for it in out if it[0] is not None]

    # Splitting nested overlaps can leave boundaries out of order: make them monotone.
    bounds = np.maximum.accumulate(np.clip([0.0] + [it[2] for it in out], 0.0, total_s))
    bounds[0], bounds[-1] = 0.0, total_s
    bounds = np.maximum.accumulate(bounds)
    return [Interval(it[0], float(bounds[i]), float(bounds[i + 1])) for i, it in enumerate(out)]


def frame_durations(intervals: list[Interval], n_frames: int, sample_rate: int, hop_length: int) -> np.ndarray:
    """Integer frames per interval, summing exactly to `n_frames`.

    Boundaries (not durations) are rounded to the nearest frame, so rounding errors never
    accumulate: every boundary is within half a frame of its true time.
    """
    if n_frames < 0:
        raise ValueError("n_frames must be >= 0")
    if not intervals:
        raise ValueError("cannot turn an empty alignment into durations")
    ends = np.array([iv.end for iv in intervals], dtype=np.float64) * sample_rate / hop_length
    cum = np.clip(np.round(ends), 0, n_frames).astype(np.int64)
    cum = np.maximum.accumulate(cum)
    cum[-1] = n_frames
    return np.diff(np.concatenate([[0], cum]))


def write_alignments(path: str | Path, alignments: dict[str, list[Interval]]) -> Path:
    """Write `alignments` to a Parquet file atomically (temporary name, then rename)."""
    path = Path(path)
    rows: dict[str, list] = {name: [] for name in SCHEMA.names}
    for utt_id, intervals in alignments.items():
        for i, iv in enumerate(intervals):
            rows["utterance_id"].append(utt_id)
            rows["index"].append(i)
            rows["phoneme"].append(iv.phoneme)
            rows["start_s"].append(iv.start)
            rows["end_s"].append(iv.end)
    with atomic_file(path) as tmp:
        pq.write_table(pa.table(rows, schema=SCHEMA), tmp)
    return path


def read_alignments(path: str | Path) -> dict[str, list[Interval]]:
    table = pq.read_table(path)
    missing = set(SCHEMA.names) - set(table.column_names)
    if missing:
        raise ValueError(f"{path}: alignment table lacks columns {sorted(missing)}")
    table = table.sort_by([("utterance_id", "ascending"), ("index", "ascending")])
    out: dict[str, list[Interval]] = {}
    for utt, ph, s, e in zip(*(table[c].to_pylist() for c in ("utterance_id", "phoneme", "start_s", "end_s"))):
        out.setdefault(utt, []).append(Interval(ph, s, e))
    return out
