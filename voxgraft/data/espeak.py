"""eSpeak NG through ctypes: synthesis with phoneme events, and text to IPA phonemes.

The library and its voice data come from the `espeakng-loader` wheel, so nothing is installed
system-wide and nothing is downloaded. eSpeak keeps global state (one voice, one callback), so
every call goes through one process-wide lock and the library is initialised once.
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 22050  # eSpeak NG's native output rate; checked at initialisation

# speak_lib.h constants
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INIT_PHONEME_EVENTS = 0x0001
_INIT_PHONEME_IPA = 0x0002
_INIT_DONT_EXIT = 0x8000
_CHARS_UTF8 = 1
_PARAM_RATE, _PARAM_PITCH, _PARAM_RANGE, _PARAM_WORDGAP = 1, 3, 4, 7
_PHONEMES_IPA = 0x02

EVENT_WORD, EVENT_SENTENCE, EVENT_END, EVENT_MSG_TERMINATED, EVENT_PHONEME = 1, 2, 5, 6, 7


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_Callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


@dataclass(frozen=True)
class SynthEvent:
    """One eSpeak event: its type, the output sample where it happens, and a phoneme name (IPA)."""

    kind: int
    sample: int
    phoneme: str = ""


@dataclass(frozen=True)
class VoiceSettings:
    """What eSpeak is told before speaking: voice name (with +variant), rate in words per minute,
    base pitch and pitch range (0-100), and extra gap between words in units of 10 ms."""

    voice: str
    rate: int = 175
    pitch: int = 50
    pitch_range: int = 50
    word_gap: int = 0


NOISE_SEED = 1


class EspeakError(RuntimeError):
    pass


class _Espeak:
    def __init__(self) -> None:
        import espeakng_loader

        self._lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self._lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        self._lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]
        self._lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self._lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        rate = self._lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS,
            0,
            espeakng_loader.get_data_path().encode(),
            _INIT_PHONEME_EVENTS | _INIT_PHONEME_IPA | _INIT_DONT_EXIT,
        )
        if rate != SAMPLE_RATE:
            raise EspeakError(f"eSpeak NG initialised at {rate} Hz, expected {SAMPLE_RATE}")
        self._chunks: list[np.ndarray] = []
        self._events: list[SynthEvent] = []
        # Keep a reference: ctypes callbacks are freed when the Python object is.
        self._callback = _Callback(self._on_audio)
        self._lib.espeak_SetSynthCallback(self._callback)

    def _on_audio(self, wav, n_samples, events) -> int:
        if n_samples > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n_samples,)).copy())
        i = 0
        while events[i].type != 0:  # the list ends with espeakEVENT_LIST_TERMINATED
            ev = events[i]
            name = ""
            if ev.type == EVENT_PHONEME:
                name = bytes(ev.id.string).split(b"\0", 1)[0].decode("utf-8", "replace")
            self._events.append(SynthEvent(ev.type, ev.sample, name))
            i += 1
        return 0

    def _apply(self, settings: VoiceSettings) -> None:
        # eSpeak carries state from one call to the next (the voice's tuning, parameters, and
        # through them even TextToPhonemes' output), so every call sets all of it again: the
        # same input then gives the same bytes whatever was spoken before. That includes the
        # noise of breathy and whispered variants, which is otherwise seeded from the clock.
        self._lib.espeak_ng_SetRandSeed(NOISE_SEED)
        if self._lib.espeak_SetVoiceByName(settings.voice.encode()) != 0:
            raise EspeakError(f"eSpeak NG has no voice named {settings.voice!r}")
        for param, value in (
            (_PARAM_RATE, settings.rate),
            (_PARAM_PITCH, settings.pitch),
            (_PARAM_RANGE, settings.pitch_range),
            (_PARAM_WORDGAP, settings.word_gap),
        ):
            self._lib.espeak_SetParameter(param, value, 0)

    def synthesize(self, text: str, settings: VoiceSettings) -> tuple[np.ndarray, list[SynthEvent]]:
        self._apply(settings)
        self._chunks, self._events = [], []
        data = text.encode("utf-8")
        buf = ctypes.create_string_buffer(data)
        status = self._lib.espeak_Synth(buf, len(data) + 1, 0, 0, 0, _CHARS_UTF8, None, None)
        if status != 0:
            raise EspeakError(f"espeak_Synth failed with status {status} for {text!r}")
        self._lib.espeak_Synchronize()
        wav = np.concatenate(self._chunks) if self._chunks else np.zeros(0, dtype=np.int16)
        return wav.astype(np.int16), self._events

    def clauses_to_phonemes(self, text: str, settings: VoiceSettings) -> list[str]:
        """IPA phonemes per clause; phonemes separated by '_', words by ' '."""
        self._apply(settings)
        ptr = ctypes.c_char_p(text.encode("utf-8"))
        clauses = []
        while ptr.value:
            out = self._lib.espeak_TextToPhonemes(ctypes.byref(ptr), _CHARS_UTF8, _PHONEMES_IPA | (ord("_") << 8))
            if out:
                clauses.append(out.decode("utf-8"))
        return [c for c in clauses if c.strip()]


_lock = threading.Lock()
_engine: _Espeak | None = None


def _get() -> _Espeak:
    global _engine
    if _engine is None:
        _engine = _Espeak()
    return _engine


def synthesize(text: str, settings: VoiceSettings) -> tuple[np.ndarray, list[SynthEvent]]:
    """Speak `text`: int16 samples at SAMPLE_RATE and the events (phonemes, words, clause ends)."""
    with _lock:
        return _get().synthesize(text, settings)


def text_to_phoneme_clauses(text: str, settings: VoiceSettings) -> list[str]:
    """Phonemize `text` as eSpeak would speak it with `settings`; one string per clause.

    Settings matter beyond the language: a word gap, for one, drops linking sounds between words.
    """
    with _lock:
        return _get().clauses_to_phonemes(text, settings)
