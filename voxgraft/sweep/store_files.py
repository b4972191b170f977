"""Which files in a results folder are the store's own, and whether each can be read.

The store writes three kinds of file, each named its own way: a row (`{trial}-{step:09d}.parquet`),
a sealed trial (`{trial}.trial.parquet`) and a segment (`segment-{ns:020d}.parquet`), each with
a marker in its Parquet metadata. A file named otherwise, or one without the store's key columns
(a user's `notes-2024.parquet`), is foreign: left out and named, never read as all-null rows.
Stores written before the marker are still read when they have the key columns."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

MARKER = {b"voxgraft": b"results-store 1"}
KEY_COLUMNS = ("sweep", "trial_id", "step")
SEALED_SUFFIX = ".trial.parquet"
SEGMENT_PREFIX = "segment-"
_ROW = re.compile(r".+-\d{9}\.parquet")
_SEALED = re.compile(r".+\.trial\.parquet")
_SEGMENT = re.compile(r"segment-\d{20}\.parquet")


def kind_of(name: str) -> str | None:
    """'segment', 'sealed' or 'row' by the store's naming; None for anything else."""
    if _SEGMENT.fullmatch(name):
        return "segment"
    if _SEALED.fullmatch(name):
        return "sealed"
    if _ROW.fullmatch(name):
        return "row"
    return None


@dataclass(frozen=True)
class FileVerdict:
    """`ok`, `foreign` (not the store's), `corrupt` (the store's, unreadable: `why`) or
    `vanished` (listed, gone before it was opened: sealing merged it away)."""

    state: str
    why: str = ""


def inspect(path: str, fs: pafs.FileSystem, schema: pa.Schema) -> FileVerdict:
    try:
        found = pq.read_schema(path, filesystem=fs)
    except FileNotFoundError:
        return FileVerdict("vanished")
    except (pa.ArrowInvalid, OSError) as exc:
        if fs.get_file_info(path).type == pafs.FileType.NotFound:
            return FileVerdict("vanished")
        return FileVerdict("corrupt", "not readable Parquet" if isinstance(exc, pa.ArrowInvalid) else str(exc))
    marked = (found.metadata or {}).get(b"voxgraft") == MARKER[b"voxgraft"]
    if not marked and not all(name in found.names for name in KEY_COLUMNS):
        return FileVerdict("foreign")
    for field in found:
        expected = schema.field(field.name).type if field.name in schema.names else None
        if expected is not None and field.type != expected and not pa.types.is_null(field.type):
            return FileVerdict("corrupt", f"column {field.name} is {field.type}, not {expected}")
    return FileVerdict("ok")
