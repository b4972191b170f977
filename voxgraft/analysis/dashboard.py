"""The listening dashboard: one self-contained HTML page (inline SVG plots, audio as data URIs,
inline CSS, the trial explorer's inline script, nothing fetched), so it opens from disk anywhere
and can be mailed. Every section but the explorer works without JavaScript."""

from __future__ import annotations

import html
import math
import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from voxgraft.analysis import explorer, plots
from voxgraft.analysis.against_knobs import KNOB_OF_AIM
from voxgraft.analysis.alignment import alignment_errors
from voxgraft.analysis.audio import data_uri, samples_dir
from voxgraft.analysis.effects import MIN_GROUP
from voxgraft.analysis.importance import IMPORTANCE_MIN_TRIALS
from voxgraft.analysis.pareto import AIM_AXES, aims
from voxgraft.analysis.speech_table import JUDGES_NOTE, speech_table
from voxgraft.analysis.types import Analysis
from voxgraft.analysis.verdict import number, verdict
from voxgraft.evaluate.knobs import KNOBS
from voxgraft.evaluate.render import read_heard
from voxgraft.layout import REFERENCES_DIR
from voxgraft.style.report import style_space
from voxgraft.sweep.knob_rows import knob_folder, knob_id

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.6em} h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em} h3{margin-top:1.4em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em;display:block;overflow-x:auto;max-width:100%} td,th{border:1px solid #ddd;padding:.25em .5em;text-align:right}
th{background:#f4f4f4} td:first-child,th:first-child{text-align:left} .note{color:#555;font-size:.9em}
figure{margin:.6em 0} figure svg{max-width:100%;height:auto} audio{width:220px;height:32px} .bad{color:#b00} nav{margin:1em 0} nav ol{columns:2}
.vx-figures{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start} canvas{display:block;max-width:100%;border:1px solid #eee}
.vx-trials th{cursor:pointer} .vx-trials td{white-space:nowrap} .vx-trials tbody tr{cursor:pointer} .vx-trials tr.vx-selected{background:#fff1b8} .vx-front td:first-child{font-weight:bold}
.vx-controls label{margin-right:.6em;white-space:nowrap} #vx-player{flex:1;min-width:300px} #vx-player audio{width:130px}
"""


def _esc(value) -> str:
    return html.escape(str(value))


def _table(frame: pd.DataFrame, digits: int = 4) -> str:
    if frame is None or frame.empty:
        return "<p class='note'>nothing to show yet</p>"
    head = "".join(f"<th>{_esc(c)}</th>" for c in frame.columns)
    body = []
    for _, row in frame.iterrows():
        cells = []
        for value in row:
            if isinstance(value, (float, np.floating)):
                cells.append("<td></td>" if not math.isfinite(value) else f"<td>{number(value, digits)}</td>")
            else:
                cells.append(f"<td>{_esc(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _audio(path: Path, source: str, heard: str | None = None) -> str:
    """An embedded sound, named for the explorer's player (explorer.audio_key), which reuses it;
    what Whisper heard in it shows when the pointer rests on it."""
    key = _esc(explorer.audio_key(source, path.name))
    title = "" if heard is None else f" title='Whisper heard: {_esc(heard.strip() or '(nothing)')}'"
    return f"<audio controls preload='none' data-key='{key}'{title} src='{data_uri(path)}'></audio>"


def _sound_folders(analysis: Analysis, top: pd.DataFrame) -> list[tuple[str, str, Path | None]]:
    """(column header, explorer source, folder of wavs) for every speech the listening grid plays:
    the two ends, the knobs the sweep measured, then each top transplant's best kept checkpoint."""
    references = analysis.sweep_dir / REFERENCES_DIR
    folders = [("recipient", "recipient", references / "recipient"), ("donor", "donor", references / "donor")]
    folders += [(f"{name} knob", knob_id(name), references / knob_folder(name)) for name in KNOBS if (references / knob_folder(name)).is_dir()]
    folders += [(f"#{rank}", str(t["trial_id"]), samples_dir(t["checkpoint"])) for rank, (_, t) in enumerate(top.iterrows(), 1)]
    return folders


def listening_section(analysis: Analysis, top: pd.DataFrame) -> str:
    """One table, a row per held-out sentence: the untouched recipient, the donor's recording,
    the knobs, then each top transplant's best kept checkpoint (each sound embedded once)."""
    folders = _sound_folders(analysis, top)
    trials = [(rank, t, samples_dir(t["checkpoint"])) for rank, (_, t) in enumerate(top.iterrows(), 1)]
    sentences = sorted({p.name for _, _, d in folders if d for p in d.glob("*.wav")})
    parts = ["<h2>Listen: recipient, donor, the knobs and the top transplants</h2>",
             "<p class='note'>The donor's held-out sentences as the untouched recipient speaks them, as the donor recorded them, "
             "as the knobs a user has without training make them (tempo: Piper's length_scale; voice: the donor's pitch and "
             "envelope by the WORLD vocoder), and as each top transplant's best kept checkpoint speaks them. Rest the pointer "
             "on a player to read what Whisper heard.</p>",
             "<ol>" + "".join(f"<li>{_esc(t['trial_id'])}: organs {_esc(t['organs'])}, lr {t['lr']:.2g}, {_esc(t['alignment'])}"
                              f"{'' if d else ' (no kept checkpoint with samples)'}</li>" for _, t, d in trials) + "</ol>"]
    if not sentences:
        return "".join(parts) + "<p class='note'>no samples yet</p>"
    header = "<tr><th>sentence</th>" + "".join(f"<th>{_esc(label)}</th>" for label, _, _ in folders) + "</tr>"
    heard = {source: read_heard(d) if d else {} for _, source, d in folders}
    rows = []
    for name in sentences:
        uid = Path(name).stem
        cells = "".join(f"<td>{_audio(d / name, source, heard[source].get(uid)) if d is not None and (d / name).exists() else ''}</td>"
                        for _, source, d in folders)
        rows.append(f"<tr><td>{_esc(uid)}</td>{cells}</tr>")
    return "".join(parts) + f"<table>{header}{''.join(rows)}</table>"


def judges_section(analysis: Analysis, top: pd.DataFrame) -> str:
    table = speech_table(analysis, top)
    if table.empty:
        return ""
    return f"<h2>What the judges heard</h2><p class='note'>{_esc(JUDGES_NOTE.strip())}</p>" + _table(table, 3)


def style_section(analysis: Analysis, top: pd.DataFrame) -> str:
    """The recipient's style space with the references and the top transplants (styled recipients only)."""
    samples = [(f"#{rank}", samples_dir(t["checkpoint"])) for rank, (_, t) in enumerate(top.iterrows(), 1)]
    space = style_space(analysis.sweep_dir, analysis.trials, samples)
    if space is None:
        return ""
    parts = ["<h2>Style space</h2>",
             "<p class='note'>Style vectors in the recipient's style VAE: the untouched recipient's and the donor's held-out "
             f"sentences and the top transplants' samples. Silhouette of recipient against donor: {space.silhouette:.3f} "
             "(1: the latent separates the two voices; 0: it does not).</p>",
             plots.projection_plot(space.points, space.explained)]
    if space.by_size is not None:
        parts += ["<h3>By style-VAE size</h3>", _table(space.by_size)]
    return "".join(parts)


def objective_section(analysis: Analysis, metric: str, mode: str, curves: bool) -> str:
    better = "lower" if mode == "min" else "higher"
    parts = [f"<h2>{_esc(metric)} ({better} is better)</h2>", "<h3>What mattered most</h3>", _table(analysis.ranking[metric])]
    effects = analysis.effects[metric]
    if not effects.empty:
        parts += ["<h3>Main effects</h3>", "<p class='note'>level mean minus the mean of the other levels; 95% percentile bootstrap over trials</p>",
                  f"<figure>{plots.effects_plot(effects, metric)}</figure>", _table(effects)]
    for aim, by_aim in analysis.effects_by_aim.get(metric, {}).items():
        parts += [f"<h3>Main effects within the {_esc(aim)} trials</h3>", f"<figure>{plots.effects_plot(by_aim, metric)}</figure>"]
    for title, grid in analysis.grids[metric].items():
        if not grid.empty:
            parts += [f"<h3>Interaction: {_esc(title)}</h3>", f"<figure>{plots.grid_plot(grid, metric, *title.split(' × '))}</figure>"]
    if not effects.empty and not np.isfinite(effects["low"].astype(float)).any():
        parts.append(f"<p class='note'>No intervals: every comparison has fewer than {MIN_GROUP} trials on a side.</p>")
    if not analysis.importance[metric] and analysis.factors:
        parts.append(f"<p class='note'>No importances: they need at least {IMPORTANCE_MIN_TRIALS} measured trials and "
                     f"{MIN_GROUP} at every level of each factor.</p>")
    for evaluator, values in analysis.importance[metric].items():
        parts += [f"<h3>Importance ({_esc(evaluator)}, Optuna)</h3>", f"<figure>{plots.bars_plot(values, f'{evaluator} importance')}</figure>"]
    shapley = analysis.shapley[metric]
    if shapley is not None:
        parts += ["<h3>Per-organ contributions (Shapley)</h3>", f"<p class='note'>{_esc(shapley.note)}</p>",
                  f"<figure>{plots.bars_plot(shapley.values, f'contribution to {metric}')}</figure>"]
    if curves:
        parts += ["<h3>Learning curves by organ set</h3>", f"<figure>{plots.curves_plot(analysis.rows, metric)}</figure>"]
    return "".join(parts)


def alignment_section(analysis: Analysis) -> str:
    errors = alignment_errors(analysis)
    if errors is None:
        return ""
    note = ("Phoneme boundaries against the donor's true alignment, in ms: MAS on the model as it is at the trial's "
            "last report, and the forced path (the alignment after the one-frame-per-token fix-up). "
            "trained_on_ms is the path the trial trained on.")
    return f"<h2>Alignment against ground truth</h2><p class='note'>{_esc(note)}</p>" + _table(errors.round(3))


def _bests(analysis: Analysis, top: pd.DataFrame) -> list[tuple[str, str, object]]:
    """(label, trial_id, checkpoint) of the transplants the verdict plays: the best, and each
    aim's most donor-like in a sweep that mixes aims (each trial once)."""
    bests = [("best transplant", str(top.iloc[0]["trial_id"]), top.iloc[0]["checkpoint"])] if not top.empty else []
    bests += [(f"best {aim}", str(row["trial_id"]), row["checkpoint"]) for aim, row in analysis.best_per_aim.items()]
    seen: set[str] = set()
    return [b for b in bests if not (b[1] in seen or seen.add(b[1]))]


def verdict_section(analysis: Analysis, top: pd.DataFrame) -> str:
    """The answer first (analysis/verdict.py), and the best transplants beside the recipient, the
    donor and the knobs they faced, on one held-out sentence, with what Whisper heard in each."""
    found = verdict(analysis, top)
    parts = ["<h2>What the sweep found</h2><ul>" + "".join(f"<li>{_esc(line)}</li>" for line in found.findings) + "</ul>"]
    if found.warnings:
        parts.append("<ul class='bad'>" + "".join(f"<li>{_esc(line)}</li>" for line in found.warnings) + "</ul>")
    references = analysis.sweep_dir / REFERENCES_DIR
    donor = sorted(references.glob("donor/*.wav"))
    bests = [(label, trial, samples_dir(checkpoint)) for label, trial, checkpoint in _bests(analysis, top)]
    bests = [(label, trial, d) for label, trial, d in bests if d is not None and donor and (d / donor[0].name).exists()]
    if bests:
        name = donor[0].name
        faced = {KNOB_OF_AIM[aim] for aim in aims(analysis.trials)}
        folders = [("recipient", "recipient", references / "recipient"), ("donor", "donor", references / "donor")]
        folders += [(f"{k} knob", knob_id(k), references / knob_folder(k)) for k in KNOBS if k in faced]
        cells = [(label, source, d / name, read_heard(d).get(Path(name).stem)) for label, source, d in [*folders, *bests]]
        parts.append(f"<p>{_esc(Path(name).stem)}: " + " ".join(f"{_esc(label)} {_audio(path, source, said)}"
                                                                  for label, source, path, said in cells if path.exists()) + "</p>")
    return "".join(parts)


def _with_contents(body: str) -> str:
    """Anchors on every section heading and a table of contents of them, after the verdict."""
    titles = re.findall(r"<h2>(.*?)</h2>", body)
    for i, title in enumerate(titles):
        body = body.replace(f"<h2>{title}</h2>", f"<h2 id='s{i}'>{title}</h2>", 1)
    contents = "<nav><b>Contents</b><ol>" + "".join(f"<li><a href='#s{i}'>{t}</a></li>" for i, t in enumerate(titles)) + "</ol></nav>"
    cut = body.find("<h2 id='s1'>")
    return body + contents if cut < 0 else body[:cut] + contents + body[cut:]


def render(analysis: Analysis, top: pd.DataFrame) -> str:
    statuses = analysis.trials["status"].value_counts().to_dict()
    head = (f"<h1>voxgraft sweep {_esc(analysis.name)}</h1><p>{len(analysis.trials)} trials, {len(analysis.rows)} reports "
            f"({', '.join(f'{_esc(k)} {v}' for k, v in statuses.items())}); factors varied: {_esc(', '.join(analysis.factors) or 'none')}. "
            f"<span class='note'>Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC from {_esc(analysis.sweep_dir / 'results')}.</span></p>")
    columns = ["trial_id", "organs", "alignment", "lr", "step", "status", *[m for m, _ in analysis.objectives], "rejection_score"]
    parts = [head, verdict_section(analysis, top), judges_section(analysis, top), "<h2>Top transplants</h2>",
             _table(top[[c for c in columns if c in top]].round(6))]
    parts.append(listening_section(analysis, top))
    parts.append(explorer.section(analysis, top, set(re.findall(r"data-key='([^']*)'", "".join(parts)))))
    for aim, points in analysis.fronts.items():
        x, y = AIM_AXES[aim]
        front = points[points["on_front"]].sort_values(x)
        which = f": {aim} trials" if len(analysis.fronts) > 1 else ""
        parts += [f"<h2>Donor-likeness against recipient preservation{which}</h2>",
                  f"<figure>{plots.pareto_plot(points, x, y)}</figure>",
                  _table(front[["trial_id", "organs", "alignment", "lr", x, y, "knee"]])]
    for i, (metric, mode) in enumerate(analysis.objectives):
        parts.append(objective_section(analysis, metric, mode, curves=i < 2))  # the sweep's objective and donor-likeness
    parts.append(alignment_section(analysis))
    parts.append(style_section(analysis, top))
    parts += ["<h2>Rejection: which factors predict it</h2>", _table(analysis.rejection)]
    body = _with_contents("".join(parts))
    return f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>voxgraft: {_esc(analysis.name)}</title><style>{STYLE}</style></head><body>{body}</body></html>\n"
