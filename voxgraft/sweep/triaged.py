"""A sweep file's `organs: {triage: K, objective: cadence|timbre}`: when the sweep starts, organ
triage (trainables/organ_triage.py) ranks the recipient's organs on the sweep's own donor and
held-out split, and the sweep searches every subset of the top K. Only organs the objective's
losses reach at all count (a zero gradient is no candidate), so K may yield fewer. The triage
is saved as triage.json in the sweep's folder; the spec records the organ sets it chose, so a
resumed sweep searches the same ones without triaging again."""

from __future__ import annotations

import json

from voxgraft import storage
from voxgraft.layout import TRIAGE_FILE
from voxgraft.search_spaces.schema import EverySubset, Sweep, Triaged
from voxgraft.sweep.prepare import SweepError
from voxgraft.trainables.organ_triage import triage_recipient


def resolve_triage(sweep: Sweep, exp_dir: str) -> tuple[Sweep, str | None]:
    """(the sweep with its organ sets chosen, a line saying what triage chose, or None when the
    sweep named its organs itself)."""
    asked = sweep.search.organs
    if not isinstance(asked, Triaged):
        return sweep, None
    found = triage_recipient(sweep.recipient, sweep.donor, asked.objective, sweep.search.alignment[0], heldout=sweep.eval.heldout)
    chosen = [s.organ for s in found.scores if s.relative_grad_norm > 0][: asked.triage]
    if not chosen:
        raise SweepError(f"organs: triage found no organ that the {asked.objective} losses reach in {sweep.recipient}")
    record = {**found.to_dict(), "asked_top": asked.triage, "chosen": chosen}
    storage.write_bytes(storage.join(exp_dir, TRIAGE_FILE), (json.dumps(record, indent=1) + "\n").encode())
    search = sweep.search.model_copy(update={"organs": EverySubset(every_subset_of=chosen)})
    line = (f"triage ({asked.objective}): searching every subset of {', '.join(chosen)}"
            f"{'' if len(chosen) == asked.triage else f' (only {len(chosen)} organ(s) have a {asked.objective} gradient)'}; "
            f"scores in {storage.join(exp_dir, TRIAGE_FILE)}")
    return sweep.model_copy(update={"search": search}), line
