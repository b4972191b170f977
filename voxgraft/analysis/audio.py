"""The sounds a report plays: where a checkpoint keeps its samples, and a wav as a data URI
(the page embeds every sound, so it opens from a copied folder with no network)."""

from __future__ import annotations

import base64
from pathlib import Path

from voxgraft.layout import SAMPLES_SUBDIR


def samples_dir(checkpoint: object) -> Path | None:
    """The samples/ of a checkpoint, when it kept any wav (sweep/best.py keeps only kept ones)."""
    if not isinstance(checkpoint, (str, Path)):
        return None
    samples = Path(checkpoint) / SAMPLES_SUBDIR
    return samples if samples.is_dir() and any(samples.glob("*.wav")) else None


def data_uri(path: Path) -> str:
    return "data:audio/wav;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")
