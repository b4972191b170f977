"""The knobs a user already has, on the tiny recipient: the tempo knob's frame total is the
donor's to within one rounding step, the voice knob moves the pitch to the donor's, and both
are measured exactly as a transplant is."""

import math

import numpy as np
import pytest

from voxgraft.data.training_set import open_training_set
from voxgraft.evaluate.anchors import compute_anchors
from voxgraft.evaluate.evaluator import Evaluator
from voxgraft.evaluate.knobs import TEMPO_UTTERANCES, convert, fit_warp, measure_knobs, tempo_scale, warp
from voxgraft.evaluate.prosody import f0_stats
from voxgraft.evaluate.render import Utterances
from voxgraft.evaluate.speaker import SpeakerEncoder
from voxgraft.models.checkpoints import load_recipient
from voxgraft.models.inference import predict_durations
from voxgraft.trainables.transplant import recipient_symbols


def _donor(tiny_recipient, corpora, name):
    return open_training_set(corpora[name], "forced", symbols=recipient_symbols(tiny_recipient[0]), heldout=4)


@pytest.fixture(scope="module")
def model(tiny_recipient):
    return load_recipient(tiny_recipient[0]).model.eval()


@pytest.mark.parametrize("donor", ["cadence_donor", "timbre_donor"])
def test_the_tempo_knob_speaks_the_donors_frame_total_within_rounding(model, tiny_recipient, corpora, donor):
    data = _donor(tiny_recipient, corpora, donor)
    scale, frames, target = tempo_scale(model, data)
    indices = data.train_indices[:TEMPO_UTTERANCES]
    assert target == sum(data.dataset.frame_lengths[i] for i in indices)
    spoken = 0
    for i in indices:  # the recipient itself, at that scale, as render() speaks it
        ids = data.dataset[i].token_ids[None]
        spoken += int(predict_durations(model, ids, ids >= 0, length_scale=scale).clamp(min=1).sum())
    assert spoken == frames
    tokens = sum(len(data.dataset[i].token_ids) for i in indices)
    assert abs(frames - target) <= max(1, tokens // 100)  # one rounding step moves a few tokens by a frame each
    if donor == "cadence_donor":
        assert scale > 1.2  # the slow donor: the knob slows the recipient down


def test_the_voice_knob_moves_the_pitch_to_the_donors(model, tiny_recipient, corpora):
    data = _donor(tiny_recipient, corpora, "timbre_donor")
    anchors = compute_anchors(model, data, SpeakerEncoder.pretrained())
    evaluator = Evaluator(data, anchors)
    (tempo, tempo_metrics), (voice, voice_metrics) = measure_knobs(model, data, evaluator)
    assert tempo.name == "tempo" and voice.name == "voice" and voice.setting["f0_ratio"] > 1.5
    donor_f0, recipient_f0 = anchors.donor["f0_median"], anchors.recipient["f0_median"]
    assert abs(math.log(voice_metrics["f0_median"] / donor_f0)) < abs(math.log(recipient_f0 / donor_f0)) / 4, voice_metrics
    assert voice_metrics["transfer_f0_median"] > 0.75
    assert voice.rendering.frames == anchors.recipient_frames and voice_metrics["duration_drift"] == 0.0
    assert voice_metrics["heldout_duration_mae"] == anchors.recipient["heldout_duration_mae"]  # the voice knob keeps the timing
    for metrics in (tempo_metrics, voice_metrics):  # measured as a transplant is; no judges in this sweep: NaN, said plainly
        assert {"rejection_score", "transfer_timbre", "speaker_drift"} <= set(metrics) and math.isnan(metrics["wer"])


def test_warping_moves_a_formant_by_the_factor_and_the_fit_finds_it():
    bins = np.arange(513)
    recipient = np.log(1e-3 + np.exp(-0.5 * ((bins - 100) / 8.0) ** 2))[None].repeat(4, 0)
    moved = np.log(warp(np.exp(recipient), 1.2))
    assert abs(int(np.argmax(moved[0])) - 120) <= 1
    assert fit_warp(recipient, moved, 22050) == pytest.approx(1.2, abs=0.011)


def test_the_world_conversion_keeps_length_and_level_and_shifts_the_pitch(model, tiny_recipient, corpora):
    data = _donor(tiny_recipient, corpora, "cadence_donor")
    utterance = Utterances.from_training_set(data, data.heldout_indices[:1])
    wav, rate = utterance.recordings[0], utterance.sample_rate
    out = convert(wav, rate, 1.5, 1.0)
    assert len(out) == len(wav) and np.max(np.abs(out)) <= 0.99
    assert np.sqrt(np.mean(out**2)) == pytest.approx(np.sqrt(np.mean(wav**2)), rel=0.25)
    assert f0_stats([out], rate)[0] / f0_stats([wav], rate)[0] == pytest.approx(1.5, rel=0.1)
