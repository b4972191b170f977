"""Synthetic corpora: layout, determinism, exact alignments, and that the presets differ as promised."""

import time

import librosa
import numpy as np
import pytest
import soundfile as sf

from tests.conftest import SEED, SMALL_COUNT, snapshot
from voxgraft.cli import main
from voxgraft.data.alignment import read_alignments
from voxgraft.data.corpus import read_corpus
from voxgraft.data.features import FeatureParams
from voxgraft.data.phonemizer import phonemize
from voxgraft.data.symbols import SPECIALS
from voxgraft.data.synth import synthesize_corpus
from voxgraft.data.voices import VOICE_PRESETS, UnknownPresetError

HOP = FeatureParams().hop_length


def test_ljspeech_layout(corpora):
    root = corpora["recipient"]
    lines = (root / "metadata.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == SMALL_COUNT
    for line in lines:
        utt_id, text, normalized = line.split("|")
        assert text == normalized
        info = sf.info(str(root / "wavs" / f"{utt_id}.wav"))
        assert (info.samplerate, info.channels, info.subtype) == (22050, 1, "PCM_16")
    assert (root / "symbols.json").exists()
    assert not [p for p in root.parent.iterdir() if p.name.startswith(".")]  # no temporary leftovers


def test_same_seed_gives_byte_identical_corpus(corpora, tmp_path):
    again = synthesize_corpus("recipient", SMALL_COUNT, SEED, tmp_path / "again")
    original = {k: v for k, v in snapshot(corpora["recipient"]).items() if not k.startswith(".voxgraft_cache")}
    assert snapshot(again) == original


@pytest.mark.parametrize("preset", ["woman", "woman_whisper"])
def test_breathy_and_whispered_voices_are_deterministic_too(preset, tmp_path):
    """Their noise would otherwise be seeded from the clock (in seconds), so runs a second
    apart differed."""
    first = synthesize_corpus(preset, 2, SEED, tmp_path / "first")
    time.sleep(1.1)
    second = synthesize_corpus(preset, 2, SEED, tmp_path / "second")
    assert snapshot(first) == snapshot(second)


def test_presets_speak_the_same_texts(corpora):
    texts = {name: (root / "metadata.csv").read_text() for name, root in corpora.items()}
    assert len(set(texts.values())) == 1


@pytest.mark.parametrize("preset", ["recipient", "cadence_donor", "timbre_donor"])
def test_alignment_is_exact_and_matches_the_phonemizer(corpora, preset):
    root = corpora[preset]
    alignments = read_alignments(root / "alignments.parquet")
    corpus = read_corpus(root)
    assert len(alignments) == len(corpus.utterances) == SMALL_COUNT
    for utt in corpus.utterances:
        intervals = alignments[utt.utterance_id]
        audio_s = sf.info(str(utt.audio_path)).frames / 22050
        assert abs(intervals[-1].end - audio_s) <= HOP / 22050  # ends within one frame of the audio
        assert intervals[0].start == 0.0
        assert all(a.end == b.start for a, b in zip(intervals, intervals[1:]))
        assert [iv.phoneme for iv in intervals] == phonemize(utt.text, VOICE_PRESETS[preset])
        if preset != "cadence_donor":  # its word gaps drop linking sounds between words
            assert [iv.phoneme for iv in intervals] == phonemize(utt.text)


def test_alignment_boundaries_are_where_the_sound_is(corpora):
    """Leading pause ends when the audio becomes loud; the first phoneme is not silence."""
    root = corpora["recipient"]
    alignments = read_alignments(root / "alignments.parquet")
    for utt in read_corpus(root).utterances[:5]:
        audio, sr = sf.read(str(utt.audio_path), dtype="float32")
        lead = alignments[utt.utterance_id][0]
        assert lead.phoneme == "_"
        assert np.abs(audio[: int(lead.end * sr)]).max(initial=0) < 0.05
        first_phone = alignments[utt.utterance_id][1]
        segment = audio[int(first_phone.start * sr) : int(first_phone.end * sr) + 1024]
        assert np.abs(segment).max() > 0.01


def _rates(root):
    """Phonemes per second of trimmed speech, from the audio alone (not the alignments the
    synthesizer wrote, so this checks the sound itself)."""
    corpus = read_corpus(root)
    out = []
    for utt in corpus.utterances:
        audio, sr = sf.read(str(utt.audio_path), dtype="float32")
        trimmed, _ = librosa.effects.trim(audio, top_db=40.0)
        phonemes = sum(1 for t in phonemize(utt.text) if t not in SPECIALS)
        out.append(phonemes / (len(trimmed) / sr))
    return np.array(out)


def _median_f0(root):
    f0s = []
    for utt in read_corpus(root).utterances[:6]:
        audio, sr = sf.read(str(utt.audio_path), dtype="float32")
        f0, voiced, _ = librosa.pyin(audio, fmin=50, fmax=600, sr=sr, frame_length=1024)
        f0s.append(f0[voiced])
    return float(np.median(np.concatenate(f0s)))


def test_cadence_donor_is_35_to_50_percent_slower_measured_from_audio(corpora):
    slower = 1 - _rates(corpora["cadence_donor"]).mean() / _rates(corpora["recipient"]).mean()
    assert 0.35 <= slower <= 0.50, slower


def test_timbre_donor_keeps_pace_but_changes_pitch_measured_from_audio(corpora):
    rate_change = abs(1 - _rates(corpora["timbre_donor"]).mean() / _rates(corpora["recipient"]).mean())
    assert rate_change < 0.1
    f0_recipient, f0_timbre = _median_f0(corpora["recipient"]), _median_f0(corpora["timbre_donor"])
    assert abs(f0_timbre - f0_recipient) / f0_recipient >= 0.30, (f0_recipient, f0_timbre)


def test_unknown_preset_fails_and_writes_nothing(tmp_path):
    with pytest.raises(UnknownPresetError, match="recipient"):
        synthesize_corpus("robot", 3, 0, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_cli_synth_bad_inputs(tmp_path, capsys):
    assert main(["corpus", "synth", "--preset", "robot", str(tmp_path / "a")]) == 2
    assert "unknown preset 'robot'" in capsys.readouterr().err
    assert main(["corpus", "synth", "--preset", "recipient", "--count", "0", str(tmp_path / "a")]) == 2
    assert "--count" in capsys.readouterr().err
    assert main(["corpus", "synth", str(tmp_path / "a")]) == 2
    assert "exactly one of" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()

    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("mine")
    before = snapshot(busy)
    assert main(["corpus", "synth", "--preset", "recipient", "--count", "2", str(busy)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert snapshot(busy) == before and (busy / "keep.txt").read_text() == "mine"


def test_cli_synth_all_presets(tmp_path):
    assert main(["corpus", "synth", "--all-presets", "--count", "2", str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["recipient", "cadence_donor", "timbre_donor", "man", "woman", "man_whisper", "woman_whisper"])
    for name in names:
        assert len(read_corpus(tmp_path / name).utterances) == 2
