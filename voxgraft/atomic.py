"""Atomic writes: build under a temporary name beside the target, rename into place on success.

A reader never sees a half-written file or directory, and an error (or Ctrl-C) leaves the
target as it was, with no temporary leftovers.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write; it replaces `path` when the block succeeds."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.filename is None and exc.errno is not None:  # e.g. write_bytes on a full disk: name the file
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


@contextmanager
def atomic_directory(path: str | Path) -> Iterator[Path]:
    """Yield a temporary directory to fill; it replaces `path` (and anything there) on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        yield tmp
        tmp.chmod(0o777 & ~umask())  # mkdtemp makes it private (0700); the result is an ordinary folder
        if path.exists():
            # move the old one aside first, so a crash here never leaves neither
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old.", dir=path.parent))
            try:
                os.replace(path, old / path.name)
            except BaseException:  # a refused rename (a read-only folder) leaves no empty .old. folder
                old.rmdir()
                raise
            try:
                os.replace(tmp, path)
            except BaseException:
                os.replace(old / path.name, path)
                old.rmdir()
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


class ForeignFolderError(ValueError):
    """An output folder that voxgraft would replace holds something voxgraft did not write."""


def check_replaceable(path: str | Path, marker: str, what: str, force: bool = False) -> None:
    """Refuse to replace `path` unless it is absent, empty, or a voxgraft `what` (it holds
    `marker`); `force` replaces it anyway. Replacing is whole-folder (atomic_directory), so a
    user's own files in a folder voxgraft did not make would otherwise be deleted."""
    path = Path(path)
    if force or not path.exists():
        return
    if not path.is_dir():
        raise ForeignFolderError(f"{path} is a file, not a folder; choose a new folder")
    if any(path.iterdir()) and not (path / marker).exists():
        raise ForeignFolderError(f"{path} holds files and is not a voxgraft {what} (no {marker}); choose a new folder or use --force to replace it")
