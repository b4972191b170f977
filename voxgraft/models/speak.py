"""`voxgraft synth`: text -> wav with a model voxgraft trained (or merged), speaking either with
its own predicted durations or with the durations of an aligned reference utterance."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from voxgraft.atomic import atomic_file
from voxgraft.data.alignment import frame_durations, read_alignments, repair
from voxgraft.data.audio import load_audio
from voxgraft.data.corpus import read_corpus
from voxgraft.data.features import FeatureParams
from voxgraft.data.phonemizer import phonemize
from voxgraft.data.symbols import FILENAME as SYMBOLS_FILENAME
from voxgraft.data.symbols import SymbolTable, UnknownSymbolError, intersperse_blanks
from voxgraft.models.checkpoints import load_recipient
from voxgraft.models.inference import synthesize_tokens
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


def speak(
    model_dir: str | Path,
    text: str,
    out_wav: str | Path,
    reference: Reference | None = None,
    seed: int = 0,
    noise_scale: float = 0.667,
    style_latent: np.ndarray | None = None,
    speaker: int | None = None,
) -> float:
    """Write `out_wav` (atomically); returns its length in seconds. A styled model speaks with
    `style_latent` (default: its own default latent); a multi-speaker model as `speaker`."""
    model_dir = Path(model_dir)
    if not (model_dir / SYMBOLS_FILENAME).exists():
        raise SpeakError(f"{model_dir}: no {SYMBOLS_FILENAME}; voxgraft speaks models trained on its phoneme symbols")
    symbols = SymbolTable.load(model_dir)
    model = load_recipient(model_dir).model.eval()
    if reference is None:
        tokens, durations = phonemize(text), None
    else:
        tokens, frames = reference_tokens_and_durations(reference, text)
        with_blanks = torch.tensor([intersperse_blanks(frames, 0)])
        durations = ensure_min_one_frame(with_blanks, torch.tensor([with_blanks.shape[1]]))[0].tolist()
    if not tokens:
        raise SpeakError("nothing to say: the text has no pronounceable words")
    try:
        ids = intersperse_blanks(symbols.encode(tokens), symbols.blank_id)
    except UnknownSymbolError as exc:
        raise SpeakError(f"{model_dir}: {exc}") from None
    latent = None if style_latent is None else torch.as_tensor(np.asarray(style_latent, dtype=np.float32))
    try:
        wav = synthesize_tokens(model, ids, durations, noise_scale=noise_scale, seed=seed, speaker_id=speaker, style_latent=latent).numpy()
    except ValueError as exc:  # a style vector or speaker the model does not have
        raise SpeakError(f"{model_dir}: {exc}") from None
    out_wav = Path(out_wav)
    out_wav.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(out_wav) as tmp:
        sf.write(str(tmp), np.clip(wav, -1.0, 1.0), model.config.sampling_rate, subtype="PCM_16", format="WAV")
    return len(wav) / model.config.sampling_rate
