"""The report's interactive trial explorer: a sortable, filterable trial table, parallel
coordinates, a scatter of any metric against any other, and a player that plays a clicked
trial beside the recipient and the donor.

Everything is in the page: the trials as JSON in a `<script type='application/json'>`, the
script itself (explorer.js, no library), and the audio as data URIs, so the page works from a
copied folder and asks the network for nothing. Sounds already in the page (the listening
table's) are found by their `data-key`, never embedded twice; beyond the top transplants, the
first held-out sentence of up to EXTRA_LISTEN trials (Pareto-front trials first) is added.
"""

from __future__ import annotations

import json
import math
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from voxgraft.analysis.audio import data_uri, samples_dir
from voxgraft.analysis.pareto import AIM_AXES, aims
from voxgraft.analysis.types import Analysis
from voxgraft.layout import REFERENCES_DIR
from voxgraft.models.organs import ORGAN_MODULES
from voxgraft.sweep.best import ranked
from voxgraft.sweep.knob_rows import KNOB_PREFIX

EXTRA_LISTEN = 8  # trials beyond the top whose first sentence is embedded (about 250 KB each)
TEXT_COLUMNS = ("trial_id", "organs", "alignment", "aim", "outcome")


def audio_key(source: str, sentence: str) -> str:
    """The name a sound has in the page: 'recipient/utt01', 'donor/utt01', 'TRIAL_ID/utt01'."""
    return f"{source}/{Path(sentence).stem}"


def _rounded(values: pd.Series) -> list:
    out = []
    for value in values.astype(float):
        out.append(None if not math.isfinite(value) else float(f"{value:.5g}"))
    return out


def _outcome(trials: pd.DataFrame) -> pd.Series:
    outcome = trials["status"].astype(str)
    outcome = outcome.where(~trials["ends_rejected"].astype(bool), "rejected")
    return outcome.where(~(trials["failed"].astype(bool) & ~trials["ends_rejected"].astype(bool)), "error")


def metric_columns(analysis: Analysis) -> list[tuple[str, str]]:
    """(metric, 'min'|'max') for the explorer's numeric axes: the objectives, both aims' Pareto
    axes, what the judges heard, the rejection score and the step, where any trial measured them."""
    wanted = list(analysis.objectives)
    for likeness, drift in AIM_AXES.values():
        wanted += [(likeness, "max"), (drift, "min")]
    wanted += [("wer", "min"), ("dnsmos_ovrl", "max"), ("rejection_score", "min"), ("step", "max")]
    seen, out = set(), []
    for metric, mode in wanted:
        if metric in analysis.trials and metric not in seen and np.isfinite(analysis.trials[metric].astype(float)).any():
            seen.add(metric)
            out.append((metric, mode))
    return out


def listen_checkpoints(analysis: Analysis, top: pd.DataFrame) -> dict[str, object]:
    """trial_id -> checkpoint whose samples the page plays: the top transplants' and (mixed
    sweeps) each aim's most donor-like, as the verdict plays them; then up to EXTRA_LISTEN more
    (front trials first, then by the first objective), each a trial's best kept checkpoint."""
    metric, mode = analysis.objectives[0]
    best = ranked(analysis.rows, metric, mode)
    checkpoints = dict(zip(best["trial_id"], best["checkpoint"]))
    chosen = {t: c for t, c in zip(top["trial_id"], top["checkpoint"])}
    chosen.update({row["trial_id"]: row["checkpoint"] for row in analysis.best_per_aim.values()})
    budget = len(chosen) + EXTRA_LISTEN
    for trial in [*analysis.front_trials(), *best["trial_id"]]:
        if len(chosen) >= budget:
            break
        if trial in checkpoints and trial not in chosen:
            chosen[trial] = checkpoints[trial]
    return chosen


def _trial_columns(analysis: Analysis, metrics: list[tuple[str, str]]) -> dict[str, list]:
    trials = analysis.trials
    values = {
        "trial_id": trials["trial_id"].astype(str).tolist(),
        "organs": trials["organs"].astype(str).tolist(),
        "alignment": trials["alignment"].astype(str).tolist(),
        "lr": _rounded(trials["lr"]),
        "aim": aims(trials).tolist(),
        "outcome": _outcome(trials).tolist(),
    }
    if trials["vae_latent"].nunique(dropna=True) > 1:
        values["vae_latent"] = _rounded(trials["vae_latent"])
    for metric, _ in metrics:
        values[metric] = _rounded(trials[metric])
    return values


def _knob_marks(analysis: Analysis, metrics: list[tuple[str, str]]) -> list[dict]:
    """The knobs as reference marks on the scatter: a label and their value on each axis."""
    return [{"label": f"{str(row['trial_id']).removeprefix(KNOB_PREFIX)} knob", "message": str(row["message"] or ""),
             "values": {m: _rounded(pd.Series([row.get(m)]))[0] for m, _ in metrics if m in row}}
            for _, row in analysis.knobs.iterrows()]


def _on_front(analysis: Analysis) -> list[bool]:
    front = set(analysis.front_trials())
    return [t in front for t in analysis.trials["trial_id"]]


def _extra_audio(analysis: Analysis, listen: dict[str, object], present: set[str]) -> dict[str, str]:
    """The sounds the player needs that the page does not hold yet: each listened trial's first
    sentence, with the recipient's and the donor's rendering of it."""
    references = analysis.sweep_dir / REFERENCES_DIR
    extra: dict[str, str] = {}
    for trial, checkpoint in listen.items():
        samples = samples_dir(checkpoint)
        if samples is None or any(k.startswith(f"{trial}/") for k in present):
            continue
        first = sorted(samples.glob("*.wav"))[0]
        for source, path in ((trial, first), ("recipient", references / "recipient" / first.name), ("donor", references / "donor" / first.name)):
            key = audio_key(source, first.name)
            if path.exists() and key not in present and key not in extra:
                extra[key] = data_uri(path)
    return extra


def payload(analysis: Analysis, top: pd.DataFrame, present: set[str]) -> dict:
    """Everything explorer.js draws, as JSON-ready lists, one entry per trial."""
    metrics = metric_columns(analysis)
    columns = _trial_columns(analysis, metrics)
    donor = sorted((analysis.sweep_dir / REFERENCES_DIR / "donor").glob("*.wav"))
    x, y = AIM_AXES[next(iter(analysis.fronts), "timbre")]
    names = [m for m, _ in metrics]
    return {
        "columns": list(columns),
        "text": [c for c in columns if c in TEXT_COLUMNS],
        "better": dict(metrics),
        "values": columns,
        "organ_names": list(ORGAN_MODULES),
        "trains": [np.flatnonzero(row).tolist() for row in analysis.trials[[f"organ:{o}" for o in ORGAN_MODULES]].to_numpy(bool)],
        "front": _on_front(analysis),
        "top": top["trial_id"].astype(str).tolist(),
        "sentences": [p.stem for p in donor],
        "scatter": [x if x in names else names[0], y if y in names else names[-1]] if names else [],
        "extra_listen": EXTRA_LISTEN,
        "audio": _extra_audio(analysis, listen_checkpoints(analysis, top), present),
        "knobs": _knob_marks(analysis, metrics),
    }


def _script(name: str) -> str:
    return resources.files("voxgraft.analysis").joinpath(name).read_text(encoding="utf-8")


CONTROLS = """<div class='vx-controls'>
<label>organ set <select id='vx-organs'></select></label> <label>trains <select id='vx-trains'></select></label>
<label>alignment <select id='vx-alignment'></select></label> <label>aim <select id='vx-aim'></select></label>
<label>outcome <select id='vx-outcome'></select></label> <label>trial <input id='vx-text' size='12' placeholder='id contains'></label>
<span id='vx-count' class='note'></span></div>"""

FIGURES = """<div class='vx-figures'><div><label>x <select id='vx-x'></select></label> <label>y <select id='vx-y'></select></label>
<canvas id='vx-scatter' width='520' height='380'></canvas></div><div id='vx-player'><p class='note'>Click a trial (table row or point) to hear it.</p></div></div>
<h3>Parallel coordinates</h3><canvas id='vx-parallel' width='1060' height='320'></canvas>
<h3>Trials</h3><div id='vx-table'></div><button id='vx-more' type='button'>show 100 more</button>"""


def section(analysis: Analysis, top: pd.DataFrame, present: set[str]) -> str:
    """The explorer's heading, controls, canvases, data and script (a no-script note first)."""
    # no '<' at all inside the script element: neither '</script>' nor '<!--' can end or bend it
    data = json.dumps(payload(analysis, top, present), separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")
    return ("<h2>Explore the trials</h2><p class='note'>Each trial's last report. Filter, sort by a column's heading, pick "
            "the scatter's axes, and click a trial to play it beside the recipient and the donor. Blue: timbre trials, red: "
            "cadence trials; ringed in black: on its aim's Pareto front; a cross: rejected or failed; a grey diamond: a knob "
            "(what a user gets without training), for reference.</p><noscript><p class='bad'>The explorer needs JavaScript; "
            "the sections below need none.</p></noscript>" + CONTROLS + FIGURES
            + f"<script type='application/json' id='vx-data'>{data}</script><script>{_script('explorer.js')}</script>")
