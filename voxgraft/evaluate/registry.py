"""Every metric a transplant trial reports, declared once.

The results store's metric columns, the objectives a sweep file may name, the direction `pick`
ranks by, the anchors' minimum gaps, the value an untouched recipient has (which the organ
Shapley values use for the empty organ set) and the generated table in docs/metrics.md all
derive from `METRICS`. A new metric is one `Metric(...)` line here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Metric:
    name: str
    direction: Literal["min", "max"] | None  # which way is better; None: neither (a raw measure)
    meaning: str
    objective: bool = False  # a sweep file may optimize it
    untouched: float | None = None  # its value for the untouched recipient, where known exactly
    min_gap: float | None = None  # smallest recipient-donor difference a transfer normalizes by
    unit: str = ""
    group: str = "evaluation"
    judged: bool = False  # measured by the judges (Whisper, DNSMOS): NaN in a sweep that turns them off


def _m(name: str, direction: str | None, meaning: str, **kw) -> Metric:
    return Metric(name, direction, meaning, **kw)  # type: ignore[arg-type]


_TRAINING = [
    _m(f"train_{loss}", "min", f"mean {what} since the last evaluation", group="training")
    for loss, what in (
        ("duration", "duration loss"), ("kl", "KL loss"), ("mel", "mel L1 loss"), ("adversarial", "generator adversarial loss"),
        ("feature_matching", "feature-matching loss"), ("discriminator", "discriminator loss"),
        ("total", "weighted total loss"), ("grad_norm", "gradient norm of the trained organs"),
        ("style_kl", "style-VAE KL loss"),
    )
]
_REGISTRY = [
    _m("heldout_loss", "min", "the plan's weighted generator losses (no adversarial) on the donor's held-out utterances", objective=True, group="held-out"),
    _m("heldout_mel_l1", "min", "log-mel L1 of decoder(posterior mean) against the held-out audio", objective=True, group="held-out"),
    _m("heldout_duration_mae", "min", "mean |log predicted - log donor| frames per phoneme (donors with alignments)", objective=True, min_gap=0.05, unit="log frames", group="held-out"),
    _m("mas_boundary_error_ms", "min", "mean |MAS boundary - true boundary| over held-out phoneme ends: the learned alignment on measured ground truth (aligned donors)", unit="ms", group="held-out"),
    _m("forced_boundary_error_ms", "min", "the same for the forced path a forced trial trains on (after its one-frame-per-token fix-up)", unit="ms", group="held-out"),
    *_TRAINING,
    _m("peak_memory_mb", "min", "peak accelerator memory (peak RSS on CPU)", unit="MB", group="cost"),
    _m("steps_per_s", "max", "training steps per second since the last evaluation", group="cost"),
    _m("compute_s", "min", "the trial's time in training steps and evaluations so far", unit="s", group="cost"),
    _m("speaking_rate", None, "phonemes per second of the held-out sentences as the transplant speaks them", min_gap=0.5, unit="phonemes/s"),
    _m("pause_share", None, "share of the spoken span that is pause", min_gap=0.02),
    _m("speaker_sim_donor", "max", "GE2E cosine to the donor's speaker centroid", objective=True, min_gap=0.05),
    _m("speaker_sim_recipient", "max", "GE2E cosine to the untouched recipient's centroid"),
    _m("f0_median", None, "median F0 of voiced frames", min_gap=5.0, unit="Hz"),
    _m("f0_range", None, "F0 range, 5th to 95th percentile", min_gap=1.0, unit="semitones"),
    _m("mcd", "min", "mel cepstral distortion against the donor's recording of the sentence (DTW)", objective=True, min_gap=0.5, unit="dB"),
    _m("duration_drift", "min", "mean |log frames - log recipient frames| per phoneme", objective=True, untouched=0.0, group="drift"),
    _m("speaker_drift", "min", "the recipient's own speaker_sim_recipient minus the transplant's", objective=True, untouched=0.0, group="drift"),
    *[
        _m(f"transfer_{raw}", "max", f"{raw}: 0 = untouched recipient, 1 = the donor's recordings",
           objective=raw in ("speaking_rate", "speaker_sim_donor"), untouched=0.0, group="transfer")
        for raw in ("speaking_rate", "pause_share", "heldout_duration_mae", "speaker_sim_donor", "f0_median", "f0_range", "mcd")
    ],
    _m("transfer_cadence", "max", "mean of the defined rate, pause and duration transfers", objective=True, untouched=0.0, group="transfer"),
    _m("transfer_timbre", "max", "mean of the defined speaker, median F0 and MCD transfers", objective=True, untouched=0.0, group="transfer"),
    _m("wer", "min", "Whisper's word error rate on the held-out sentences, pooled (evaluate/intelligibility.py)", objective=True, group="judges", judged=True),
    _m("cer", "min", "Whisper's character error rate on the held-out sentences, pooled", group="judges", judged=True),
    _m("dnsmos_ovrl", "max", "DNSMOS P.835 overall quality of the held-out speech as one recording (evaluate/quality.py)", objective=True, unit="MOS", group="judges", judged=True),
    _m("dnsmos_sig", "max", "DNSMOS P.835 speech-signal quality", unit="MOS", group="judges", judged=True),
    _m("dnsmos_bak", "max", "DNSMOS P.835 background (noise) quality", unit="MOS", group="judges", judged=True),
    _m("dnsmos_p808", "max", "DNSMOS P.808 overall quality", unit="MOS", group="judges", judged=True),
    _m("intelligibility_drift", "min", "wer minus the untouched recipient's wer: the words a transplant lost", objective=True, untouched=0.0, group="drift", judged=True),
    _m("quality_drift", "min", "the untouched recipient's dnsmos_ovrl minus the transplant's: the quality it lost", objective=True, untouched=0.0, group="drift", judged=True),
    _m("clipping_share", "min", "share of samples at or beyond full scale (threshold 0.01)", group="rejection"),
    _m("silence_share", "min", "share of 20 ms frames quieter than -60 dBFS (threshold 0.85)", group="rejection"),
    _m("spectral_flatness", "min", "median spectral flatness of the loud frames: noise, warble, buzz (threshold 0.30)", group="rejection"),
    _m("highband_ratio", "min", "share of the loud frames' energy above 7 kHz: crackle (threshold 0.25)", group="rejection"),
    _m("one_frame_token_share", "min", "share of the ids of the path the trial trains on (MAS or forced, held-out) given exactly one frame: MAS collapse (threshold 0.5)", group="rejection"),
    _m("token_frame_share_max", "min", "largest share of a held-out utterance's frames held by one id of that path (threshold 0.4)", group="rejection"),
    _m("words_lost", "min", "wer above the worse of the recipient's and the donor's (threshold 0.10)", group="rejection", judged=True),
    _m("quality_lost", "min", "dnsmos_ovrl below the worse of the recipient's and the donor's (threshold 0.30)", group="rejection", judged=True),
    _m("loss_spike", "min", "largest training loss since the last evaluation over their median (threshold 5)", group="rejection"),
    _m("rejection_score", "min", "the worst rejection sign over its threshold; >= 1 means rejected", objective=True, group="rejection"),
    _m("style_kl", "min", "KL of the donor's held-out style posteriors to N(0, I) (styled recipients)", objective=True, group="style"),
    _m("style_silhouette", "max", "donor recordings vs the untouched recipient's speech in the style latent", objective=True, group="style"),
]
# the order above is the results store's column order
METRICS: dict[str, Metric] = {m.name: m for m in _REGISTRY}
OBJECTIVES = tuple(name for name, m in METRICS.items() if m.objective)
MIN_GAP = {name: m.min_gap for name, m in METRICS.items() if m.min_gap is not None}
JUDGED = tuple(name for name, m in METRICS.items() if m.judged)


def direction(name: str) -> str | None:
    """'min' or 'max' for a registered metric, None where neither side is better (a raw
    measure such as speaking_rate: rank by its transfer instead); KeyError otherwise."""
    return METRICS[name].direction


def untouched_value(name: str) -> float | None:
    """The untouched recipient's value of a metric where it is known exactly (transfers and
    drifts are 0 by definition), else None."""
    return METRICS[name].untouched if name in METRICS else None


def markdown_table() -> str:
    """docs/metrics.md: every metric with its group, direction, whether a sweep may optimize it,
    its unit and its meaning (`python -m voxgraft.evaluate.registry > docs/metrics.md`)."""
    lines = [
        "# Metrics",
        "",
        "Every metric a transplant trial reports: each is a float64 column of the results store.",
        "Generated from `voxgraft/evaluate/registry.py` (`make docs`); a test fails when this page is stale.",
        "`objective`: a sweep file may name it under `objectives`. `better`: which way `pick` ranks it",
        "(raw measures have no better side: rank by their transfer). `untouched`: its value for the",
        "untouched recipient, by definition.",
        "",
        "| metric | group | better | objective | unit | untouched | meaning |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in METRICS.values():
        untouched = "" if m.untouched is None else f"{m.untouched:g}"
        lines.append(f"| `{m.name}` | {m.group} | {m.direction or '-'} | {'yes' if m.objective else ''} | {m.unit} | {untouched} | {m.meaning.replace('|', chr(92) + '|')} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
