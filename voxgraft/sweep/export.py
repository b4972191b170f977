"""Export a picked transplant as a ready model: the recipient merged with the transplanted
organs, its held-out samples, and a model card (README.md + card.json). Format `hf` writes a
`save_pretrained` directory (loads with `VitsModel.from_pretrained`); `piper` writes NAME.onnx +
NAME.onnx.json that Piper runs (models/piper_export.py). Which checkpoint to export is
analysis/pick.py's choice."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voxgraft.data.piper_symbols import load_model_symbols
from voxgraft.data.symbols import FILENAME as SYMBOLS_FILENAME
from voxgraft.evaluate.anchors import ANCHORS_FILE, Anchors
from voxgraft.evaluate.registry import METRICS
from voxgraft.layout import REFERENCES_DIR, RESULTS_DIR, SAMPLES_SUBDIR, TRANSPLANT_SUBDIR
from voxgraft.models.checkpoints import merged_model
from voxgraft.models.piper_export import PiperExportError, write_piper_voice
from voxgraft.search_spaces.spec import SpecError, read_spec
from voxgraft.sweep.export_folder import CARD_FILE, ExportFolderError, check_target, staged_export
from voxgraft.sweep.store import KNOB_STATUS, ResultsStore
from voxgraft.training.recipient_recovery import read_provenance


class ExportError(ValueError):
    pass


@dataclass(frozen=True)
class Pick:
    rank: int
    row: dict
    checkpoint: Path


FORMATS = ("hf", "piper")


def recovered_organs(meta: dict, provenance: dict | None) -> list[str]:
    """The recovered parts (recipient.json's names, e.g. 'duration_predictor (posterior branch
    and flow 1)') of the organs this transplant trained."""
    recovered = (provenance or {}).get("recovered") or {}
    return [part for part in recovered.get("organs", []) if part.split(" ")[0] in meta["organs"]]


def model_card(
    pick: Pick, meta: dict, sweep_name: str, sweep_dir: Path, recipient: Path, provenance: dict | None = None, piper_name: str | None = None
) -> tuple[str, dict]:
    row = pick.row
    metrics = {m: row[m] for m in METRICS if row.get(m) is not None and np.isfinite(row[m])}
    unmeasured = [m for m in METRICS if m in row and m not in metrics and METRICS[m].group in UNMEASURED_GROUPS]
    timing = donor_timing(sweep_dir)
    heard = judged_speech(row, sweep_dir)
    card = {
        "sweep": sweep_name, "sweep_dir": str(sweep_dir), "trial_id": row["trial_id"], "step": int(row["step"]),
        "organs_trained": meta["organs"], "organ_set": row["config.organs"], "recipient": str(recipient),
        "recipient_sha256": meta["recipient_sha256"],
        "config": {k.removeprefix("config."): row[k] for k in row if k.startswith("config.") and row[k] is not None},
        "metrics": metrics, "source_checkpoint": str(pick.checkpoint),
        "recovered_organs_trained": recovered_organs(meta, provenance),
        "donor_timing": timing, "unmeasured_metrics": unmeasured, "judged": heard,
    }
    lines = [
        f"# voxgraft transplant: {row['config.organs']} from sweep {sweep_name}", "",
        f"The recipient ({recipient}, sha256 {meta['recipient_sha256'][:16]}...) with its organs "
        f"{', '.join(meta['organs'])} retrained on the donor; every other organ is the recipient's, bit for bit.", "",
        f"- trial {row['trial_id']}, step {row['step']}, {row['config.alignment']} alignment, lr {row['config.lr']:.3g}",
        f"- source checkpoint: {pick.checkpoint}",
        f"- the donor's timing for the cadence measures: {TIMING_WORDS.get(timing, 'unknown (no anchors.json in the sweep)')}",
        *([f"- not measured for this transplant (NaN): {', '.join(unmeasured)}"] if unmeasured else []), "",
        *_recovered_lines(card["recovered_organs_trained"]),
        *_use_lines(meta, piper_name),
        "`samples/` holds the donor's held-out sentences as this checkpoint speaks them.", "",
        *_judged_lines(heard),
        "| metric | value |", "|---|---|",
        *[f"| {k} | {v:.4g} |" for k, v in metrics.items()],
    ]
    return "\n".join(lines) + "\n", card


UNMEASURED_GROUPS = ("held-out", "evaluation", "transfer", "drift", "judges")
JUDGED_SHOWN = ("wer", "cer", "dnsmos_ovrl")


def judged_speech(row: dict, sweep_dir: Path) -> dict[str, dict[str, float | None]]:
    """What the judges heard from this transplant beside the untouched recipient, the donor's
    recordings and the knobs of its sweep (empty where the sweep has no anchors)."""
    anchors = _anchors(sweep_dir)
    if anchors is None:
        return {}
    speech = {"recipient, untouched": anchors.recipient, "donor's recordings": anchors.donor}
    try:
        stored = ResultsStore(Path(sweep_dir) / RESULTS_DIR).table().to_pylist()
    except (OSError, ValueError):
        stored = []
    speech |= {str(r["message"] or r["trial_id"]): r for r in stored if r["status"] == KNOB_STATUS}
    speech["this transplant"] = row
    number = lambda v: float(v) if v is not None and np.isfinite(float(v)) else None  # noqa: E731
    return {who: {m: number(values.get(m)) for m in JUDGED_SHOWN} for who, values in speech.items()}


def _judged_lines(heard: dict) -> list[str]:
    if not heard:
        return []
    shown = lambda v: "not measured" if v is None else f"{v:.3g}"  # noqa: E731
    return ["What the judges heard on the same held-out sentences (Whisper's WER and CER, DNSMOS OVRL):", "",
            "| speech | WER | CER | DNSMOS OVRL |", "|---|---|---|---|",
            *[f"| {who} | {' | '.join(shown(values[m]) for m in JUDGED_SHOWN)} |" for who, values in heard.items()], ""]
TIMING_WORDS = {
    "alignment": "its alignments (alignments.parquet)",
    "mas": "monotonic alignment search on the untouched recipient (the donor had no alignments)",
    "none": "none: the donor had no alignments and MAS could not time it, so cadence transfers are NaN",
}


def _anchors(sweep_dir: Path) -> Anchors | None:
    try:
        return Anchors.load(Path(sweep_dir) / REFERENCES_DIR / ANCHORS_FILE)
    except (OSError, ValueError, TypeError, KeyError):
        return None


def donor_timing(sweep_dir: Path) -> str | None:
    """Where the sweep's anchors took the donor's timing from ("alignment", "mas", "none")."""
    anchors = _anchors(sweep_dir)
    return None if anchors is None else anchors.donor_timing


def _recovered_lines(organs: list[str]) -> list[str]:
    if not organs:
        return []
    return [f"Recovered, not original: {'; '.join(organs)} of the trained organs came from `voxgraft recipient recover` "
            "(the recipient's inference export did not carry them), so this transplant started from recovered weights there.", ""]


def _use_lines(meta: dict, piper_name: str | None) -> list[str]:
    if piper_name:
        return [f"Run it with Piper (`piper -m {piper_name}.onnx`), or with onnxruntime: inputs `input` (ids), "
                "`input_lengths`, `scales` = [noise_scale, length_scale, noise_w]; the ids as its .onnx.json maps them."]
    return [_load_line(meta), "Speak with it: `voxgraft synth THIS_DIR \"text\" out.wav`."]


def _load_line(meta: dict) -> str:
    if meta.get("style_latent_size"):
        return ("Load it: `voxgraft.models.styled_vits.StyledVitsModel.from_pretrained(\"this directory\")` (it carries a "
                f"{meta['style_latent_size']}-dim style VAE and speaks with the donor's style latent).")
    return "Load it: `VitsModel.from_pretrained(\"this directory\")`."


def export(pick: Pick, out_dir: Path, recipient: Path, sweep_name: str, sweep_dir: Path, fmt: str = "hf", force: bool = False) -> Path:
    """Write the merged model (in `fmt`), its samples and its card into `out_dir`, replacing only
    what an earlier export wrote there (export_folder.py); `force` writes beside foreign files."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    try:
        check_target(out_dir, force)
        return _export(pick, out_dir, recipient, sweep_name, sweep_dir, fmt, force)
    except ExportFolderError as exc:
        raise ExportError(str(exc)) from None
    except OSError as exc:
        raise ExportError(f"{out_dir}: cannot write the export ({exc.strerror or exc}); nothing there was changed") from None


def _export(pick: Pick, out_dir: Path, recipient: Path, sweep_name: str, sweep_dir: Path, fmt: str, force: bool) -> Path:
    model, meta = merged_model(pick.checkpoint / TRANSPLANT_SUBDIR, recipient)
    provenance = read_provenance(recipient) if recipient.is_dir() else None
    piper_name = f"{sweep_name}-{row_name(pick.row)}" if fmt == "piper" else None
    readme, card = model_card(pick, meta, sweep_name, sweep_dir, recipient, provenance, piper_name)
    with staged_export(out_dir, force) as tmp:
        if fmt == "piper":
            symbols = load_model_symbols(pick.checkpoint / TRANSPLANT_SUBDIR)
            try:
                write_piper_voice(model, symbols, provenance, tmp, piper_name)
            except PiperExportError as exc:
                raise ExportError(str(exc)) from None
        else:
            model.save_pretrained(str(tmp))
        shutil.copy2(pick.checkpoint / TRANSPLANT_SUBDIR / SYMBOLS_FILENAME, tmp / SYMBOLS_FILENAME)
        if (pick.checkpoint / SAMPLES_SUBDIR).is_dir():
            shutil.copytree(pick.checkpoint / SAMPLES_SUBDIR, tmp / SAMPLES_SUBDIR)
        (tmp / "README.md").write_text(readme)
        (tmp / CARD_FILE).write_text(json.dumps(card, indent=2, default=str) + "\n")
    return out_dir


def row_name(row: dict) -> str:
    """A file-name-safe trial name: letters, digits, '-' and '_' only."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in str(row["trial_id"]))


def recipient_of(sweep_dir: Path) -> Path:
    try:
        return Path(read_spec(sweep_dir).context["recipient"])
    except (SpecError, KeyError):
        raise ExportError(f"{sweep_dir}: no readable spec naming the recipient; pass --recipient") from None
