"""Montreal Forced Aligner TextGrids -> alignments in voxgraft's phoneme tokens.

MFA writes a `words` and a `phones` tier. Phone labels are ARPAbet with stress digits
(english_us_arpa: "AY1") or IPA with MFA's own spellings (english_mfa: "aj", "tʰ", "ɫ"); both
are mapped to eSpeak-style tokens so forced durations line up with what the phonemizer emits.
Silence labels ("", "sil", "sp") become pauses; a word start becomes a zero-length word boundary.
"""

from __future__ import annotations

from pathlib import Path

from voxgraft.data.alignment import Interval
from voxgraft.data.symbols import PAUSE, WORD_BOUNDARY

SILENCE_LABELS = {"", "sil", "sp", "<eps>"}

ARPABET = {
    "AA": "ɑː", "AE": "æ", "AH": "ʌ", "AO": "ɔː", "AW": "aʊ", "AY": "aɪ", "B": "b", "CH": "tʃ",
    "D": "d", "DH": "ð", "EH": "ɛ", "ER": "ɚ", "EY": "eɪ", "F": "f", "G": "ɡ", "HH": "h",
    "IH": "ɪ", "IY": "iː", "JH": "dʒ", "K": "k", "L": "l", "M": "m", "N": "n", "NG": "ŋ",
    "OW": "oʊ", "OY": "ɔɪ", "P": "p", "R": "ɹ", "S": "s", "SH": "ʃ", "T": "t", "TH": "θ",
    "UH": "ʊ", "UW": "uː", "V": "v", "W": "w", "Y": "j", "Z": "z", "ZH": "ʒ",
}
# Unstressed ARPAbet vowels that eSpeak writes differently.
ARPABET_UNSTRESSED = {"AH": "ə", "IY": "i", "ER": "ɚ"}
ARPABET_STRESS = {"1": "ˈ", "2": "ˌ", "0": ""}

# MFA's IPA spellings that differ from eSpeak's.
MFA_IPA = {
    "aj": "aɪ", "aw": "aʊ", "ej": "eɪ", "ow": "oʊ", "ɔj": "ɔɪ", "ɫ": "l", "ɝ": "ɜː", "ʉ": "uː",
    "ʉː": "uː", "c": "k", "ɟ": "ɡ", "ɲ": "n", "ʎ": "l", "l̩": "əl", "ɫ̩": "əl", "m̩": "m", "ɐ": "ə",
    "ɛː": "ɛ", "ɒː": "ɒ", "ɾ̃": "ɾ", "g": "ɡ", "r": "ɹ", "ʧ": "tʃ", "ʤ": "dʒ",
}


class TextGridError(ValueError):
    pass


def phone_tokens(label: str) -> list[str]:
    """One MFA phone label -> tokens (a stress token, then the phoneme)."""
    label = label.strip()
    if label.lower() in SILENCE_LABELS:
        return [PAUSE]
    base, digit = label.rstrip("012"), label[len(label.rstrip("012")):]
    if base.upper() == base and base in ARPABET:
        stress = ARPABET_STRESS.get(digit[:1], "")
        phoneme = ARPABET_UNSTRESSED.get(base, ARPABET[base]) if digit == "0" else ARPABET[base]
        return [stress, phoneme] if stress else [phoneme]
    ipa = label.replace("ʰ", "").replace("ʲ", "").replace("ʷ", "")
    return [MFA_IPA.get(ipa, ipa)]


def read_textgrid(path: str | Path, phones_tier: str = "phones", words_tier: str = "words") -> list[Interval]:
    """Intervals of `phones_tier`, with zero-length word boundaries from `words_tier` if present."""
    from praatio import textgrid

    try:
        tg = textgrid.openTextgrid(str(path), includeEmptyIntervals=True, reportingMode="silence")
    except Exception as exc:  # praatio raises several types for malformed files
        raise TextGridError(f"{path}: not a readable TextGrid ({exc})") from None
    if phones_tier not in tg.tierNames:
        raise TextGridError(f"{path}: no tier named {phones_tier!r} (tiers: {', '.join(tg.tierNames)})")
    word_starts: set[float] = set()
    if words_tier in tg.tierNames:
        entries = [e for e in tg.getTier(words_tier).entries if e.label.strip().lower() not in SILENCE_LABELS]
        word_starts = {round(e.start, 6) for e in entries[1:]}  # a boundary before every word but the first

    out: list[Interval] = []
    for entry in tg.getTier(phones_tier).entries:
        tokens = phone_tokens(entry.label)
        if round(entry.start, 6) in word_starts and tokens != [PAUSE]:
            if out and out[-1].phoneme != PAUSE:
                out.append(Interval(WORD_BOUNDARY, entry.start, entry.start))
            word_starts.discard(round(entry.start, 6))
        for tok in tokens[:-1]:
            out.append(Interval(tok, entry.start, entry.start))
        out.append(Interval(tokens[-1], entry.start, entry.end))
    return out
