"""Before any trial: check the recipient and the judges, prepare the donor's features once,
measure the transfer anchors (the untouched recipient's and the donor's renderings of the
held-out sentences) and the knobs a user has without training (evaluate/knobs.py), so that
every trial reads a cache and shares one yardstick."""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from voxgraft.console import console
from voxgraft.evaluate.anchors import compute_anchors, write_anchors
from voxgraft.evaluate.evaluator import Evaluator
from voxgraft.evaluate.judges import Judges, JudgeSettings, JudgeUnavailable
from voxgraft.evaluate.knobs import measure_knobs
from voxgraft.evaluate.speaker import SpeakerEncoder
from voxgraft.models.checkpoints import check_symbols_fit, load_recipient
from voxgraft.search_spaces.schema import Sweep
from voxgraft.search_spaces.spec import references_dir
from voxgraft.storage import delete_tree, is_uri, upload_tree
from voxgraft.sweep.knob_rows import knob_folder, knob_rows
from voxgraft.sweep.measurable import UnmeasurableObjective, check_anchors, check_donor_alignments, check_judged_objectives, mas_warnings
from voxgraft.trainables.transplant import TrialContext, discriminator_config, recipient_symbols
from voxgraft.training.recipient_data import open_for_recipient


class SweepError(ValueError):
    pass


def _publish_references(scratch: Path, location: str) -> None:
    """Copy the measured references to the sweep's folder or bucket whole; a copy that failed
    halfway (a full disk) is removed, so the rerun writes it whole."""
    try:
        if is_uri(location):
            upload_tree(scratch, location)
        else:
            shutil.copytree(scratch, location, dirs_exist_ok=True)
    except OSError:
        if is_uri(location):
            delete_tree(location)
        else:
            shutil.rmtree(location, ignore_errors=True)
        raise


@dataclass
class Prepared:
    context: TrialContext
    knob_rows: list[dict]  # the knobs' rows for the results store, written once the sweep's spec is


def judge_settings(sweep: Sweep) -> JudgeSettings:
    return JudgeSettings(sweep.eval.judges, sweep.eval.asr_model)


def load_judges(sweep: Sweep) -> Judges | None:
    """The judges the sweep asks for, loaded, or None when it turns them off; a missing one is
    refused here, before anything is written or Ray starts."""
    settings = judge_settings(sweep)
    try:
        return Judges(settings) if settings.enabled else None
    except JudgeUnavailable as exc:
        raise SweepError(str(exc)) from None


def prepare(sweep: Sweep) -> Prepared:
    """The trial context of `sweep`, with its anchors and knobs measured and its references written."""
    try:
        check_judged_objectives(sweep)
    except UnmeasurableObjective as exc:
        raise SweepError(str(exc)) from None
    judges = load_judges(sweep)
    recipient = Path(sweep.recipient)
    loaded = load_recipient(recipient)  # fails here, clearly, rather than in every trial
    discriminator_config(recipient)  # so does a training state beside it that the trials could not read
    if sweep.search.vae_latent and not loaded.model.config.speaker_embedding_size:
        raise SweepError(
            f"{recipient}: the sweep sets vae_latent, but this recipient has no global conditioning for a style "
            "VAE: pretrain a multi-voice recipient with `voxgraft pretrain ... --style-latent N`"
        )
    try:
        symbols = recipient_symbols(recipient)
    except ValueError as exc:
        raise SweepError(f"{recipient}: the recipient needs voxgraft's symbols.json beside its weights ({exc})") from None
    check_symbols_fit(loaded.model, symbols, recipient)
    for alignment in sweep.search.alignment:
        data = open_for_recipient(sweep.donor, alignment, loaded.model, symbols, sweep.eval.heldout)
    model = loaded.model.eval()
    with tempfile.TemporaryDirectory() as scratch:  # nothing lands in storage until the checks pass
        try:
            check_donor_alignments(sweep, data.heldout_batch().durations is not None)
            anchors = compute_anchors(model, data, SpeakerEncoder.pretrained(), Path(scratch), judges)
            check_anchors(sweep, anchors)
        except UnmeasurableObjective as exc:
            raise SweepError(str(exc)) from None
        write_anchors(anchors, Path(scratch))
        knobs = measure_knobs(model, data, Evaluator(data, anchors, judges=judges))
        for knob, _ in knobs:
            knob.rendering.write(Path(scratch) / knob_folder(knob.name), anchors.utterance_ids)
        _publish_references(Path(scratch), references_dir(sweep))
    for line in mas_warnings(sweep, anchors):
        console.print(f"[yellow]warning:[/] {line}", highlight=False, soft_wrap=True)
    context = TrialContext(
        str(recipient.resolve()),
        str(Path(sweep.donor).resolve()),
        sweep.eval.heldout,
        sweep.memory_budget_gb,
        json.loads(anchors.to_json()),
        judges=sweep.eval.judges,
        asr_model=sweep.eval.asr_model,
        recipient_sha256=loaded.sha256,
    )
    return Prepared(context, knob_rows(sweep.name, knobs))
