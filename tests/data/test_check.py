"""`voxgraft corpus check`: every problem named on one line, exit 2 when unusable, nothing written."""

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import snapshot
from voxgraft.cli import main
from voxgraft.data.check import check_corpus, load_corpus
from voxgraft.data.corpus import CorpusError


def run_check(capsys, root):
    before = snapshot(root) if root.is_dir() else None
    code = main(["corpus", "check", str(root)])
    out = capsys.readouterr().out
    if before is not None:
        assert snapshot(root) == before  # check writes nothing
    return code, out


def test_clean_synthetic_corpus_passes(corpora, capsys):
    code, out = run_check(capsys, corpora["recipient"])
    assert code == 0
    assert "ok:" in out and "12 utterances" in out and "with alignments" in out


def _set_metadata(root, lines: list[bytes]):
    (root / "metadata.csv").write_bytes(b"\n".join(lines) + b"\n")


def _line(root, n):
    return (root / "metadata.csv").read_bytes().splitlines()[n]


def _wav(root, n=0):
    return root / "wavs" / f"utt{n:05d}.wav"


# Each case breaks the corpus one way and names what the report must say.
def break_missing_wav(root):
    _wav(root, 0).unlink()
    return "wavs/utt00000.wav: missing (listed on metadata.csv line 1)"


def break_corrupt_wav(root):
    _wav(root, 1).write_bytes(b"RIFF\x00\x00garbage" * 10)
    return "wavs/utt00001.wav: unreadable or corrupt audio"


def break_zero_length(root):
    sf.write(_wav(root, 2), np.zeros(0, dtype=np.int16), 22050, subtype="PCM_16")
    return "wavs/utt00002.wav: zero-length audio"


def break_silent(root):
    sf.write(_wav(root, 3), np.zeros(22050, dtype=np.int16), 22050, subtype="PCM_16")
    return "wavs/utt00003.wav: silent audio"


def break_stereo(root):
    audio, sr = sf.read(_wav(root, 4))
    sf.write(_wav(root, 4), np.stack([audio, audio], axis=1), sr, subtype="PCM_16")
    return "wavs/utt00004.wav: 2 channels; voxgraft needs mono audio"


def break_empty_text(root):
    lines = (root / "metadata.csv").read_bytes().splitlines()
    lines[5] = lines[5].split(b"|")[0] + b"| |"
    _set_metadata(root, lines)
    return "metadata.csv:6: empty text for 'utt00005'"


def break_non_utf8(root):
    lines = (root / "metadata.csv").read_bytes().splitlines()
    lines[6] = lines[6].split(b"|")[0] + b"|caf\xe9 au lait|caf\xe9 au lait"
    _set_metadata(root, lines)
    return "metadata.csv:7: not valid UTF-8"


def break_duplicate_id(root):
    lines = (root / "metadata.csv").read_bytes().splitlines()
    _set_metadata(root, lines + [lines[0]])
    return "metadata.csv:13: duplicate id 'utt00000' (first on line 1)"


def break_malformed_line(root):
    lines = (root / "metadata.csv").read_bytes().splitlines()
    lines[7] = b"utt00007 has no separators"
    _set_metadata(root, lines)
    return "metadata.csv:8: malformed line"


def break_unmappable_symbols(root):
    lines = (root / "metadata.csv").read_bytes().splitlines()
    lines[8] = "utt00008|Привет мир|Привет мир".encode()
    _set_metadata(root, lines)
    return "wavs/utt00008.wav: symbols the phonemizer cannot map:"


CASES = [break_missing_wav, break_corrupt_wav, break_zero_length, break_silent, break_stereo, break_empty_text,
         break_non_utf8, break_duplicate_id, break_malformed_line, break_unmappable_symbols]


@pytest.mark.parametrize("breaker", CASES, ids=[c.__name__ for c in CASES])
def test_each_problem_is_reported_with_exit_code_2(recipient_copy, capsys, breaker):
    expected = breaker(recipient_copy)
    code, out = run_check(capsys, recipient_copy)
    assert code == 2
    assert expected in out
    assert "unusable" in out
    error_lines = [ln for ln in out.splitlines() if ln.startswith("error:")]
    assert len(error_lines) == 1, out  # one problem, one line


def test_all_problems_at_once(recipient_copy, capsys):
    expected = [breaker(recipient_copy) for breaker in CASES]
    code, out = run_check(capsys, recipient_copy)
    assert code == 2
    for line in expected:
        assert line in out


def test_load_corpus_refuses_a_broken_corpus(recipient_copy):
    break_silent(recipient_copy)
    with pytest.raises(CorpusError, match="utt00003.wav: silent"):
        load_corpus(recipient_copy)


def test_other_sample_rates_are_one_note_per_rate_not_an_error(recipient_copy, capsys):
    import librosa

    for i in range(3):
        audio, sr = sf.read(_wav(recipient_copy, i), dtype="float32")
        sf.write(_wav(recipient_copy, i), librosa.resample(audio, orig_sr=sr, target_sr=44100), 44100, subtype="PCM_16")
    code, out = run_check(capsys, recipient_copy)
    assert code == 0
    assert out.count("resampled") == 1
    assert f"note: {recipient_copy}: 3 file(s) at 44100 Hz will be resampled to 22050 Hz" in out


def test_wav_txt_folder(tmp_path, corpora, capsys):
    root = tmp_path / "wavtxt"
    root.mkdir()
    src = corpora["recipient"]
    for line in (src / "metadata.csv").read_text().splitlines()[:3]:
        utt_id, text, _ = line.split("|")
        (root / f"{utt_id}.wav").write_bytes((src / "wavs" / f"{utt_id}.wav").read_bytes())
        (root / f"{utt_id}.txt").write_text(text + "\n")
    code, out = run_check(capsys, root)
    assert code == 0 and "3 utterances (wav+txt" in out

    (root / "utt00000.txt").unlink()
    (root / "orphan.txt").write_text("hello")
    (root / "utt00001.txt").write_bytes(b"\xff\xfe bad")
    (root / "utt00002.txt").write_text("   ")
    code, out = run_check(capsys, root)
    assert code == 2
    for expected in ["utt00000.wav: no matching utt00000.txt transcript", "orphan.txt: no matching orphan.wav",
                     "utt00001.txt: not valid UTF-8", "utt00002.txt: empty transcript"]:
        assert expected in out


def test_not_a_corpus(tmp_path, capsys):
    code, out = run_check(capsys, tmp_path / "nowhere")
    assert code == 2 and "not a directory" in out
    (tmp_path / "empty").mkdir()
    code, out = run_check(capsys, tmp_path / "empty")
    assert code == 2 and "no metadata.csv" in out


def test_alignment_table_missing_an_utterance(recipient_copy, capsys):
    from voxgraft.data.alignment import read_alignments, write_alignments

    alignments = read_alignments(recipient_copy / "alignments.parquet")
    del alignments["utt00004"]
    write_alignments(recipient_copy / "alignments.parquet", alignments)
    code, out = run_check(capsys, recipient_copy)
    assert code == 2 and "alignments.parquet: no alignment for 'utt00004'" in out


def test_check_corpus_keeps_only_usable_utterances(recipient_copy):
    break_silent(recipient_copy)
    corpus = check_corpus(recipient_copy)
    assert "utt00003" not in {u.utterance_id for u in corpus.utterances}
    assert len(corpus.utterances) == 11


@pytest.mark.parametrize("bad_id", ["../../victim/pwn", "..", "sub\\dir", "tab\there"])
def test_an_utterance_id_that_is_not_a_plain_file_name_is_an_error(recipient_copy, capsys, bad_id):
    """Ids become file names (wavs/ID.wav, a sweep's references/donor/ID.wav): one that could
    point outside its folder is refused, and nothing outside the corpus is touched."""
    victim = recipient_copy.parent / "victim"
    victim.mkdir()
    wav = next((recipient_copy / "wavs").glob("*.wav"))
    (victim / "pwn.wav").write_bytes(wav.read_bytes())
    lines = (recipient_copy / "metadata.csv").read_bytes().splitlines()
    _set_metadata(recipient_copy, lines + [f"{bad_id}|Hello there.".encode()])
    outside = snapshot(recipient_copy.parent)
    code, out = run_check(capsys, recipient_copy)
    assert code == 2
    [line] = [row for row in out.splitlines() if "utterance id" in row]
    assert f"metadata.csv:{len(lines) + 1}" in line and "use a plain file name" in line
    assert snapshot(recipient_copy.parent) == outside
    with pytest.raises(CorpusError):
        load_corpus(recipient_copy)
