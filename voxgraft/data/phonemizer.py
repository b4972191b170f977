"""Text -> phoneme tokens with eSpeak NG's IPA rules.

An utterance becomes: a leading pause, then per clause its words (phonemes, stress marks split
off) separated by word boundaries, closed by the clause's punctuation. Synthetic corpora build
the same sequence from eSpeak's synthesis events (see synth.py), so text and alignment agree
token for token.
"""

from __future__ import annotations

import re

from voxgraft.data import espeak
from voxgraft.data.espeak import VoiceSettings
from voxgraft.data.symbols import CLAUSE_PUNCTUATION, PAUSE, WORD_BOUNDARY, split_stress

DEFAULT_LANGUAGE = "en-us"

# A punctuation run that ends a clause: followed by whitespace or the end of the text.
_CLAUSE_END = re.compile(r"[,.;:!?]+(?=\s|$)")


def clause_terminators(text: str, n_clauses: int) -> list[str]:
    """The punctuation token closing each of eSpeak's clauses; PAUSE where it cannot be matched."""
    marks = [next(c for c in m.group() if c in CLAUSE_PUNCTUATION) for m in _CLAUSE_END.finditer(text.strip())]
    if len(marks) == n_clauses:
        return marks
    if len(marks) == n_clauses - 1 and not _CLAUSE_END.search(text.strip()[-1:] or " "):
        return marks + [PAUSE]
    return [PAUSE] * n_clauses


def clause_tokens(clause: str) -> list[str]:
    """One clause of eSpeak output ('ð_ə k_w_ˈɪ_k') -> tokens, words separated by WORD_BOUNDARY."""
    tokens: list[str] = []
    for i, word in enumerate(clause.split()):
        if i:
            tokens.append(WORD_BOUNDARY)
        for phoneme in word.split("_"):
            tokens.extend(split_stress(phoneme))
    return tokens


def phonemize(text: str, settings: VoiceSettings | None = None) -> list[str]:
    """Tokens for `text`; empty when eSpeak finds nothing to say.

    Without `settings`, eSpeak's default English voice at its default rate and no word gap:
    what a model is trained on and speaks from. A synthetic corpus checks its alignment against
    the tokens of the exact settings it was spoken with.
    """
    clauses = espeak.text_to_phoneme_clauses(text, settings or VoiceSettings(DEFAULT_LANGUAGE))
    if not clauses:
        return []
    tokens = [PAUSE]
    for clause, end in zip(clauses, clause_terminators(text, len(clauses))):
        tokens.extend(clause_tokens(clause))
        tokens.append(end)
    return tokens
