"""A voice speaking a corpus of its own, with what produced every frame kept.

Recovery (training/recover.py) needs speech whose hidden causes are known: for each generated
sentence the ids, the frames per id the voice chose (its own duration predictor, sampled), the
latent z the decoder turned into sound, and the waveform. A posterior encoder can then be
taught to find z from the sound, and a duration posterior to explain those durations.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from voxgraft.data.espeak import VoiceSettings
from voxgraft.data.phonemizer import phonemize
from voxgraft.data.sentences import generate_sentences
from voxgraft.models.inference import predict_durations, speech_latent
from voxgraft.models.training_forward import speaker_conditioning

NOISE_SCALE, NOISE_W = 0.667, 0.8  # Piper's inference defaults: speech as the voice is heard


@dataclass
class SelfSpeech:
    ids: torch.Tensor  # (L,) long
    frames: torch.Tensor  # (L,) long, frames per id
    latent: torch.Tensor  # (C, T) the decoder's input
    wav: torch.Tensor  # (T * hop,)


@torch.no_grad()
def speak_one(model, ids: list[int], seed: int, frames: torch.Tensor | None = None, speaker: int | None = None) -> SelfSpeech:
    """The voice says `ids` (with `frames` when given, else its own sampled durations)."""
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        tokens = torch.tensor([ids])
        conditioning = speaker_conditioning(model, speaker, 1, tokens.device)
        if frames is None:
            frames = predict_durations(model, tokens, torch.ones_like(tokens, dtype=torch.bool), NOISE_W, conditioning=conditioning)[0]
        latent = speech_latent(model, tokens, frames[None], NOISE_SCALE, conditioning)
        wav = model.decoder(latent, conditioning)[0, 0]
    finally:
        torch.random.set_rng_state(generator_state)
    return SelfSpeech(tokens[0], frames.long(), latent[0], wav)


def self_corpus(model, symbols, count: int, seed: int) -> list[SelfSpeech]:
    """`count` generated sentences in the voice's own words and timing."""
    settings = VoiceSettings(getattr(symbols, "language", "en-us"))
    out = []
    with torch.no_grad():
        model.eval()
        for i, text in enumerate(generate_sentences(count, seed)):
            ids, _ = symbols.model_input(phonemize(text, settings))
            out.append(speak_one(model, ids, seed * 100_003 + i))
    return out
