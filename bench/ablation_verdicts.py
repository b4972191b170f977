"""What an organ ablation (bench/organ_ablation.py) says: per donor and alignment, each organ's
exact Shapley value with a 95% bootstrap interval (bench/ablation_bootstrap.py), a verdict on
each of the seeds' claims, and the Spearman correlation of triage's ranking with the ablation's.
Printed as markdown for bench/RESULTS.md; everything also lands in WORK/ablation.json."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from ablation_bootstrap import (
    METRICS,
    ORGANS,
    Speech,
    cached_speech,
    measure,
    model_speech,
    recorded_speech,
    resample_indices,
    resampled_anchors,
    shapley_weights,
)
from scipy.stats import spearmanr

from voxgraft.analysis.trials import read_rows, trial_table
from voxgraft.evaluate.anchors import Anchors
from voxgraft.evaluate.render import Utterances
from voxgraft.evaluate.speaker import SpeakerEncoder
from voxgraft.models.checkpoints import load_recipient, merged_model
from voxgraft.search_spaces.spec import read_spec
from voxgraft.trainables.transplant import recipient_symbols
from voxgraft.training.recipient_data import open_for_recipient

CLAIM_ORGANS = {"cadence": ("duration_predictor",), "timbre": ("decoder", "flow", "posterior_encoder")}
AIMS = {"cadence_donor": ("cadence", "transfer_speaking_rate"), "timbre_donor": ("timbre", "transfer_speaker_sim_donor")}


@dataclass
class Block:
    """One donor's trials under one alignment: stored values and resampled ones per organ subset."""

    donor: str
    alignment: str
    trials: pd.DataFrame  # one row per trial, indexed by organ subset
    resampled: dict[str, np.ndarray]  # metric -> (repeats, subsets)


def sweep_measurements(exp_dir: Path, work: Path, repeats: int) -> tuple[pd.DataFrame, dict[str, np.ndarray], float]:
    """The sweep's trials, each trial's METRICS on every resample of the held-out utterances, and
    the largest gap between a re-measured full-set value and the stored one (should be ~0)."""
    spec = read_spec(exp_dir)
    context, anchors = spec.context, Anchors.from_dict(spec.context["anchors"])
    trials = trial_table(read_rows(exp_dir)).set_index("trial_id")
    recipient = load_recipient(context["recipient"])
    symbols = recipient_symbols(Path(context["recipient"]))
    data = open_for_recipient(context["donor"], "forced", recipient.model, symbols, context["heldout"])
    utterances = Utterances.from_training_set(data, data.heldout_indices)
    if utterances.utterance_ids != anchors.utterance_ids:
        raise SystemExit(f"{exp_dir}: the held-out utterances differ from the sweep's anchors")
    encoder = SpeakerEncoder.pretrained("cpu")
    cache = work / "speech" / exp_dir.name
    cache.mkdir(parents=True, exist_ok=True)
    untouched = cached_speech(cache / "recipient.pkl", lambda: model_speech(recipient.model, utterances, encoder))
    donor = cached_speech(cache / "donor.pkl", lambda: recorded_speech(utterances, encoder))
    every = np.arange(len(utterances.utterance_ids))
    idx = resample_indices(len(every), repeats)
    ends = [resampled_anchors(anchors, untouched, donor, i) for i in idx]  # once per resample, for every trial
    whole = resampled_anchors(anchors, untouched, donor, every)
    values = {m: np.full((len(trials), repeats), np.nan) for m in METRICS}
    gap = 0.0
    for row_no, (trial_id, row) in enumerate(trials.iterrows()):
        speech = _trial_speech(cache / f"{trial_id}.pkl", row, context["recipient"], utterances, encoder)
        if speech is None:
            continue
        full = measure(speech, every, whole, untouched, utterances.tokens)
        gap = max([gap] + [abs(full[m] - row[m]) for m in METRICS if np.isfinite(row[m])])
        for b in range(repeats):
            for m, v in measure(speech, idx[b], ends[b], untouched, utterances.tokens).items():
                values[m][row_no, b] = v
    return trials.reset_index(), values, gap


def _trial_speech(path: Path, row, recipient_dir: str, utterances: Utterances, encoder) -> Speech | None:
    if not isinstance(row["checkpoint"], str) or not row["checkpoint"]:
        return None  # a trial that failed before its evaluation
    return cached_speech(path, lambda: model_speech(merged_model(Path(row["checkpoint"]) / "transplant", recipient_dir)[0], utterances, encoder))


def blocks(work: Path, repeats: int, subsets: list[str]) -> tuple[list[Block], dict[str, float]]:
    out, gaps = [], {}
    for donor in AIMS:
        exp_dir = work / "sweeps" / f"ablation_{donor}"
        trials, values, gaps[donor] = sweep_measurements(exp_dir, work, repeats)
        for alignment in sorted(set(trials["alignment"])):  # forced, then learned where it ran
            mask = (trials["alignment"] == alignment).to_numpy()
            chosen = trials[mask].set_index("organs")
            missing = sorted(set(subsets) - set(chosen.index))
            if missing:  # exact Shapley values need every subset: say so, rather than estimate quietly
                raise SystemExit(f"{exp_dir.name}, {alignment}: {len(missing)} organ subsets have no trial yet, e.g. {missing[0]}")
            out.append(Block(donor, alignment, chosen, {m: v[mask].T for m, v in values.items()}))
    return out, gaps


def shapley(block: Block, metric: str, subsets: list[str], weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each organ's Shapley value of `metric` from the stored values, and on every resample (repeats x organs)."""
    stored = block.trials[metric].reindex(subsets).to_numpy(float)
    return weights @ stored, block.resampled[metric][:, _order(block, subsets)] @ weights.T


def interval(samples: np.ndarray) -> tuple[float, float]:
    if not np.isfinite(samples).all():
        return (float("nan"), float("nan"))  # a subset without a value: no interval, rather than a narrower one
    low, high = np.percentile(samples, [2.5, 97.5])
    return float(low), float(high)


def share(phi: np.ndarray, organs: tuple[str, ...], net: bool) -> np.ndarray:
    """Share the named organs carry: of the net transfer (Σφ, what training every organ reached;
    above 1 when others work against it), or of the total absolute contribution (an organ
    working against the transfer counts as much as one working for it)."""
    idx = [ORGANS.index(o) for o in organs]
    return phi[..., idx].sum(-1) / (phi.sum(-1) if net else np.abs(phi).sum(-1))


def verdict(low: float, high: float, threshold: float) -> str:
    if not np.isfinite(low):
        return "not measurable"
    return "supported" if low > threshold else "refuted" if high < threshold else "not settled"


def fmt(point: float, ci: tuple[float, float]) -> str:
    return f"{point:+.3f} [{ci[0]:+.3f}, {ci[1]:+.3f}]"


def _order(block: Block, subsets: list[str]) -> list[int]:
    return [list(block.trials.index).index(s) for s in subsets]


def block_lines(block: Block, subsets: list[str], weights: np.ndarray, record: dict) -> list[str]:
    t = block.trials
    lines = [f"**{block.donor}, {block.alignment} alignment**: {len(t)} trials, {int(t['ever_rejected'].sum())} rejected, "
             f"{int(t['failed'].sum())} failed. Shapley value [95% interval]:", "",
             "| organ | " + " | ".join(METRICS) + " |", "|---|" + "---|" * len(METRICS)]
    columns = {m: shapley(block, m, subsets, weights) for m in METRICS}
    for i, organ in enumerate(ORGANS):
        cells = [fmt(columns[m][0][i], interval(columns[m][1][:, i])) for m in METRICS]
        lines.append(f"| {organ} | " + " | ".join(cells) + " |")
        record["shapley"].append({"donor": block.donor, "alignment": block.alignment, "organ": organ,
                                  **{m: [columns[m][0][i], *interval(columns[m][1][:, i])] for m in METRICS}})
    return lines + [""]


def _alone_line(block: Block, organs: tuple[str, ...], metric: str) -> str:
    """What training just these organs reaches, against training every organ."""
    def reached(names) -> str:
        subset = ",".join(o for o in ORGANS if o in names)  # as the sweep names it
        column = list(block.trials.index).index(subset)
        return fmt(float(block.trials.loc[subset, metric]), interval(block.resampled[metric][:, column]))
    return f"training {' + '.join(organs)} alone reaches {metric} {reached(organs)}; every organ {reached(ORGANS)}"


def claim_lines(by: dict[tuple[str, str], Block], subsets: list[str], weights: np.ndarray, record: dict) -> list[str]:
    lines = ["**The seeds' claims** (95% intervals over resampled held-out utterances):", ""]
    for donor, (aim, metric) in AIMS.items():
        point, boot = shapley(by[(donor, "forced")], metric, subsets, weights)
        organs = CLAIM_ORGANS[aim]
        for net, kind in ((False, "of the total absolute contribution"), (True, "of the net transfer")):
            ci = interval(share(boot, organs, net))
            said = verdict(*ci, 0.5)
            lines.append(f"- {aim} lives in {' + '.join(organs)}: share {kind} to {metric} {fmt(float(share(point, organs, net)), ci)} "
                         f"({donor}, forced; supported when the interval is above 0.5): **{said}**")
            record["claims"].append({"claim": f"{aim} organs", "share": kind, "value": float(share(point, organs, net)), "interval": ci, "verdict": said})
        lines.append("  - " + _alone_line(by[(donor, "forced")], organs, metric))
    for donor, (_, metric) in AIMS.items():
        if (donor, "learned") not in by:
            continue
        forced, learned = by[(donor, "forced")], by[(donor, "learned")]
        point = float(np.mean(forced.trials[metric].reindex(subsets).to_numpy(float) - learned.trials[metric].reindex(subsets).to_numpy(float)))
        ci = interval((forced.resampled[metric][:, _order(forced, subsets)] - learned.resampled[metric][:, _order(learned, subsets)]).mean(1))
        said = verdict(*ci, 0.0)
        rejected = {a: int(by[(donor, a)].trials["ever_rejected"].sum()) for a in ("forced", "learned")}
        lines.append(f"- forced beats learned on {metric} ({donor}; forced − learned, mean over the {len(subsets)} organ sets): "
                     f"{fmt(point, ci)}; rejected trials: forced {rejected['forced']}, learned {rejected['learned']}: **{said}**")
        record["claims"].append({"claim": f"forced beats learned ({donor})", "difference": point, "interval": ci, "verdict": said, "rejected": rejected})
    return lines + [""]


def triage_lines(by: dict[tuple[str, str], Block], triage: dict[str, dict], subsets: list[str], weights: np.ndarray, record: dict) -> list[str]:
    lines = ["**Triage against the ablation** (Spearman ρ over the five organs between each triage column and the Shapley "
             "value of the aim's transfer, forced; the interval holds the triage fixed and resamples the ablation's utterances):", ""]
    for donor, (aim, metric) in AIMS.items():
        point, boot = shapley(by[(donor, "forced")], metric, subsets, weights)
        scores = {s["organ"]: s for s in triage[donor]["scores"]}
        columns = {"‖g‖/‖θ‖": [scores[o]["relative_grad_norm"] for o in ORGANS],
                   **{f"of {loss}": [scores[o]["relative_grad_norm_by_loss"][loss] for o in ORGANS] for loss in triage[donor]["losses"]},
                   "look-ahead gain": [scores[o]["lookahead_gain"] for o in ORGANS],
                   "along training": [scores[o]["training_lookahead_gain"] for o in ORGANS]}
        rhos = {name: float(spearmanr(values, point).statistic) for name, values in columns.items()}
        spans = {name: interval(np.array([spearmanr(values, b).statistic for b in boot])) for name, values in columns.items()}
        ablation_rank = [ORGANS[i] for i in np.argsort(-point)]
        lines.append(f"- {aim} ({donor}): triage ranks {', '.join(triage[donor]['ranking'])}; the ablation ranks {', '.join(ablation_rank)}; "
                     + "; ".join(f"ρ({name}) = {rho:.2f} [{spans[name][0]:.2f}, {spans[name][1]:.2f}]" for name, rho in rhos.items()))
        record["spearman"].append({"aim": aim, "donor": donor, "triage": triage[donor]["ranking"], "ablation": ablation_rank,
                                   "rho": rhos, "interval": spans})
    return lines + [""]


def analyse_ablation(work: Path, triage: dict[str, dict], repeats: int) -> str:
    subsets, weights = shapley_weights(ORGANS)
    found, gaps = blocks(work, repeats, subsets)
    by = {(b.donor, b.alignment): b for b in found}
    record: dict = {"repeats": repeats, "remeasure_gap": gaps, "shapley": [], "claims": [], "spearman": []}
    lines = [f"Each trial's final checkpoint re-measured on all held-out utterances matches its stored values within "
             f"{max(gaps.values()):.2g}; intervals from {repeats} resamples of the utterances.", ""]
    for block in found:
        lines += block_lines(block, subsets, weights, record)
    lines += claim_lines(by, subsets, weights, record)
    lines += triage_lines(by, triage, subsets, weights, record)
    (work / "ablation.json").write_text(json.dumps(record, indent=1, default=float) + "\n")
    return "\n".join(lines)
