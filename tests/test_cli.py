"""The command line as a user meets it: help with examples, `python -m`, and the demo."""

import json
import subprocess
import sys

import pytest

from voxgraft.cli import build_parser, main
from voxgraft.data.corpus import read_corpus

COMMANDS = [[], ["corpus"], ["corpus", "synth"], ["corpus", "check"], ["corpus", "features"],
            ["corpus", "import-textgrids"], ["corpus", "align"], ["corpus", "compare-alignments"], ["demo"], ["plan"], ["pretrain"], ["synth"],
            ["recipient"], ["recipient", "import-piper"], ["recipient", "recover"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "voxgraft")
def test_every_command_has_help_with_an_example(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(command + ["--help"])
    assert exit_info.value.code == 0
    assert "example" in capsys.readouterr().out


@pytest.mark.parametrize("module", ["voxgraft", "voxgraft.cli"])
def test_python_dash_m_works(module):
    result = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "corpus" in result.stdout


def test_unknown_command_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["transmogrify"])
    assert exit_info.value.code == 2


@pytest.mark.slow
def test_demo_makes_the_corpora_and_reuses_them(tmp_path, capsys):
    out = tmp_path / "demo"
    # a short recovery; tests/sweep/test_sweep.py runs sweeps
    quick = ["--count", "3", "--encoder-steps", "3", "--duration-steps", "2", "--discriminator-steps", "1", "--skip-sweep"]
    assert main(["demo", "--out", str(out), *quick]) == 0
    first = capsys.readouterr().out
    for preset in ("recipient", "cadence_donor", "timbre_donor", "man", "woman", "man_whisper", "woman_whisper"):
        assert len(read_corpus(out / "corpora" / preset).utterances) == 3
        assert preset in first
    assert "new" in first
    assert list((out / "corpora" / "recipient" / ".voxgraft_cache").glob("*.arrow"))
    assert (out / "models" / "joe" / "model.safetensors").exists()
    assert json.loads((out / "models" / "joe" / "recipient.json").read_text())["recovered"]
    assert (out / "samples" / "joe.wav").exists()
    assert "round-trip mel L1" in first

    assert main(["demo", "--out", str(out), *quick]) == 0
    second = capsys.readouterr().out
    assert "new" not in second and "cached" in second


def test_plan_prints_modes_and_losses(capsys):
    assert main(["plan", "--train", "duration_predictor", "--config", "tiny"]) == 0
    out = capsys.readouterr().out
    assert "text_encoder" in out and "cached" in out and "skipped" in out
    assert "active losses: duration" in out
    assert main(["plan", "--train", "posterior_encoder", "--config", "tiny", "--alignment", "learned"]) == 0
    assert "active losses: kl, mel, adversarial, feature_matching" in capsys.readouterr().out


def test_plan_and_pretrain_refuse_bad_input(tmp_path, capsys):
    assert main(["plan", "--train", "nose", "--config", "tiny"]) == 2
    assert "unknown organ 'nose'" in capsys.readouterr().err
    assert main(["plan", "--train", "cadence", "--alignment", "psychic", "--config", "tiny"]) == 2
    assert "forced, learned" in capsys.readouterr().err
    assert main(["pretrain", str(tmp_path / "missing"), str(tmp_path / "out"), "--steps", "2"]) == 2
    assert main(["pretrain", str(tmp_path), str(tmp_path / "out"), "--steps", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
