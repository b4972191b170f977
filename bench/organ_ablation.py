"""The seeds' claims on a real voice: every organ subset fine-tuned into the demo's joe Piper
voice, from each donor, under forced and learned alignment; the organs' exact Shapley values
with bootstrap intervals, a verdict on each claim, and triage's ranking against the ablation's.

    make demo                      # the joe voice and the donors, in demo_out/
    .venv/bin/python bench/organ_ablation.py --demo-out demo_out --work /tmp/ablation

Phases (each skips what `--work` already holds, so a run can be resumed):
  sweeps   one Tune sweep per donor: all 31 organ subsets x {forced, learned} (each donor's
           alignments can be narrowed: --timbre-alignments forced), short trials
           (`--steps` at batch 4, one evaluation at the end on `--heldout` utterances);
  triage   `voxgraft triage` on the untouched joe voice, per donor and its objective;
  analyse  per donor and alignment, Shapley values of the transfer and drift metrics from
           the trials' final evaluations; intervals from re-measuring each trial's final
           checkpoint per held-out utterance and resampling the utterances (bench/ablation_bootstrap.py).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from ablation_bootstrap import ORGANS
from ablation_verdicts import AIMS, analyse_ablation

from voxgraft.search_spaces.schema import parse_sweep

LEARNING_RATES = {"cadence_donor": 1e-3, "timbre_donor": 5e-4}  # the demo's smoke sweeps'


def sweep_data(demo_out: Path, storage: Path, donor: str, steps: int, heldout: int, alignments: list[str]) -> dict:
    _, metric = AIMS[donor]
    return {
        "name": f"ablation_{donor}",
        "recipient": str(demo_out / "models" / "joe"),
        "donor": str(demo_out / "corpora" / donor),
        "eval": {"heldout": heldout},
        "search": {
            "organs": {"every_subset_of": list(ORGANS)},
            "lr": [LEARNING_RATES[donor]],
            "alignment": alignments,
            "batch_size": 4,
            "steps": steps,
            "eval_every": steps,
            "fixed": {"segment_frames": 16},
        },
        "searcher": "grid",
        "objectives": [{"metric": metric, "mode": "max"}],
        "resources": {"cpu": 1, "gpu": 0},  # two trials at a time on a 2-core machine
        "keep_checkpoints": 1,
        "storage": str(storage),
    }


def run_sweeps(demo_out: Path, work: Path, steps: int, heldout: int, alignments: dict[str, list[str]]) -> dict[str, Path]:
    from voxgraft.sweep.run import resume_sweep, run_sweep

    dirs = {}
    for donor in AIMS:
        sweep = parse_sweep(sweep_data(demo_out, work / "sweeps", donor, steps, heldout, alignments[donor]))
        exp_dir = work / "sweeps" / sweep.name
        if (exp_dir / "results").exists():
            resume_sweep(exp_dir)  # finished trials are not rerun
        else:
            run_sweep(sweep)
        dirs[donor] = exp_dir
    return dirs


def run_triage(demo_out: Path, work: Path) -> dict[str, dict]:
    """Triage of the untouched joe voice per donor and its aim, forced alignment (saved, reused)."""
    from voxgraft.trainables.organ_triage import triage_recipient

    found = {}
    for donor, (aim, _) in AIMS.items():
        path = work / f"triage_{donor}.json"
        if not path.exists():
            result = triage_recipient(demo_out / "models" / "joe", demo_out / "corpora" / donor, aim, "forced")
            path.write_text(json.dumps(result.to_dict(), indent=1) + "\n")
        found[donor] = json.loads(path.read_text())
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo-out", type=Path, default=Path("demo_out"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/ablation"))
    parser.add_argument("--steps", type=int, default=15)
    parser.add_argument("--heldout", type=int, default=8)
    parser.add_argument("--phases", default="sweeps,triage,analyse")
    # learned alignment on the timbre donor doubles the slowest sweep (every trial runs the decoder's
    # organs); the cadence donor's learned block already answers forced vs learned
    parser.add_argument("--cadence-alignments", default="forced,learned")
    parser.add_argument("--timbre-alignments", default="forced,learned")
    parser.add_argument("--repeats", type=int, default=1000, help="bootstrap resamples of the held-out utterances")
    args = parser.parse_args()
    os.environ.setdefault("RAY_DEDUP_LOGS", "1")
    phases = args.phases.split(",")
    if "sweeps" in phases:
        alignments = {"cadence_donor": args.cadence_alignments.split(","), "timbre_donor": args.timbre_alignments.split(",")}
        run_sweeps(args.demo_out.resolve(), args.work.resolve(), args.steps, args.heldout, alignments)
    if "triage" in phases:
        run_triage(args.demo_out.resolve(), args.work.resolve())
    if "analyse" in phases:
        print(analyse_ablation(args.work.resolve(), run_triage(args.demo_out.resolve(), args.work.resolve()), args.repeats))


if __name__ == "__main__":
    main()
