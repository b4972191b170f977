"""ARPAbet <-> voxgraft's eSpeak-style IPA tokens.

Aligners speak ARPAbet (pocketsphinx's CMUdict, MFA's english_us_arpa); voxgraft's tokens are
eSpeak NG's IPA phonemes. `ARPABET` reads an aligner's phone as a token; `TOKEN_ARPABET` spells a
token in ARPAbet (one token can be several ARPAbet phones: "ɑːɹ" is AA R), so a pronunciation
from eSpeak can be given to an ARPAbet aligner and its timings carried back token by token.
"""

from __future__ import annotations

ARPABET = {
    "AA": "ɑː", "AE": "æ", "AH": "ʌ", "AO": "ɔː", "AW": "aʊ", "AY": "aɪ", "B": "b", "CH": "tʃ",
    "D": "d", "DH": "ð", "EH": "ɛ", "ER": "ɚ", "EY": "eɪ", "F": "f", "G": "ɡ", "HH": "h",
    "IH": "ɪ", "IY": "iː", "JH": "dʒ", "K": "k", "L": "l", "M": "m", "N": "n", "NG": "ŋ",
    "OW": "oʊ", "OY": "ɔɪ", "P": "p", "R": "ɹ", "S": "s", "SH": "ʃ", "T": "t", "TH": "θ",
    "UH": "ʊ", "UW": "uː", "V": "v", "W": "w", "Y": "j", "Z": "z", "ZH": "ʒ",
}
# Unstressed ARPAbet vowels that eSpeak writes differently.
ARPABET_UNSTRESSED = {"AH": "ə", "IY": "i", "ER": "ɚ"}

# Every phoneme of symbols.ENGLISH_PHONEMES in ARPAbet: the inverse of ARPABET, plus eSpeak's
# reduced vowels, r-coloured vowels and diphthongs, flaps and loanword sounds by their nearest
# English phones.
TOKEN_ARPABET: dict[str, tuple[str, ...]] = {
    **{ipa: (arpa,) for arpa, ipa in ARPABET.items()},
    "ə": ("AH",), "i": ("IY",), "a": ("AE",), "ɐ": ("AH",), "ɑ": ("AA",), "ɒ": ("AA",),
    "ɜ": ("ER",), "ɜː": ("ER",), "e": ("EH",), "o": ("OW",), "oː": ("AO",), "ɔ": ("AO",),
    "u": ("UW",), "ᵻ": ("IH",), "əʊ": ("OW",), "ɾ": ("T",), "ʔ": ("T",), "ç": ("HH",),
    "x": ("K",), "ʍ": ("W",), "ɬ": ("L",), "n̩": ("AH", "N"), "əl": ("AH", "L"),
    "aɪə": ("AY", "AH"), "aɪɚ": ("AY", "ER"), "aʊə": ("AW", "AH"), "aʊɚ": ("AW", "ER"),
    "ɑːɹ": ("AA", "R"), "ɔːɹ": ("AO", "R"), "oːɹ": ("AO", "R"), "ɛɹ": ("EH", "R"),
    "ɪɹ": ("IH", "R"), "ʊɹ": ("UH", "R"), "eə": ("EH", "R"), "iə": ("IY", "AH"),
    "ɪə": ("IH", "AH"), "ʊə": ("UH", "AH"), "ɑ̃": ("AA", "N"), "ɔ̃": ("AO", "N"),
}

# Phones close enough that an aligner's choice of one for the other is a variant, not an error.
_NEAR = [
    {"AH", "IH", "EH", "AE", "UH", "ER"}, {"IY", "IH", "Y"}, {"UW", "UH", "W"}, {"AA", "AO", "AH", "OW"},
    {"T", "D", "DH"}, {"S", "Z"}, {"F", "V", "TH"}, {"P", "B"}, {"K", "G"}, {"N", "NG", "M"}, {"SH", "ZH", "CH", "JH"},
]


def base(phone: str) -> str:
    """'AY1' -> 'AY' (stress digits off)."""
    return phone.rstrip("012")


def substitution_cost(a: str, b: str) -> float:
    """0 for the same phone, 0.5 for a near one (a variant), 1 otherwise."""
    a, b = base(a), base(b)
    if a == b:
        return 0.0
    return 0.5 if any(a in group and b in group for group in _NEAR) else 1.0


def token_arpabet(token: str) -> tuple[str, ...]:
    """The ARPAbet spelling of one phoneme token (empty for stress, boundaries, punctuation)."""
    return TOKEN_ARPABET.get(token, ())


def tokens_to_arpabet(tokens: list[str]) -> list[str]:
    """eSpeak tokens of one word -> its ARPAbet pronunciation (what pocketsphinx is told)."""
    return [phone for token in tokens for phone in token_arpabet(token)]
