"""The sentences every evaluation speaks, and speaking them.

`Utterances` are the donor's held-out utterances (their texts, as tokens too, the donor's own
recordings and, where the corpus is aligned, the donor's durations). `render` speaks them with a model:
durations from its duration predictor without noise, so a cadence measurement reflects the
predictor and nothing random; the prior noise on a fixed seed, so two checkpoints differ only
by their weights.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from transformers import VitsModel

from voxgraft.atomic import atomic_file
from voxgraft.data.audio import write_wav
from voxgraft.data.training_set import TrainingSet
from voxgraft.evaluate.prosody import drop_blanks
from voxgraft.layout import path_inside
from voxgraft.models.inference import evaluation_mode, predict_durations, synthesize_tokens
from voxgraft.models.training_forward import encode_text, speaker_conditioning

NOISE_SCALE = 0.667  # VITS's default prior noise at inference
HEARD_FILE = "heard.json"


@dataclass(frozen=True)
class Utterances:
    """Utterances to speak or measure: ids, token ids (blanks included) and token names."""

    utterance_ids: list[str]
    token_ids: list[list[int]]
    tokens: list[list[str]]
    recordings: list[np.ndarray]  # the donor's own audio of each
    durations_s: list[list[float]] | None  # the donor's aligned seconds per token; None unaligned
    sample_rate: int
    texts: list[str] = field(default_factory=list)  # what each says: the judges' reference

    @classmethod
    def from_training_set(cls, data: TrainingSet, indices: list[int]) -> Utterances:
        examples = [data.dataset[i] for i in indices]
        params = data.dataset.features.params
        seconds = params.hop_length / params.sample_rate
        aligned = all(e.durations is not None for e in examples)
        text_of = {u.utterance_id: u.text for u in data.corpus.utterances}
        return cls(
            utterance_ids=[e.utterance_id for e in examples],
            token_ids=[e.token_ids.tolist() for e in examples],
            tokens=[[data.symbols.symbols[i] for i in e.token_ids.tolist()] for e in examples],
            recordings=[e.wav.numpy() for e in examples],
            durations_s=[(e.durations.double() * seconds).tolist() for e in examples] if aligned else None,
            sample_rate=params.sample_rate,
            texts=[text_of[e.utterance_id] for e in examples],
        )

    def recorded_cadence_input(self) -> list[tuple[list[str], list[float]]] | None:
        if self.durations_s is None:
            return None
        return [drop_blanks(t, s) for t, s in zip(self.tokens, self.durations_s)]


@dataclass
class Rendering:
    """A model's speech of some Utterances."""

    wavs: list[np.ndarray]
    frames: list[list[int]]  # predicted frames per token (blanks included)
    sample_rate: int
    hop_length: int
    heard: list[str] = field(default_factory=list)  # what Whisper heard in each sentence (judges.py)

    def cadence_input(self, tokens: list[list[str]]) -> list[tuple[list[str], list[float]]]:
        per_frame = self.hop_length / self.sample_rate
        return [drop_blanks(t, [f * per_frame for f in fr]) for t, fr in zip(tokens, self.frames)]

    def write(self, directory: Path, utterance_ids: list[str]) -> list[Path]:
        paths = write_wavs(directory, utterance_ids, self.wavs, self.sample_rate)
        if self.heard:
            write_heard(directory, utterance_ids, self.heard)
        return paths


def write_heard(directory: Path, utterance_ids: list[str], heard: list[str]) -> Path:
    """What Whisper heard in each sentence, beside the wavs it heard: {utterance id: text}."""
    path = Path(directory) / HEARD_FILE
    with atomic_file(path) as tmp:
        Path(tmp).write_text(json.dumps(dict(zip(utterance_ids, heard)), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read_heard(directory: Path) -> dict[str, str]:
    """{utterance id: what Whisper heard} written beside some wavs; empty where nothing was judged."""
    try:
        heard = json.loads((Path(directory) / HEARD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in heard.items()} if isinstance(heard, dict) else {}


def write_wavs(directory: Path, utterance_ids: list[str], wavs: list[np.ndarray], sample_rate: int) -> list[Path]:
    """One 16-bit wav per utterance, `<id>.wav`, each written atomically."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for uid, wav in zip(utterance_ids, wavs):
        paths.append(write_wav(path_inside(directory, uid, ".wav"), wav, sample_rate))
    return paths


@torch.no_grad()
def render(
    model: VitsModel, utterances: Utterances, seed: int = 0, style_latent: torch.Tensor | None = None, length_scale: float = 1.0
) -> Rendering:
    """Speak `utterances`; a styled model with `style_latent` (default: its own default latent);
    `length_scale` stretches every predicted duration (Piper's tempo knob)."""
    device = next(model.parameters()).device
    wavs, frames = [], []
    with evaluation_mode(model):
        conditioning = speaker_conditioning(model, None, 1, device, style_latent)
        for ids in utterances.token_ids:
            tokens = torch.tensor([ids], device=device)
            mask = torch.ones_like(tokens, dtype=torch.bool)
            text = encode_text(model, tokens, mask)  # once for both the durations and the speech
            predicted = predict_durations(model, tokens, mask, noise_scale=0.0, conditioning=conditioning, length_scale=length_scale, text=text)[0]
            durations = predicted.clamp(min=1).tolist()  # every token speaks, as at inference
            frames.append(durations)
            wav = synthesize_tokens(model, ids, durations, noise_scale=NOISE_SCALE, seed=seed, style_latent=style_latent, text=text)
            wavs.append(wav.numpy())
    hop = int(np.prod(model.config.upsample_rates))
    return Rendering(wavs, frames, model.config.sampling_rate, hop)
