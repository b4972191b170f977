"""Each bad sweep file from issue 16, fed to `voxgraft sweep` as a user would: exit 2, one line
naming the file and the field, and nothing outside changed (no storage, no references, no Ray)."""

import pytest
import yaml

from tests.conftest import snapshot
from voxgraft.cli import main

BASE = {"name": "x", "recipient": "r", "donor": "d", "search": {"organs": ["cadence"], "lr": [1e-4]}}


def _search(**changes) -> dict:
    return BASE | {"search": BASE["search"] | changes}


CASES = {
    "name ..": (BASE | {"name": ".."}, "name: '..' is not a file name"),
    "name .": (BASE | {"name": "."}, "name: '.' is not a file name"),
    "lr inf": (_search(lr=[float("inf")]), "search.lr.0: Input should be a finite number"),
    "loguniform inf": (BASE | {"searcher": "optuna"} | {"search": {"organs": ["cadence"], "lr": {"loguniform": [1e-5, float("inf")]}}},
                       "search.lr.loguniform.1: Input should be a finite number"),
    "segment_frames 0": (_search(fixed={"segment_frames": 0}), "segment_frames must be a whole number in [1, 100000]"),
    "segment_frames negative": (_search(fixed={"segment_frames": -4}), "segment_frames must be a whole number in [1, 100000]"),
    "lr_decay -1": (_search(fixed={"lr_decay": -1}), "lr_decay must be in (0, 1]"),
    "fixed seed -1": (_search(fixed={"seed": -1}), "seed must be a whole number in [0,"),
    "grad_clip_norm nan": (_search(fixed={"grad_clip_norm": float("nan")}), "grad_clip_norm must be in (0, 1e+06]"),
    "steps 1e23": (_search(steps=10**23), "search.steps: Input should be less than or equal to 10000000"),
    "seed -1": (BASE | {"seed": -1}, "seed: Input should be greater than or equal to 0"),
    "storage nope://": (BASE | {"storage": "nope://bucket"}, "storage: unknown storage scheme 'nope'"),
    "cpu nan": (BASE | {"resources": {"cpu": float("nan")}}, "resources.cpu: Input should be a finite number"),
}
RAW = {
    "duplicate key": ("name: a\nname: b\n", "key 'name' is given twice"),
    "non-UTF-8": (b"name: \xff\xfe\n", "not UTF-8 text"),
    "20,000 deep": ("a: " + "[" * 20000 + "]" * 20000 + "\n", "nested too deeply"),
}


def _refused(tmp_path, capsys, monkeypatch, path, expected):
    monkeypatch.setattr("voxgraft.sweep.run._init_ray", lambda address: pytest.fail("Ray must not start"))
    monkeypatch.chdir(tmp_path)  # a relative default storage would land here
    before = snapshot(tmp_path)
    assert main(["sweep", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"error: {path}") and expected in err
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("case", list(CASES))
def test_bad_settings(tmp_path, capsys, monkeypatch, case):
    data, expected = CASES[case]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    _refused(tmp_path, capsys, monkeypatch, path, expected)


@pytest.mark.parametrize("case", list(RAW))
def test_malformed_files(tmp_path, capsys, monkeypatch, case):
    text, expected = RAW[case]
    path = tmp_path / "bad.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    _refused(tmp_path, capsys, monkeypatch, path, expected)
