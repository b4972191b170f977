"""MFA TextGrid import: label mapping, times carried onto the phonemizer's tokens, all-or-nothing import."""

import pyarrow.parquet as pq
import pytest

from tests.conftest import snapshot
from voxgraft.cli import main
from voxgraft.data.alignment import read_alignments
from voxgraft.data.arpabet import tokens_to_arpabet
from voxgraft.data.corpus import read_corpus
from voxgraft.data.phonemizer import phonemize
from voxgraft.data.textgrid import TextGridError, phone_tokens, textgrid_phones


def textgrid_text(xmax: float, tiers: dict[str, list[tuple[float, float, str]]]) -> str:
    """A long-format Praat TextGrid, as MFA writes them."""
    out = ['File type = "ooTextFile"', 'Object class = "TextGrid"', "", "xmin = 0", f"xmax = {xmax}",
           "tiers? <exists>", f"size = {len(tiers)}", "item []:"]
    for i, (name, entries) in enumerate(tiers.items(), start=1):
        out += [f"    item [{i}]:", '        class = "IntervalTier"', f'        name = "{name}"', "        xmin = 0",
                f"        xmax = {xmax}", f"        intervals: size = {len(entries)}"]
        for j, (s, e, label) in enumerate(entries, start=1):
            out += [f"        intervals [{j}]:", f"            xmin = {s}", f"            xmax = {e}", f'            text = "{label}"']
    return "\n".join(out) + "\n"


def test_arpabet_and_mfa_ipa_labels_map_to_espeak_tokens():
    assert phone_tokens("AY1") == ["ˈ", "aɪ"]
    assert phone_tokens("AH0") == ["ə"]
    assert phone_tokens("IY2") == ["ˌ", "iː"]
    assert phone_tokens("sil") == ["_"]
    assert phone_tokens("") == ["_"]
    assert phone_tokens("tʰ") == ["t"]
    assert phone_tokens("aj") == ["aɪ"]
    assert phone_tokens("ɫ") == ["l"]


def test_phone_tier_reads_as_timed_arpabet(tmp_path):
    path = tmp_path / "u.TextGrid"
    path.write_text(textgrid_text(1.0, {
        "words": [(0.0, 0.1, ""), (0.1, 0.5, "hi"), (0.5, 0.9, "you"), (0.9, 1.0, "")],
        "phones": [(0.0, 0.1, "sil"), (0.1, 0.3, "HH"), (0.3, 0.5, "AY1"), (0.5, 0.6, "j"), (0.6, 0.9, "ɑːɹ"), (0.9, 1.0, "")],
    }))
    assert [(p.phone, p.start, p.end) for p in textgrid_phones(path)] == [
        ("SIL", 0.0, 0.1), ("HH", 0.1, 0.3), ("AY", 0.3, 0.5), ("Y", 0.5, 0.6),
        ("AA", 0.6, 0.75), ("R", 0.75, 0.9), ("SIL", 0.9, 1.0),  # one IPA label, two ARPAbet phones
    ]


def test_missing_tier_and_garbage_are_clear_errors(tmp_path):
    path = tmp_path / "u.TextGrid"
    path.write_text(textgrid_text(1.0, {"words": [(0.0, 1.0, "hi")]}))
    with pytest.raises(TextGridError, match="no tier named 'phones'"):
        textgrid_phones(path)
    path.write_text("this is not a textgrid")
    with pytest.raises(TextGridError, match="u.TextGrid"):
        textgrid_phones(path)


def _textgrids_from_truth(corpus_root, out_dir, shift_s=0.0, label=None):
    """MFA-style TextGrids written from the corpus's exact alignment: ARPAbet phones, "sp" for
    silence, every phone moved by `shift_s` (so gaps and overlaps appear between them)."""
    out_dir.mkdir()
    truth = read_alignments(corpus_root / "alignments.parquet")
    for uid, intervals in truth.items():
        phones = []
        for i, iv in enumerate(intervals):
            arpa = tokens_to_arpabet([iv.phoneme])
            if iv.duration <= 0:
                continue
            if not arpa:
                phones.append((iv.start, iv.end, "sp"))
                continue
            step = iv.duration / len(arpa)
            for k, p in enumerate(arpa):
                move = shift_s if i % 2 else 0.0
                phones.append((iv.start + k * step + move, iv.start + (k + 1) * step + move, label or p + "1"))
        (out_dir / f"{uid}.TextGrid").write_text(textgrid_text(intervals[-1].end, {"phones": phones}))
    return truth


def test_textgrids_import_onto_the_phonemizers_tokens(recipient_copy, tmp_path, capsys):
    truth = _textgrids_from_truth(recipient_copy, tmp_path / "tg", shift_s=0.01)
    (recipient_copy / "alignments.parquet").unlink()
    assert main(["corpus", "import-textgrids", str(recipient_copy), str(tmp_path / "tg")]) == 0
    out = capsys.readouterr().out
    assert "aligned 12 utterances" in out and "overlap(s)" in out
    alignments = read_alignments(recipient_copy / "alignments.parquet")
    for uid, utt in ((u.utterance_id, u) for u in read_corpus(recipient_copy).utterances):
        intervals = alignments[uid]
        assert [iv.phoneme for iv in intervals] == phonemize(utt.text)  # stress marks and "." included
        assert all(a.end == b.start for a, b in zip(intervals, intervals[1:]))
        ref = truth[uid]
        # eSpeak gives some phonemes no time ("ŋ" after "ʌ"): those take half their neighbour's span.
        unheard = [k + 1 < len(ref) and ref[k + 1].duration == 0 and tokens_to_arpabet([ref[k + 1].phoneme]) for k in range(len(ref))]
        ends = [abs(a.end - b.end) for a, b, skip in zip(intervals, ref, unheard) if b.duration > 0 and not skip]
        assert max(ends) <= 0.0101  # every other boundary within the 10 ms the phones were moved
    assert main(["corpus", "check", str(recipient_copy)]) == 0


def test_import_is_all_or_nothing(recipient_copy, tmp_path, capsys):
    before = pq.read_table(recipient_copy / "alignments.parquet")
    _textgrids_from_truth(recipient_copy, tmp_path / "tg")
    tgs = sorted((tmp_path / "tg").iterdir())
    tgs[0].write_text(tgs[0].read_text().replace('"AH1"', '"QQ9"').replace('"D1"', '"QQ9"'))
    tgs[1].unlink()
    (tmp_path / "tg" / "utt00002.TextGrid").write_text(textgrid_text(1.0, {"phones": [(0, 1.0, "M1")] * 40}))
    state = snapshot(recipient_copy)
    assert main(["corpus", "import-textgrids", str(recipient_copy), str(tmp_path / "tg"), "--replace"]) == 2
    err = capsys.readouterr().err
    assert "nothing written" in err and tgs[1].name in err and "missing" in err
    assert "utt00002: the aligner heard only" in err  # the audio says something else
    assert snapshot(recipient_copy) == state
    assert pq.read_table(recipient_copy / "alignments.parquet").equals(before)


def test_existing_alignments_are_kept_without_replace(recipient_copy, tmp_path, capsys):
    _textgrids_from_truth(recipient_copy, tmp_path / "tg")
    state = snapshot(recipient_copy)
    assert main(["corpus", "align", str(recipient_copy), str(tmp_path / "tg"), "--aligner", "textgrid"]) == 2
    assert capsys.readouterr().err.strip().endswith("pass --replace to overwrite it, or --out to write elsewhere")
    assert snapshot(recipient_copy) == state
