"""corpus align: pocketsphinx against eSpeak NG's exact timings, WhisperX JSON with gaps and
overlaps, compare-alignments, and how times are carried onto the phonemizer's tokens."""

import json

import pytest

from tests.conftest import snapshot
from voxgraft.cli import main
from voxgraft.data.alignment import read_alignments
from voxgraft.data.compare_alignments import compare_alignments
from voxgraft.data.corpus import read_corpus
from voxgraft.data.phonemizer import phonemize
from voxgraft.data.pocketsphinx_align import transcript_words, with_clause_pauses
from voxgraft.data.token_timing import TimedPhone, place


def test_pocketsphinx_finds_espeaks_boundaries(corpora, tmp_path, capsys):
    out = tmp_path / "ps.parquet"
    assert main(["corpus", "align", str(corpora["recipient"]), "--out", str(out)]) == 0
    assert "aligned 12 utterances" in capsys.readouterr().out
    c = compare_alignments(read_alignments(out), read_alignments(corpora["recipient"] / "alignments.parquet"))
    assert c.utterances == 12 and c.boundaries > 300
    assert c.mean_ms <= 20.0 and c.median_ms <= 12.0  # chance (equal-length phones) is ~90 ms
    assert c.label_agreement > 0.99
    assert main(["corpus", "compare-alignments", str(out), str(corpora["recipient"])]) == 0
    assert f"error mean {c.mean_ms:.1f} ms" in capsys.readouterr().out


def _whisperx_json(corpus_root, out_dir):
    """WhisperX-schema JSON from the exact alignment, with one overlap, one gap and one untimed
    word per utterance; only utterances whose eSpeak words are its text's words."""
    out_dir.mkdir()
    truth = read_alignments(corpus_root / "alignments.parquet")
    written = {}
    for utt in read_corpus(corpus_root).utterances:
        spans, start = [], None
        for iv in truth[utt.utterance_id][1:]:
            if iv.phoneme in (" ", ",", ".", "?", "!", "_") and start is not None:
                spans.append([start, iv.start])
                start = None
            elif iv.phoneme not in (" ", ",", ".", "?", "!", "_") and start is None:
                start = iv.start
        words = transcript_words(utt.text)
        if len(words) != len(spans) or len(words) < 4:
            continue
        spans[1][0] = spans[0][1] - 0.03  # overlaps the first word
        spans[2][1] -= 0.06  # ends early: a gap before the fourth word
        entries = [{"word": w, "start": round(s, 3), "end": round(e, 3), "score": 0.9} for w, (s, e) in zip(words, spans)]
        del entries[-1]["start"], entries[-1]["end"]  # WhisperX leaves some words untimed
        (out_dir / f"{utt.utterance_id}.json").write_text(json.dumps({"segments": [{"start": 0, "end": 1, "text": utt.text, "words": entries}]}))
        written[utt.utterance_id] = utt.text
    return written


def test_whisperx_json_with_gaps_and_overlaps_imports(recipient_copy, tmp_path, capsys):
    written = _whisperx_json(recipient_copy, tmp_path / "wx")
    assert len(written) >= 6
    for path in recipient_copy.glob("wavs/*.wav"):
        if path.stem not in written:
            path.unlink()
    lines = [ln for ln in (recipient_copy / "metadata.csv").read_text().splitlines() if ln.split("|")[0] in written]
    (recipient_copy / "metadata.csv").write_text("\n".join(lines) + "\n")
    truth = read_alignments(recipient_copy / "alignments.parquet")
    out = tmp_path / "wx.parquet"
    assert main(["corpus", "align", str(recipient_copy), str(tmp_path / "wx"), "--aligner", "whisperx-json", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    gaps = int(printed.split("repaired ")[1].split(" gap(s)")[0])
    assert gaps >= len(written) and f"and {len(written)} overlap(s)" in printed  # clause pauses are gaps too
    aligned = read_alignments(out)
    for uid, text in written.items():
        assert [iv.phoneme for iv in aligned[uid]] == phonemize(text)
        assert aligned[uid][-1].end == pytest.approx(truth[uid][-1].end)
    c = compare_alignments(aligned, {uid: truth[uid] for uid in written})
    assert c.median_ms < 40.0  # word times exact but two; phones inside words from eSpeak's proportions


def test_bad_whisperx_json_is_a_per_utterance_error(recipient_copy, tmp_path, capsys):
    (tmp_path / "wx").mkdir()
    for utt in read_corpus(recipient_copy).utterances:
        (tmp_path / "wx" / f"{utt.utterance_id}.json").write_text('{"segments": [{"words": [{"start": 0.1}]}]}')
    state = snapshot(recipient_copy)
    code = main(["corpus", "align", str(recipient_copy), str(tmp_path / "wx"), "--aligner", "whisperx-json", "--replace"])
    assert code == 2
    err = capsys.readouterr().err
    assert "nothing written; 12 utterance(s) could not be aligned" in err and "not WhisperX alignment JSON" in err
    assert snapshot(recipient_copy) == state


def test_source_folder_is_required_for_imported_aligners(recipient_copy, tmp_path, capsys):
    assert main(["corpus", "align", str(recipient_copy), "--aligner", "textgrid", "--out", str(tmp_path / "a.parquet")]) == 2
    assert "--aligner textgrid needs the folder of its files" in capsys.readouterr().err
    assert not (tmp_path / "a.parquet").exists()


def test_silence_goes_to_the_boundary_and_overlaps_meet_in_the_middle():
    tokens = ["_", "h", "ˈ", "aɪ", " ", "j", "uː", "."]
    found = [TimedPhone("HH", 0.1, 0.3), TimedPhone("AY1", 0.3, 0.5), TimedPhone("SIL", 0.5, 0.6),
             TimedPhone("Y", 0.6, 0.75), TimedPhone("UW", 0.7, 0.9)]
    p = place(found, tokens, 1.0)
    spans = [(iv.phoneme, round(iv.start, 3), round(iv.end, 3)) for iv in p.intervals]
    assert spans == [("_", 0.0, 0.1), ("h", 0.1, 0.3), ("ˈ", 0.3, 0.3), ("aɪ", 0.3, 0.5), (" ", 0.5, 0.6),
                     ("j", 0.6, 0.725), ("uː", 0.725, 0.9), (".", 0.9, 1.0)]
    assert (p.gaps, p.overlaps, p.agreement) == (0, 1, 1.0)


def test_a_phoneme_the_aligner_missed_shares_its_neighbours_time():
    p = place([TimedPhone("K", 0.0, 0.2), TimedPhone("T", 0.2, 0.4)], ["k", "æ", "t"], 0.4)
    assert [(iv.phoneme, iv.start, iv.end) for iv in p.intervals] == [("k", 0.0, 0.1), ("æ", 0.1, 0.2), ("t", 0.2, 0.4)]
    assert p.agreement == pytest.approx(2 / 3)


def test_the_second_pass_allows_pauses_only_at_clause_ends():
    names = ["hello", "there", "voxgraft_oov_0"]
    assert with_clause_pauses("Hello, there zork.", names) == ["<sil>", "hello", "<sil>", "there", "voxgraft_oov_0", "<sil>"]
    assert with_clause_pauses("Hello there zork", names) == ["<sil>", "hello", "there", "voxgraft_oov_0", "<sil>"]


def test_bad_output_and_comparison_paths_are_one_line_errors(recipient_copy, tmp_path, capsys):
    state = snapshot(recipient_copy)
    for out in (tmp_path / "no" / "such" / "a.parquet", tmp_path):
        assert main(["corpus", "align", str(recipient_copy), "--out", str(out), "--replace"]) == 2
        assert "cannot write the alignment table there" in capsys.readouterr().err
    (tmp_path / "junk.parquet").write_bytes(b"not parquet")
    assert main(["corpus", "compare-alignments", str(tmp_path / "junk.parquet"), str(recipient_copy)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "not a readable alignment table" in err and len(err.splitlines()) == 1
    assert snapshot(recipient_copy) == state and sorted(p.name for p in tmp_path.iterdir()) == ["junk.parquet", "recipient"]
