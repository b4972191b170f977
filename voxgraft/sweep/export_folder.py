"""An export folder that is also the user's folder: each export lists the files it wrote in a
manifest, and the next export into the same folder replaces only those. A user's notes or takes
beside an export are never deleted; a file of theirs that an export would overwrite is refused
unless --force.

The new export is built in a staging folder (beside OUT, or inside it when OUT exists, so a
rename is enough to put each file in place), then moved in file by file. The manifest is
written first as the union of the old and the new listings, so a crash between renames leaves
every file voxgraft wrote listed, and none of the user's."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from voxgraft.atomic import atomic_file, umask

MANIFEST_FILE = "export_manifest.json"
CARD_FILE = "card.json"  # every export has one; before manifests it was the only mark of one
STAGING_PREFIX = ".voxgraft-staging-"
# what an export wrote before it listed its files: the card, the model in either format, samples
_LEGACY_FILES = {"README.md", CARD_FILE, "symbols.json", "config.json", "model.safetensors"}


class ExportFolderError(ValueError):
    """An export folder that cannot take an export without losing somebody's files."""


def files_in(folder: Path) -> set[str]:
    """Every file under `folder` as a relative POSIX path, staging folders left out."""
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")
            if p.is_file() and not p.relative_to(folder).parts[0].startswith(STAGING_PREFIX)}


def listed_files(folder: Path) -> set[str] | None:
    """The files an earlier export wrote into `folder`, or None when it is not an export."""
    try:
        return set(json.loads((folder / MANIFEST_FILE).read_text())["files"]) | {MANIFEST_FILE}
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError):
        raise ExportFolderError(f"{folder / MANIFEST_FILE} is not readable; move it away, or use --force") from None
    if not (folder / CARD_FILE).exists():
        return None
    return {f for f in files_in(folder) if f in _LEGACY_FILES or f.startswith("samples/") or f.endswith((".onnx", ".onnx.json"))}


def check_target(target: Path, force: bool) -> None:
    """Before any work: OUT is absent, empty, an export, or `force`d; and writable."""
    if target.exists() and not target.is_dir():
        raise ExportFolderError(f"{target} is a file, not a folder; choose a new folder")
    if target.is_dir() and not force and files_in(target) and listed_files(target) is None:
        raise ExportFolderError(f"{target} holds files and is not a voxgraft export (no {MANIFEST_FILE}); "
                                "choose a new folder, or use --force to write the export beside them")
    existing = target if target.exists() else next(p for p in target.parents if p.exists())
    if not os.access(existing, os.W_OK) or _read_only_filesystem(existing):
        raise ExportFolderError(f"{existing} is not writable: cannot export into {target}")


def _read_only_filesystem(path: Path) -> bool:
    return bool(os.statvfs(path).f_flag & os.ST_RDONLY)  # root passes os.access even there


@contextmanager
def staged_export(target: Path, force: bool = False) -> Iterator[Path]:
    """Yield an empty folder to build the export in; on success it becomes `target`'s export."""
    inside = target.is_dir()
    if not inside:
        target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX if inside else f".{target.name}.staging.",
                                dir=target if inside else target.parent))
    try:
        yield tmp
        new = files_in(tmp)
        (tmp / MANIFEST_FILE).write_text(json.dumps({"written_by": "voxgraft pick --export", "files": sorted(new)}, indent=1) + "\n")
        _ordinary_modes(tmp)
        if inside:
            _move_in(tmp, target, new | {MANIFEST_FILE}, force)
        else:
            os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _ordinary_modes(folder: Path) -> None:
    """The umask's modes: mkdtemp makes folders 0700 and some writers make files 0600."""
    mask = umask()
    folder.chmod(0o777 & ~mask)
    for p in folder.rglob("*"):
        p.chmod((0o777 if p.is_dir() else 0o666) & ~mask)


def _move_in(tmp: Path, target: Path, new: set[str], force: bool) -> None:
    old = listed_files(target) or set()
    theirs = files_in(target) - old
    clash = sorted(new & theirs)
    if clash and not force:
        raise ExportFolderError(f"{target / clash[0]} is not from an earlier export and this export would overwrite it"
                                f"{f' (and {len(clash) - 1} more)' if len(clash) > 1 else ''}; move it away, or use --force")
    with atomic_file(target / MANIFEST_FILE) as f:  # everything voxgraft may have written, should a rename fail
        f.write_text(json.dumps({"written_by": "voxgraft pick --export", "files": sorted((old | new) - {MANIFEST_FILE})}, indent=1) + "\n")
    for name in sorted(new - {MANIFEST_FILE}):
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp / name, target / name)
    for name in sorted(old - new):
        (target / name).unlink(missing_ok=True)
        _prune_empty_parents(target / name, target)
    os.replace(tmp / MANIFEST_FILE, target / MANIFEST_FILE)


def _prune_empty_parents(path: Path, root: Path) -> None:
    for parent in path.parents:
        if parent == root or not parent.exists() or any(parent.iterdir()):
            return
        parent.rmdir()


def remove_export(folder: Path) -> None:
    """Delete what exports wrote into `folder` (the folder too, when nothing else is left)."""
    listed = listed_files(folder) if folder.is_dir() else None
    for name in sorted(listed or ()):
        (folder / name).unlink(missing_ok=True)
        _prune_empty_parents(folder / name, folder)
    if listed is not None and not any(folder.iterdir()):
        folder.rmdir()
