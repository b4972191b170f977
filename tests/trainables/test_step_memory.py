"""`voxgraft plan --memory`: a real step's peak memory on this device, and one-line refusals."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import snapshot
from voxgraft.cli import main
from voxgraft.trainables.step_memory import StepMemory, measure_step_memory


def _measured(model_dir, donor, organs) -> tuple[float, float]:
    """(before, peak) MB from `voxgraft plan --memory` in a fresh process, as a user runs it: in a
    long-lived process (this test session) freed memory absorbs the step and RSS does not move."""
    out = subprocess.run([sys.executable, "-m", "voxgraft", "plan", "--model", str(model_dir), "--train", organs,
                          "--memory", str(donor), "--batch-size", "4"], capture_output=True, text=True, check=True).stdout
    found = re.search(r"step memory \(4 rows, 3 steps, cpu\): peak ([\d,]+) MB resident \(CPU\); ([\d,]+) MB before", out)
    assert found, out
    return float(found[2].replace(",", "")), float(found[1].replace(",", ""))


def test_a_timbre_step_peaks_above_a_cadence_step_and_above_what_was_loaded(tiny_recipient, corpora):
    cadence_before, cadence_peak = _measured(tiny_recipient[0], corpora["cadence_donor"], "cadence")
    timbre_before, timbre_peak = _measured(tiny_recipient[0], corpora["cadence_donor"], "timbre")
    assert cadence_peak > cadence_before and timbre_peak > timbre_before
    # the decoder's activations and the discriminator only run when timbre organs train
    assert timbre_peak - timbre_before > cadence_peak - cadence_before


def test_a_measurement_in_this_process_is_of_this_device(tiny_recipient, corpora):
    m = measure_step_memory(tiny_recipient[0], corpora["cadence_donor"], "cadence", "forced", batch_size=4)
    assert m.device == "cpu" and m.batch_size == 4 and m.steps == 3 and m.peak_mb >= m.before_mb > 0
    assert m.trials_per_card(24) is None


def test_trials_per_card_counts_the_cuda_context():
    assert StepMemory("cuda", 16, 3, 900.0, 3596.0).trials_per_card(24) == 6  # 24576 // (3596 + 500)
    assert StepMemory("cuda", 16, 3, 900.0, 30000.0).trials_per_card(24) == 0


def test_plan_memory_prints_the_peak_and_saves_it_for_cluster_check(tiny_recipient, corpora, tmp_path, capsys):
    saved = tmp_path / "step.json"
    assert main(["plan", "--model", str(tiny_recipient[0]), "--train", "cadence", "--memory", str(corpora["cadence_donor"]),
                 "--batch-size", "4", "--save", str(saved)]) == 0
    out = capsys.readouterr().out
    assert "step memory (4 rows, 3 steps, cpu): peak " in out and "trials per 24 GB card: measure on a GPU" in out
    record = json.loads(saved.read_text())
    assert record["device"] == "cpu" and record["organs"] == "cadence" and record["batch_size"] == 4
    assert f"peak {record['peak_mb']:,.0f} MB" in out
    cluster = Path(__file__).resolve().parents[2] / "cluster.yaml"
    assert main(["cluster", "check", str(cluster), "--sweep", "cadence", "--measured", str(saved)]) == 0
    assert "the measurement given was on cpu, which does not translate to GPU memory" in capsys.readouterr().out


@pytest.mark.parametrize("extra, message, lines", [
    (["--memory", "DONOR"], "error: --memory measures a real recipient: pass --model", 1),
    (["--model", "MODEL", "--memory", "DONOR", "--batch-size", "0"], "error: --batch-size must be 1..4096 and --card-gb in (0, 4096]", 1),
    # a corpus error is its summary line plus one line per problem, as in every command that reads a corpus
    (["--model", "MODEL", "--memory", "NOWHERE"], "error: NOWHERE: corpus has 1 problem(s)", 2),
])
def test_plan_memory_refuses_bad_input(tiny_recipient, corpora, tmp_path, capsys, extra, message, lines):
    swap = {"DONOR": str(corpora["cadence_donor"]), "MODEL": str(tiny_recipient[0]), "NOWHERE": str(tmp_path / "nowhere")}
    args = ["plan", "--train", "cadence", *[swap.get(a, a) for a in extra]]
    before = snapshot(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == lines and err.startswith(message.replace("NOWHERE", str(tmp_path / "nowhere")))
    assert snapshot(tmp_path) == before and not Path(tmp_path / "nowhere").exists()
