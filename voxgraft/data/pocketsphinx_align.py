"""Phone-level forced alignment with pocketsphinx: its en-US acoustic model and CMUdict ship in
its wheel, so nothing is downloaded.

Each wav is resampled to 16 kHz and aligned to its transcript's words. A word in CMUdict may be
spoken in any of its dictionary variants or as eSpeak NG says it (the only pronunciation of a
word CMUdict lacks). A word-level pass finds the path, a second pass its phones and states; the
edges of the pauses found are then snapped to the audio's energy (silence_edges.py).
pocketsphinx is not thread-safe, so one aligner serves one caller.
"""

from __future__ import annotations

import re

import librosa
import numpy as np

from voxgraft.data.arpabet import tokens_to_arpabet
from voxgraft.data.phonemizer import phonemize
from voxgraft.data.silence_edges import snap_pause_edges
from voxgraft.data.token_timing import SILENCE, TimedPhone

ALIGN_RATE = 16000
EDGE_PAD_S = 0.3  # silence added at both ends, so a phone at the very edge still has a context
_WORD = re.compile(r"[a-z0-9']+")
_WORD_OR_CLAUSE_END = re.compile(r"[a-z0-9']+|[,.;:!?](?=\s|$)")
PAUSE_WORD = "<sil>"
_FILLERS = {"SIL", "+NSN+", "+SPN+", "+BREATH+", "+COUGH+", "+UM+", "+UH+", "+SMACK+"}


class AlignError(ValueError):
    """One utterance that could not be aligned, with the reason."""


def transcript_words(text: str) -> list[str]:
    """Lower-cased words as the aligner reads them ("Mr. Smith's" -> mr, smith's)."""
    return _WORD.findall(text.lower().replace("’", "'"))


def with_clause_pauses(text: str, names: list[str]) -> list[str]:
    """`names` (one per transcript word) with a pause at both ends and after each clause."""
    out, i = [PAUSE_WORD], 0
    for piece in _WORD_OR_CLAUSE_END.findall(text.lower().replace("’", "'")):
        if piece[0] not in ",.;:!?":
            out.append(names[i])
            i += 1
        elif out[-1] != PAUSE_WORD:
            out.append(PAUSE_WORD)
    return out if out[-1] == PAUSE_WORD else [*out, PAUSE_WORD]


class PocketsphinxAligner:
    def __init__(self) -> None:
        from pocketsphinx import Decoder

        # Dither: the digital silence of synthesized audio otherwise breaks the search's end.
        # A likelier pause between words: slow speakers pause between most of them (measured
        # on the cadence donor: mean boundary error 25.2 -> 22.4 ms). The second decoder allows
        # pauses only where the text has clause punctuation: where the first loses a sentence's
        # last words in a pause it imagined, the second is forced through them.
        common = dict(lm=None, samprate=ALIGN_RATE, dither=True, seed=1, loglevel="FATAL")
        self._decoders = [Decoder(silprob=0.1, **common), Decoder(fsgusefiller=False, **common)]
        config = self._decoders[0].config
        self._frame_s = 1.0 / float(config["frate"])
        # A boundary before frame f lies between the centres of frames f-1 and f.
        self._boundary_shift_s = float(config["wlen"]) / 2 - self._frame_s / 2
        self._added: dict[str, str] = {}

    def _variants(self, word: str) -> list[str]:
        """The pronunciations pocketsphinx knows for `word` (CMUdict writes them word, word(2), ...)."""
        found = []
        lookup = self._decoders[0].lookup_word
        while (phones := lookup(word if not found else f"{word}({len(found) + 1})")) is not None:
            found.append(phones)
        return found

    def _dictionary_word(self, word: str) -> str:
        """The name under which pocketsphinx knows `word`: CMUdict's variants plus eSpeak NG's
        own pronunciation (the only one for a word CMUdict lacks)."""
        if word not in self._added:
            espeak_phones = " ".join(tokens_to_arpabet(phonemize(word)))
            variants = self._variants(word)
            if not variants and not espeak_phones:
                raise AlignError(f"word {word!r} is in no dictionary and eSpeak NG gives it no phonemes")
            name = word if variants else f"voxgraft_oov_{len(self._added)}"
            if espeak_phones and espeak_phones not in variants:
                for decoder in self._decoders:
                    decoder.add_word(f"{word}({len(variants) + 1})" if variants else name, espeak_phones, True)
            self._added[word] = name
        return self._added[word]

    def align(self, wav: np.ndarray, sample_rate: int, text: str) -> tuple[list[TimedPhone], str | None]:
        """Timed ARPAbet phones (and SILENCE) of `wav` speaking `text`, and a note where they
        are less exact than pocketsphinx's best."""
        words = [self._dictionary_word(w) for w in transcript_words(text)]
        if not words:
            raise AlignError("the transcript has no words")
        audio = librosa.resample(np.asarray(wav, dtype=np.float32), orig_sr=sample_rate, target_sr=ALIGN_RATE)
        pad = np.zeros(int(EDGE_PAD_S * ALIGN_RATE), dtype=np.float32)
        pcm = (np.clip(np.concatenate([pad, audio, pad]), -1.0, 1.0) * 32767).astype(np.int16).tobytes()
        total = len(audio) / ALIGN_RATE

        def seconds(frame: float) -> float:
            return min(max(frame * self._frame_s + self._boundary_shift_s - EDGE_PAD_S, 0.0), total)

        transcripts = (words, with_clause_pauses(text, words))
        for decoder, transcript, note in zip(self._decoders, transcripts, (None, "aligned with pauses only at punctuation")):
            found = self._align_with(decoder, pcm, transcript, seconds)
            if found is not None:
                phones, phone_pass = found
                return snap_pause_edges(phones, audio, ALIGN_RATE), "; ".join(n for n in (note, phone_pass) if n) or None
        raise AlignError("pocketsphinx could not follow the transcript to its end (do audio and text agree?)")

    def _align_with(self, decoder, pcm: bytes, words: list[str], seconds) -> tuple[list[TimedPhone], str | None] | None:
        """Timed phones through all of `words`, or None when the search ends before them."""
        decoder.set_align_text(" ".join(words))
        try:
            _decode(decoder, pcm)  # a word-level pass through the transcript ...
        except RuntimeError:
            return None
        hyp = decoder.hyp()
        if hyp is None or len(hyp.hypstr.split()) != sum(w != PAUSE_WORD for w in words):
            return None
        segments = [(seg.word, seg.start_frame, seg.end_frame + 1) for seg in decoder.seg()]
        try:
            decoder.set_alignment()
            _decode(decoder, pcm)  # ... then the phone and state alignment along its path
            alignment = decoder.get_alignment()
        except RuntimeError:
            alignment = None
        if alignment is None:  # the phone pass failed: spread each word's phones over its time
            phones = [p for w, a, b in segments if w not in ("<s>", "</s>") for p in self._spread(decoder, w, a, b, seconds)]
            return phones, "phones spread evenly over pocketsphinx's word times"
        return [
            TimedPhone(SILENCE if p.name in _FILLERS else p.name, seconds(p.start), seconds(p.start + p.duration))
            for word in alignment
            for p in word
        ], None

    @staticmethod
    def _spread(decoder, word: str, start: int, end: int, seconds) -> list[TimedPhone]:
        phones = [] if word.startswith(("<", "[", "+")) else (decoder.lookup_word(word) or "").split()
        if not phones:
            return [TimedPhone(SILENCE, seconds(start), seconds(end))]
        step = (end - start) / len(phones)
        return [TimedPhone(p, seconds(start + i * step), seconds(start + (i + 1) * step)) for i, p in enumerate(phones)]


def _decode(decoder, pcm: bytes) -> None:
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
