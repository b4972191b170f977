"""Sweep files: the built-in ones are valid, and each kind of mistake gets one line naming the field."""

import pytest
import yaml

from voxgraft.search_spaces.schema import SweepFileError, builtin_sweeps, load_sweep, parse_sweep
from voxgraft.search_spaces.tuner import param_space

BASE = {"name": "x", "recipient": "r", "donor": "d", "search": {"organs": ["cadence"], "lr": [1e-4]}}


def test_builtin_sweep_files_are_valid():
    sweeps = builtin_sweeps()
    assert set(sweeps) == {"smoke", "smoke_timbre", "cadence", "timbre", "ablation", "vae"}
    for path in sweeps.values():
        load_sweep(path)


def test_every_subset_expands_to_all_non_empty_subsets():
    sweep = parse_sweep(BASE | {"search": {"organs": {"every_subset_of": ["decoder", "flow", "text_encoder"]}, "lr": [1e-4]}})
    assert len(sweep.search.organ_options()) == 7
    assert "decoder,flow,text_encoder" in sweep.search.organ_options()


def test_grid_space_crosses_lists_and_optuna_space_samples_them():
    grid = param_space(parse_sweep(BASE | {"search": {"organs": ["cadence", "timbre"], "lr": [1e-4, 1e-3]}}))
    assert grid["organs"] == {"grid_search": ["cadence", "timbre"]}
    optuna = param_space(parse_sweep(BASE | {"searcher": "optuna", "search": {"organs": ["cadence", "timbre"], "lr": {"loguniform": [1e-5, 1e-3]}}}))
    assert type(optuna["lr"]).__name__ == "Float" and type(optuna["organs"]).__name__ == "Categorical"
    vae = param_space(parse_sweep(BASE | {"search": {"organs": ["timbre"], "lr": [1e-4], "vae_latent": [8, 16], "vae_beta": [0.01]}}))
    assert vae["vae_latent"] == {"grid_search": [8, 16]} and vae["vae_beta"] == 0.01


BAD = [
    (BASE | {"serch": 1}, "serch: unknown key"),
    (BASE | {"search": {"organs": ["nose"], "lr": [1e-4]}}, "search.organs: unknown organ 'nose'; allowed: text_encoder"),
    (BASE | {"search": {"organs": ["cadence"], "lr": [-1e-4]}}, "search.lr.0: Input should be greater than 0"),
    (BASE | {"search": {"organs": [], "lr": [1e-4]}}, "search.organs: List should have at least 1 item"),
    (BASE | {"search": {"organs": ["cadence"], "lr": []}}, "search.lr: List should have at least 1 item"),
    (BASE | {"search": {"organs": ["cadence"], "lr": [1e-4], "alignment": ["psychic"]}}, "search.alignment.0: Input should be 'forced' or 'learned'"),
    (BASE | {"searcher": "optuna", "search": {"organs": ["cadence"], "lr": {"loguniform": [1e-3, 1e-5]}}}, "loguniform needs low < high"),
    (BASE | {"search": {"organs": ["cadence"], "lr": {"loguniform": [1e-5, 1e-3]}}}, "a grid needs a list of learning rates"),
    (BASE | {"scheduler": {"type": "asha", "grace_period": 0}}, "scheduler.grace_period: Input should be greater than 0"),
    (BASE | {"scheduler": {"type": "hyperband"}}, "scheduler: Input tag 'hyperband'"),
    (BASE | {"objectives": [{"metric": "vibes"}]}, "objectives.0.metric: Input should be"),
    (BASE | {"searcher": "optuna-multi"}, "optuna-multi needs at least two objectives"),
    (BASE | {"resources": {"gpu": -1}}, "resources.gpu: Input should be greater than or equal to 0"),
    (BASE | {"search": {"organs": ["cadence"], "lr": [1e-4], "steps": 10, "eval_every": 20}}, "no evaluation would run"),
    (BASE | {"search": {"organs": ["cadence"], "lr": [1e-4], "fixed": {"dropout": 0.1}}}, "unknown fixed setting 'dropout'"),
    (BASE | {"name": "has space"}, "name: String should match pattern"),
    (BASE | {"name": ".."}, "name: '..' is not a file name; a sweep's name is the name of its folder"),
    (BASE | {"name": "."}, "name: '.' is not a file name"),
    (BASE | {"search": {"organs": ["cadence"], "lr": [1e-4], "vae_latent": [0]}}, "search.vae_latent.0: Input should be greater than or equal to 1"),
    (BASE | {"search": {"organs": ["cadence"], "lr": [1e-4], "vae_latent": [2048]}}, "search.vae_latent.0: Input should be less than or equal to 1024"),
    (BASE | {"search": {"organs": ["cadence"], "lr": [1e-4], "vae_beta": [-0.1]}}, "search.vae_beta.0: Input should be greater than or equal to 0"),
    # numbers that parse but mean nothing (issue 16): each refused with its field and range
    (BASE | {"search": {"organs": ["cadence"], "lr": [float("inf")]}}, "search.lr.0: Input should be a finite number"),
    (BASE | {"search": {"organs": ["cadence"], "lr": [2.0]}}, "search.lr.0: Input should be less than or equal to 1"),
    (BASE | {"searcher": "optuna", "search": {"organs": ["cadence"], "lr": {"loguniform": [1e-5, float("inf")]}}}, "search.lr.loguniform.1: Input should be a finite number"),
    (BASE | {"search": {"organs": ["cadence"], "lr": [1e-4], "steps": 10**23}}, "search.steps: Input should be less than or equal to 10000000"),
    (BASE | {"search": {"organs": ["cadence"], "lr": [1e-4], "fixed": {"segment_frames": 0}}}, "segment_frames must be a whole number in [1, 100000], got 0"),
    (BASE | {"search": {"organs": ["cadence"], "lr": [1e-4], "fixed": {"segment_frames": -8}}}, "segment_frames must be a whole number in [1, 100000], got -8"),
    (BASE | {"search": {"organs": ["cadence"], "lr": [1e-4], "fixed": {"segment_frames": 8.5}}}, "segment_frames must be a whole number"),
    (BASE | {"search": {"organs": ["cadence"], "lr": [1e-4], "fixed": {"lr_decay": -1}}}, "lr_decay must be in (0, 1], got -1"),
    (BASE | {"search": {"organs": ["cadence"], "lr": [1e-4], "fixed": {"seed": -1}}}, "seed must be a whole number in [0, 4.29497e+09], got -1"),
    (BASE | {"search": {"organs": ["cadence"], "lr": [1e-4], "fixed": {"grad_clip_norm": float("nan")}}}, "grad_clip_norm must be in (0, 1e+06], got nan"),
    (BASE | {"search": {"organs": {"triage": 0}, "lr": [1e-4]}}, "search.organs.triage: Input should be greater than or equal to 1"),
    (BASE | {"search": {"organs": {"triage": 2, "objective": "rhythm"}, "lr": [1e-4]}}, "search.organs.objective: Input should be 'cadence' or 'timbre'"),
    (BASE | {"seed": -1}, "seed: Input should be greater than or equal to 0"),
    (BASE | {"memory_budget_gb": float("inf")}, "memory_budget_gb: Input should be a finite number"),
    (BASE | {"resources": {"cpu": float("nan")}}, "resources.cpu: Input should be a finite number"),
    (BASE | {"storage": "nope://bucket/x"}, "storage: unknown storage scheme 'nope'; use a local folder or one of: s3://"),
]


@pytest.mark.parametrize(("data", "expected"), BAD, ids=[e.split(":")[0] for _, e in BAD])
def test_each_bad_sweep_file_gets_one_clear_line(tmp_path, data, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(SweepFileError) as info:
        load_sweep(path)
    message = str(info.value)
    assert expected in message
    assert len(message.splitlines()) == 1, message
    assert message.startswith(str(path))


def test_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(SweepFileError, match="cannot read"):
        load_sweep(tmp_path / "missing.yaml")
    (tmp_path / "broken.yaml").write_text("name: x\nsearch: [unclosed\nlr: 1\n")
    with pytest.raises(SweepFileError, match="line [0-9]+: not valid YAML"):
        load_sweep(tmp_path / "broken.yaml")
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(SweepFileError, match="expected a mapping"):
        load_sweep(tmp_path / "list.yaml")


@pytest.mark.parametrize(("text", "expected"), [
    ("name: a\nname: b\n", "line 2: not valid YAML (key 'name' is given twice)"),
    ("a: " + "[" * 20000 + "]" * 20000 + "\n", "nested too deeply to be a sweep file"),
    (b"name: \xff\xfe\n", "not UTF-8 text"),
    ("# " + "x" * 1_000_001 + "\n", "a sweep file is at most 1000000"),
])
def test_malformed_files_are_one_line_errors(tmp_path, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(SweepFileError) as info:
        load_sweep(path)
    assert expected in str(info.value) and len(str(info.value).splitlines()) == 1
