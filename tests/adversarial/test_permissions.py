"""What voxgraft writes gets ordinary, umask-respecting permissions (folders were 0700)."""

import os
import stat

from voxgraft.atomic import atomic_directory, atomic_file


def test_atomic_folders_and_files_respect_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_directory(tmp_path / "model") as tmp:
            (tmp / "weights.safetensors").write_bytes(b"x")
        with atomic_file(tmp_path / "table.parquet") as tmp:
            tmp.write_bytes(b"y")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "model").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "model" / "weights.safetensors").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "table.parquet").stat().st_mode) == 0o644
