"""`voxgraft synth`: text -> wav with a model voxgraft trained (or merged), speaking either with
its own predicted durations or with the durations of an aligned reference utterance."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from voxgraft.data.alignment import frame_durations, read_alignments, repair
from voxgraft.data.audio import load_audio, write_wav
from voxgraft.data.corpus import read_corpus
from voxgraft.data.espeak import VoiceSettings
from voxgraft.data.features import FeatureParams
from voxgraft.data.phonemizer import DEFAULT_LANGUAGE, phonemize
from voxgraft.data.piper_symbols import load_model_symbols
from voxgraft.data.symbols import FILENAME as SYMBOLS_FILENAME
from voxgraft.data.symbols import UnknownSymbolError
from voxgraft.models.checkpoints import check_symbols_fit, load_recipient
from voxgraft.models.inference import TooLong, synthesize_tokens
from voxgraft.models.mas import ensure_min_one_frame


class SpeakError(ValueError):
    pass


@dataclass(frozen=True)
class Reference:
    corpus: Path
    utterance_id: str

    @classmethod
    def parse(cls, spec: str) -> Reference:
        corpus, sep, utt = spec.rpartition(":")
        if not sep or not corpus or not utt:
            raise SpeakError(f"--ref-durations wants CORPUS:UTTERANCE_ID, got {spec!r}")
        return cls(Path(corpus), utt)


class NothingToSay(SpeakError):
    pass


def _normalise(text: str) -> str:
    return re.sub(r"[^a-z']+", " ", text.lower()).strip()


def reference_tokens_and_durations(ref: Reference, text: str, params: FeatureParams = FeatureParams()) -> tuple[list[str], list[int]]:
    """Tokens and frame counts (blanks not yet interspersed) of an aligned reference utterance
    whose transcript is `text`."""
    corpus = read_corpus(ref.corpus)
    utterance = next((u for u in corpus.utterances if u.utterance_id == ref.utterance_id), None)
    if utterance is None:
        raise SpeakError(f"{ref.corpus}: no utterance {ref.utterance_id!r}")
    if _normalise(utterance.text) != _normalise(text):
        raise SpeakError(f"{ref.utterance_id} says {utterance.text!r}, not {text!r}: reference durations need the same words")
    if corpus.alignments_path is None:
        raise SpeakError(f"{ref.corpus}: no alignments.parquet, so no durations to borrow")
    intervals = read_alignments(corpus.alignments_path).get(ref.utterance_id)
    if intervals is None:
        raise SpeakError(f"{ref.corpus}: {ref.utterance_id} has no alignment")
    n_samples = len(load_audio(utterance.audio_path, params.sample_rate))
    fixed = repair(intervals, n_samples / params.sample_rate)
    frames = frame_durations(fixed, params.n_frames(n_samples), params.sample_rate, params.hop_length)
    return [iv.phoneme for iv in fixed], frames.tolist()


def model_input(symbols, text: str, reference: Reference | None) -> tuple[list[int], list[int] | None]:
    """The ids to speak `text` (and frames per id when a reference lends its durations)."""
    if reference is None:
        tokens, frames = phonemize(text, VoiceSettings(getattr(symbols, "language", DEFAULT_LANGUAGE))), None
    else:
        tokens, frames = reference_tokens_and_durations(reference, text)
    if not tokens:
        raise NothingToSay("nothing to say: the text has no pronounceable words")
    try:
        ids, durations = symbols.model_input(tokens, frames)
    except UnknownSymbolError as exc:
        raise SpeakError(f"{exc} (the model's symbols cannot spell them)") from None
    if durations is not None:
        durations = ensure_min_one_frame(torch.tensor([durations]), torch.tensor([len(durations)]))[0].tolist()
    return ids, durations


MAX_SENTENCE_CHARS = 400  # one sentence is one forward pass: its memory grows with its length
MAX_SENTENCE_IDS = 1_000  # ids (phonemes and blanks): 399 CJK characters became thousands and took 3.8 GB
MAX_SENTENCE_SECONDS = 60.0  # of speech per sentence; length_scale 1000 grew past 6 GB in a minute
# the knobs' documented ranges: Piper's defaults are 0.667, 0.8 and 1.0
KNOB_RANGES = {"noise_scale": (0.0, 2.0), "noise_w": (0.0, 2.0), "length_scale": (0.1, 10.0)}


def check_knobs(**knobs: float) -> None:
    """SpeakError naming the first knob outside its range (NaN and infinities included)."""
    for name, value in knobs.items():
        low, high = KNOB_RANGES[name]
        if not (math.isfinite(value) and low <= value <= high):
            raise SpeakError(f"--{name.replace('_', '-')} must be in [{low:g}, {high:g}], got {value!r}")


SENTENCE_GAP_S = 0.25
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")


def sentences(text: str) -> list[str]:
    """`text` as the sentences it is spoken in, one at a time, so memory is bounded by the
    longest sentence however long the text (10,000 characters in one pass took 23 GB)."""
    out = [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]
    if not out:
        raise SpeakError("nothing to say: the text is empty")
    for i, sentence in enumerate(out, 1):
        if len(sentence) > MAX_SENTENCE_CHARS:
            raise SpeakError(
                f"sentence {i} has {len(sentence)} characters; the limit is {MAX_SENTENCE_CHARS} "
                "(end sentences with . ! ? or ; so they are spoken one at a time)"
            )
    return out


def sentence_inputs(symbols, text: str, reference: Reference | None) -> list[tuple[list[int], list[int] | None]]:
    """Model input per sentence, every one checked before anything is spoken; a sentence with
    nothing to say ("..." on its own) is skipped. A reference lends one sentence's durations."""
    inputs = []
    for number, piece in enumerate([text] if reference is not None else sentences(text), 1):
        try:
            ids, durations = model_input(symbols, piece, reference)
        except NothingToSay:
            continue
        if len(ids) > MAX_SENTENCE_IDS:
            raise SpeakError(f"sentence {number} has {len(ids)} phoneme ids; the limit is {MAX_SENTENCE_IDS} "
                             "(split it into shorter sentences ending in . ! ? or ;)")
        inputs.append((ids, durations))
    if not inputs:
        raise NothingToSay("nothing to say: the text has no pronounceable words")
    return inputs


def speak(
    model_dir: str | Path,
    text: str,
    out_wav: str | Path,
    reference: Reference | None = None,
    seed: int = 0,
    noise_scale: float = 0.667,
    style_latent: np.ndarray | None = None,
    speaker: int | None = None,
    noise_w: float = 0.8,
    length_scale: float = 1.0,
) -> float:
    """Write `out_wav` (atomically, the waveform as the model made it: no normalisation);
    returns its length in seconds. A styled model speaks with `style_latent` (default: its own
    default latent); a multi-speaker model as `speaker`. noise_scale, noise_w and length_scale
    are Piper's knobs."""
    model_dir, out_wav = Path(model_dir), Path(out_wav)
    check_knobs(noise_scale=noise_scale, noise_w=noise_w, length_scale=length_scale)
    if out_wav.is_dir():
        raise SpeakError(f"{out_wav} is a folder; give the path of a .wav file to write")
    if not (model_dir / SYMBOLS_FILENAME).exists():
        raise SpeakError(f"{model_dir}: no {SYMBOLS_FILENAME}; voxgraft speaks models trained on its phoneme symbols")
    try:
        symbols = load_model_symbols(model_dir)
    except ValueError as exc:  # truncated, hand-edited or not a symbol table
        raise SpeakError(str(exc)) from None
    inputs = sentence_inputs(symbols, text, reference)
    model = load_recipient(model_dir).model.eval()
    check_symbols_fit(model, symbols, model_dir)
    latent = None if style_latent is None else torch.as_tensor(np.asarray(style_latent, dtype=np.float32))
    gap = np.zeros(int(SENTENCE_GAP_S * model.config.sampling_rate), dtype=np.float32)
    hop = int(np.prod(model.config.upsample_rates))
    max_frames = int(MAX_SENTENCE_SECONDS * model.config.sampling_rate / hop)
    chunks = []
    for i, (ids, durations) in enumerate(inputs):
        try:
            wav = synthesize_tokens(model, ids, durations, noise_scale, noise_w, seed + i, speaker_id=speaker, style_latent=latent,
                                    length_scale=length_scale, max_frames=max_frames).numpy()
        except TooLong as exc:
            seconds = exc.frames * hop / model.config.sampling_rate
            raise SpeakError(f"sentence {i + 1} would last {seconds:.0f} s; the limit is {MAX_SENTENCE_SECONDS:g} s a sentence "
                             "(a smaller --length-scale, or shorter sentences)") from None
        except ValueError as exc:  # a style vector or speaker the model does not have
            raise SpeakError(f"{model_dir}: {exc}") from None
        chunks += [gap, wav] if chunks else [wav]
    wav = np.concatenate(chunks)
    try:
        out_wav.parent.mkdir(parents=True, exist_ok=True)
        write_wav(out_wav, wav, model.config.sampling_rate)
    except OSError as exc:
        raise SpeakError(f"{out_wav}: cannot write it ({exc.strerror or exc})") from None
    return len(wav) / model.config.sampling_rate
