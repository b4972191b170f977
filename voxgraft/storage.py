"""A sweep's location, a local folder or a bucket URI (s3://, gs://), read and written through
pyarrow's filesystems, so the code that writes a sweep and the code that reads it back is the
same for both. Credentials come from the environment or the cloud SDK's usual places only
(pyarrow reads them there); a URI that carries them is refused, because the URI is written
into the sweep's spec and Tune's state.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyarrow.fs as pafs

from voxgraft.atomic import atomic_file

SECRET_QUERY_KEYS = {"access_key", "secret_key", "session_token"}  # what pyarrow's S3 URIs accept inline


def is_uri(location: str | Path) -> bool:
    return "://" in str(location)


def credentials_in(location: str) -> str | None:
    """What in a URI would carry a credential into files voxgraft writes, or None."""
    if not is_uri(location):
        return None
    parts = urlsplit(location)
    if parts.username or parts.password:
        return "a user name or key before '@'"
    secret = SECRET_QUERY_KEYS & set(parse_qs(parts.query))
    return f"the query parameter {sorted(secret)[0]!r}" if secret else None


def join(location: str | Path, *names: str) -> str:
    """`location/name/...`, keeping a URI's query (an endpoint override) at the end."""
    if not is_uri(location):
        return str(Path(location, *names))
    base, _, query = str(location).partition("?")
    joined = "/".join([base.rstrip("/"), *names])
    return f"{joined}?{query}" if query else joined


def parent(location: str) -> str:
    """The folder that holds `location` (a URI keeps its query)."""
    if not is_uri(location):
        return str(Path(location).parent)
    base, _, query = location.partition("?")
    folder = base.rstrip("/").rsplit("/", 1)[0]
    return f"{folder}?{query}" if query else folder


def resolve(location: str | Path) -> tuple[pafs.FileSystem, str]:
    """The filesystem and the path on it; a local path made absolute."""
    if not is_uri(location):
        return pafs.LocalFileSystem(), str(Path(location).resolve())
    return pafs.FileSystem.from_uri(str(location))


def is_local(fs: pafs.FileSystem) -> bool:
    return isinstance(fs, pafs.LocalFileSystem)


def exists(fs: pafs.FileSystem, path: str) -> bool:
    return fs.get_file_info(path).type != pafs.FileType.NotFound


def is_dir(fs: pafs.FileSystem, path: str) -> bool:
    return fs.get_file_info(path).type == pafs.FileType.Directory


def names_in(fs: pafs.FileSystem, folder: str, pattern: str = "*") -> list[str]:
    """The names of the files directly in `folder` matching `pattern`, sorted; none when it is absent."""
    infos = fs.get_file_info(pafs.FileSelector(folder, allow_not_found=True))
    return sorted(posixpath.basename(i.path) for i in infos if i.type == pafs.FileType.File and fnmatch.fnmatchcase(posixpath.basename(i.path), pattern))


def files_under(fs: pafs.FileSystem, folder: str) -> dict[str, pafs.FileInfo]:
    """Every file below `folder`, by its path relative to it."""
    infos = fs.get_file_info(pafs.FileSelector(folder, recursive=True, allow_not_found=True))
    return {posixpath.relpath(i.path, folder): i for i in infos if i.type == pafs.FileType.File}


def write_bytes(location: str | Path, data: bytes) -> None:
    """A whole small file. Locally through a rename (readers never see half of it); an object
    store's upload is already all or nothing."""
    fs, path = resolve(location)
    if is_local(fs):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(path) as tmp:
            tmp.write_bytes(data)
        return
    with fs.open_output_stream(path) as out:
        out.write(data)


def read_bytes(location: str | Path) -> bytes:
    fs, path = resolve(location)
    with fs.open_input_stream(path) as stream:
        return stream.read()


def upload_tree(local_dir: Path, location: str) -> None:
    """Copy a local folder's files to `location` (a folder there), replacing what has the same names."""
    fs, path = resolve(location)
    fs.create_dir(path, recursive=True)
    pafs.copy_files(str(Path(local_dir).resolve()), path, source_filesystem=pafs.LocalFileSystem(), destination_filesystem=fs)


def delete_tree(location: str) -> None:
    fs, path = resolve(location)
    if is_dir(fs, path):
        fs.delete_dir(path)


def download_file(fs: pafs.FileSystem, path: str, info: pafs.FileInfo, local: Path) -> None:
    """One file, kept with the remote's modification time, so a later sync can tell it is current."""
    local.parent.mkdir(parents=True, exist_ok=True)
    pafs.copy_files(path, str(local), source_filesystem=fs, destination_filesystem=pafs.LocalFileSystem())
    if info.mtime is not None:
        stamp = info.mtime.timestamp()
        os.utime(local, (stamp, stamp))
