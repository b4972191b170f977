"""MFA TextGrid import: label mapping, word boundaries, repair, and all-or-nothing import."""

import pyarrow.parquet as pq
import pytest

from tests.conftest import snapshot
from voxgraft.cli import main
from voxgraft.data.alignment import read_alignments
from voxgraft.data.corpus import read_corpus
from voxgraft.data.textgrid import TextGridError, phone_tokens, read_textgrid


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


def test_read_textgrid_with_word_boundaries(tmp_path):
    path = tmp_path / "u.TextGrid"
    path.write_text(textgrid_text(1.0, {
        "words": [(0.0, 0.1, ""), (0.1, 0.5, "hi"), (0.5, 0.9, "you"), (0.9, 1.0, "")],
        "phones": [(0.0, 0.1, "sil"), (0.1, 0.3, "HH"), (0.3, 0.5, "AY1"), (0.5, 0.6, "Y"), (0.6, 0.9, "UW1"), (0.9, 1.0, "")],
    }))
    intervals = read_textgrid(path)
    assert [iv.phoneme for iv in intervals] == ["_", "h", "ˈ", "aɪ", " ", "j", "ˈ", "uː", "_"]
    stress = intervals[2]
    assert stress.start == stress.end == 0.3


def test_missing_tier_and_garbage_are_clear_errors(tmp_path):
    path = tmp_path / "u.TextGrid"
    path.write_text(textgrid_text(1.0, {"words": [(0.0, 1.0, "hi")]}))
    with pytest.raises(TextGridError, match="no tier named 'phones'"):
        read_textgrid(path)
    path.write_text("this is not a textgrid")
    with pytest.raises(TextGridError, match="u.TextGrid"):
        read_textgrid(path)


def _textgrids_for(corpus_root, out_dir, label="AH0", overlap=False):
    """A TextGrid per utterance: three phones with a gap and, optionally, an overlap."""
    import soundfile as sf

    out_dir.mkdir()
    for utt in read_corpus(corpus_root).utterances:
        total = round(sf.info(str(utt.audio_path)).duration, 4)
        second_start = 0.35 if overlap else 0.45
        phones = [(0.0, 0.1, "sil"), (0.1, 0.4, "K"), (second_start, 0.7, label), (0.8, total, "T")]
        (out_dir / f"{utt.utterance_id}.TextGrid").write_text(textgrid_text(total, {"phones": phones}))


def test_import_repairs_gaps_and_overlaps(recipient_copy, tmp_path, capsys):
    (recipient_copy / "alignments.parquet").unlink()
    _textgrids_for(recipient_copy, tmp_path / "tg", overlap=True)
    assert main(["corpus", "import-textgrids", str(recipient_copy), str(tmp_path / "tg")]) == 0
    alignments = read_alignments(recipient_copy / "alignments.parquet")
    assert len(alignments) == len(read_corpus(recipient_copy).utterances)
    first = next(iter(alignments.values()))
    assert [iv.phoneme for iv in first] == ["_", "k", "ə", "_", "t"]  # the 0.1 s gap became a pause
    assert first[1].end == first[2].start == pytest.approx(0.375)  # the overlap was split
    assert all(a.end == b.start for a, b in zip(first, first[1:]))
    assert main(["corpus", "check", str(recipient_copy)]) == 0


def test_import_is_all_or_nothing(recipient_copy, tmp_path, capsys):
    before = pq.read_table(recipient_copy / "alignments.parquet")
    _textgrids_for(recipient_copy, tmp_path / "tg", label="QQ9")
    first_tg = sorted((tmp_path / "tg").iterdir())[0]
    sorted((tmp_path / "tg").iterdir())[1].unlink()
    state = snapshot(recipient_copy)
    assert main(["corpus", "import-textgrids", str(recipient_copy), str(tmp_path / "tg")]) == 2
    err = capsys.readouterr().err
    assert "nothing imported" in err and "missing" in err and "'QQ9'" in err and first_tg.name in err
    assert snapshot(recipient_copy) == state
    assert pq.read_table(recipient_copy / "alignments.parquet").equals(before)


def test_short_format_with_overlaps_is_read_as_written(tmp_path):
    path = tmp_path / "short.TextGrid"
    path.write_text('File type = "ooTextFile"\nObject class = "TextGrid"\n\n0\n1.5\n<exists>\n1\n"IntervalTier"\n'
                    '"phones"\n0\n1.5\n3\n0\n0.7\n"AH0"\n0.6\n1.2\n"T"\n1.2\n1.5\n""\n')
    assert [(iv.phoneme, iv.start, iv.end) for iv in read_textgrid(path)] == [
        ("ə", 0.0, 0.7), ("t", 0.6, 1.2), ("_", 1.2, 1.5)
    ]
