"""`report URI` and `pick URI`: a local working copy of a sweep that lives in a bucket.

The copy holds the sweep less what is large and read only for a few checkpoints (their weights,
*.safetensors and the trainer state, and their samples/): the spec, the results store, the
references and the small files that say a checkpoint is kept. It is kept equal to the bucket
on every call: what the bucket no longer has (row files sealed away) is removed, what is new or
changed is fetched. `report` fetches the samples of the transplants it plays, `pick` the
weights of the checkpoints it opens. What the commands write
(report/, the unusable list) goes back to the bucket, so the copy never holds anything the
bucket lacks.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from voxgraft import storage
from voxgraft.console import first_line
from voxgraft.layout import REFERENCES_DIR, REPORT_DIR, RESULTS_DIR, SAMPLES_SUBDIR, SPEC_FILE, UNUSABLE_FILE

WEIGHT_SUFFIXES = (".safetensors", ".pt")  # a checkpoint's organ weights and trainer state: fetched on demand


class WorkingCopyError(ValueError):
    pass


class SweepFolder:
    """A sweep to read: a local folder as it is, or a bucket URI through its working copy."""

    def __init__(self, location: str, scratch: Path | None = None):
        self.uri = location if storage.is_uri(location) else None
        self.folder = working_copy(location, scratch or default_scratch()) if self.uri else Path(location)

    def fetch(self, checkpoint: object, part: str | None = None) -> None:
        """Bring a checkpoint (or its `part`) of a bucket sweep into the copy; nothing locally."""
        if self.uri and isinstance(checkpoint, str | Path):
            fetch_checkpoint(self.uri, self.folder, Path(checkpoint), part)

    def publish(self) -> None:
        if self.uri:
            publish(self.folder, self.uri)


def default_scratch() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "voxgraft" / "sweeps"


def _on_demand(relative: str) -> bool:
    """Weights anywhere, and a checkpoint's samples (references/ holds the sweep's own wavs)."""
    samples = f"/{SAMPLES_SUBDIR}/" in f"/{relative}" and not relative.startswith(f"{REFERENCES_DIR}/")
    return relative.endswith(WEIGHT_SUFFIXES) or samples


def local_folder(uri: str, scratch: Path) -> Path:
    """scratch/SCHEME/BUCKET/PATH: the sweep's own name stays the folder's name."""
    parts = urlsplit(uri)
    relative = Path(parts.scheme, parts.netloc, *[p for p in parts.path.split("/") if p])
    if any(p in ("", ".", "..") for p in relative.parts):
        raise WorkingCopyError(f"{uri}: not a sweep URI (scheme://bucket/path/NAME)")
    return Path(scratch).resolve() / relative


def working_copy(uri: str, scratch: Path) -> Path:
    """The local copy of the sweep at `uri`, brought up to date."""
    try:
        fs, root = storage.resolve(uri)
        remote = storage.files_under(fs, root)
    except (OSError, ValueError) as exc:  # an unknown scheme, no such bucket, no credentials, unreachable
        raise WorkingCopyError(f"{uri}: {first_line(exc)}") from None
    if SPEC_FILE not in remote and not any(r.startswith(f"{RESULTS_DIR}/") for r in remote):
        raise WorkingCopyError(f"{uri}: not a voxgraft sweep (no {SPEC_FILE} and no {RESULTS_DIR}/ there)")
    local = local_folder(uri, scratch)
    if local.is_dir() and any(local.iterdir()) and not ((local / SPEC_FILE).exists() or (local / RESULTS_DIR).is_dir()):
        raise WorkingCopyError(f"{local} holds files that are not a working copy of a sweep; give another --scratch")
    targets = {relative: _inside(local, relative, uri) for relative in remote}
    for path in [p for p in local.rglob("*") if p.is_file()] if local.is_dir() else []:
        if path.relative_to(local).as_posix() not in remote:
            path.unlink()
    for relative, info in remote.items():
        target = targets[relative]
        if (_on_demand(relative) and not target.exists()) or _current(target, info):
            continue
        storage.download_file(fs, info.path, info, target)
    return local


def fetch_checkpoint(uri: str, local: Path, checkpoint: Path, part: str | None = None) -> None:
    """One checkpoint folder of the copy whole (its weights too), or only its `part` (samples)."""
    fs, root = storage.resolve(uri)
    if not Path(checkpoint).resolve().is_relative_to(local.resolve()):
        raise WorkingCopyError(f"{uri}: the store names a checkpoint outside the sweep ({checkpoint}); refusing to fetch it")
    relative = Path(checkpoint).resolve().relative_to(local.resolve()).as_posix()
    if part:
        relative = f"{relative}/{part}"
    for name, info in storage.files_under(fs, f"{root}/{relative}").items():
        target = _inside(local, f"{relative}/{name}", uri)
        if not _current(target, info):
            storage.download_file(fs, info.path, info, target)


def publish(local: Path, uri: str) -> None:
    """What report and pick wrote into the copy, back to the bucket."""
    if (local / REPORT_DIR).is_dir():
        storage.upload_tree(local / REPORT_DIR, storage.join(uri, REPORT_DIR))
    if (local / UNUSABLE_FILE).is_file():
        storage.write_bytes(storage.join(uri, UNUSABLE_FILE), (local / UNUSABLE_FILE).read_bytes())


def _current(target: Path, info) -> bool:
    if not target.is_file() or target.stat().st_size != info.size:
        return False
    return info.mtime is None or abs(target.stat().st_mtime - info.mtime.timestamp()) < 1e-3


def _inside(local: Path, relative: str, uri: str) -> Path:
    """An object's name as a path in the copy, refused when it leads outside (a key with '..')."""
    target = (local / relative).resolve()
    if not target.is_relative_to(local.resolve()):
        raise WorkingCopyError(f"{uri}: the object {relative!r} leads outside the working copy; refusing to copy it")
    return target
