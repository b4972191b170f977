"""Refuse, before Ray starts, an objective that a sweep cannot measure for its donor.

Without the donor's alignments there are no true durations, so `heldout_duration_mae` (and its
transfer) is never reported: Tune would fail every trial on the missing metric. A transfer
objective needs both of its anchors and a gap between them; when the untouched recipient and
the donor measure the same, or the donor's side cannot be measured, every trial would score
NaN and nothing could be ranked.
"""

from __future__ import annotations

import math

from voxgraft.evaluate.anchors import CADENCE_TRANSFERS, TIMBRE_TRANSFERS, Anchors
from voxgraft.evaluate.artifacts import rejection
from voxgraft.evaluate.registry import JUDGED
from voxgraft.search_spaces.schema import Sweep

NEEDS_DONOR_ALIGNMENTS = ("heldout_duration_mae", "transfer_heldout_duration_mae")
ALIGN_HINT = "align it with `voxgraft corpus align DONOR` (or import WhisperX/MFA output), or choose another objective"


class UnmeasurableObjective(ValueError):
    pass


def check_judged_objectives(sweep: Sweep) -> None:
    """An objective only the judges measure, in a sweep that turns them off, would be NaN in every trial."""
    needs = [m for m in _metrics(sweep) if m in JUDGED]
    if needs and not sweep.eval.judges:
        raise UnmeasurableObjective(f"objective {needs[0]} is measured by the judges, but the sweep sets eval.judges: false: "
                                    "turn them on or choose another objective")


def _metrics(sweep: Sweep) -> list[str]:
    return [o.metric for o in sweep.objectives]  # ASHA stops trials on the first of these


def check_donor_alignments(sweep: Sweep, donor_aligned: bool) -> None:
    needs = [m for m in _metrics(sweep) if m in NEEDS_DONOR_ALIGNMENTS]
    if needs and not donor_aligned:
        raise UnmeasurableObjective(f"objective {needs[0]} needs the donor's alignments and {sweep.donor} has none: {ALIGN_HINT}")


def _defined(anchors: Anchors, measure: str) -> bool:
    return math.isfinite(anchors.transfer(measure, anchors.donor.get(measure, math.nan)))


def check_anchors(sweep: Sweep, anchors: Anchors) -> None:
    for metric in _metrics(sweep):
        if not metric.startswith("transfer_"):
            continue
        measure = metric.removeprefix("transfer_")
        parts = {"cadence": CADENCE_TRANSFERS, "timbre": TIMBRE_TRANSFERS}.get(measure, (measure,))
        if not any(_defined(anchors, p) for p in parts):
            ends = [(p, anchors.recipient.get(p, math.nan), anchors.donor.get(p, math.nan)) for p in parts]
            shown = ", ".join(f"{p}: recipient {low:.4g}, donor {high:.4g}" for p, low, high in ends)
            unmeasured = any(not (math.isfinite(low) and math.isfinite(high)) for _, low, high in ends)
            raise UnmeasurableObjective(
                f"objective {metric} cannot be measured for this donor (its two ends, {shown}, are unmeasured or too close): "
                f"{ALIGN_HINT if unmeasured else 'choose another objective'}"
            )


def mas_warnings(sweep: Sweep, anchors: Anchors) -> list[str]:
    """What the sweep should hear before Ray starts when MAS on the untouched recipient already
    collapses on this donor."""
    health = anchors.recipient_mas_health
    if not health or not rejection(health)[1]:
        return []
    seen = f"{health['one_frame_token_share']:.0%} of the donor's phonemes get one frame, one id holds up to {health['token_frame_share_max']:.0%} of an utterance"
    out = []
    if "learned" in sweep.search.alignment:
        out.append(
            f"MAS on the untouched recipient collapses on this donor ({seen}): learned-alignment trials will be rejected; "
            "align the donor (`voxgraft corpus align DONOR`) and use forced alignment"
        )
    if anchors.donor_timing == "none":
        out.append(f"the donor has no alignments and MAS cannot time it ({seen}): its rate and pauses are unmeasured, cadence transfers NaN")
    return out
