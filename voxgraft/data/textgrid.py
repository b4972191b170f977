"""Montreal Forced Aligner TextGrids -> timed ARPAbet phones.

MFA writes a `words` and a `phones` tier. Phone labels are ARPAbet with stress digits
(english_us_arpa: "AY1") or IPA with MFA's own spellings (english_mfa: "aj", "tʰ", "ɫ"); both
are read as ARPAbet, and `token_timing.place` carries their times onto the phonemizer's tokens.
Silence labels ("", "sil", "sp") are silence.
"""

from __future__ import annotations

import re
from pathlib import Path

from voxgraft.data.arpabet import ARPABET, ARPABET_UNSTRESSED, tokens_to_arpabet
from voxgraft.data.symbols import PAUSE
from voxgraft.data.token_timing import SILENCE, TimedPhone

SILENCE_LABELS = {"", "sil", "sp", "<eps>"}

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


_INDEX = re.compile(r"\[\d*\]")
_TOKEN = re.compile(r'"((?:[^"]|"")*)"|(?<![\w.])(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)(?![\w.])')


def _tokens(text: str) -> list[str | float]:
    """Praat's long and short TextGrid formats hold the same sequence of strings and numbers;
    keys ("xmin =") and item indices ("[1]") are decoration."""
    out: list[str | float] = []
    for m in _TOKEN.finditer(_INDEX.sub("", text)):
        out.append(m.group(1).replace('""', '"') if m.group(1) is not None else float(m.group(2)))
    return out


def _decode(data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


def parse_tiers(path: str | Path) -> dict[str, list[tuple[float, float, str]]]:
    """Interval tiers of a TextGrid by name. Unlike stricter readers, overlapping or
    out-of-order intervals are kept as written: repairing them is `alignment.repair`'s job."""
    try:
        toks = _tokens(_decode(Path(path).read_bytes()))
        if toks[:2] != ["ooTextFile", "TextGrid"]:
            raise ValueError("does not start with the TextGrid header")
        pos = 4  # header strings, then the grid's xmin and xmax
        n_tiers = int(toks[pos])
        pos += 1
        tiers: dict[str, list[tuple[float, float, str]]] = {}
        for _ in range(n_tiers):
            kind, name = toks[pos], toks[pos + 1]
            n = int(toks[pos + 4])
            pos += 5
            if kind == "IntervalTier":
                tiers[str(name)] = [
                    (float(toks[pos + 3 * i]), float(toks[pos + 3 * i + 1]), str(toks[pos + 3 * i + 2])) for i in range(n)
                ]
                pos += 3 * n
            else:  # a point tier: (time, mark) pairs
                pos += 2 * n
        return tiers
    except (OSError, UnicodeDecodeError, ValueError, IndexError, TypeError) as exc:
        raise TextGridError(f"{path}: not a readable TextGrid ({exc})") from None


def textgrid_phones(path: str | Path, phones_tier: str = "phones") -> list[TimedPhone]:
    """The phone tier as timed ARPAbet phones (silences as SILENCE), intervals as written."""
    tiers = parse_tiers(path)
    if phones_tier not in tiers:
        raise TextGridError(f"{path}: no tier named {phones_tier!r} (tiers: {', '.join(tiers) or 'none'})")
    out: list[TimedPhone] = []
    for start, end, label in tiers[phones_tier]:
        if label.strip().lower() in SILENCE_LABELS:
            out.append(TimedPhone(SILENCE, start, end))
            continue
        phones = tokens_to_arpabet(phone_tokens(label)) or [f"?{label}"]  # an unknown label matches nothing
        step = (end - start) / len(phones)
        out.extend(TimedPhone(p, start + i * step, start + (i + 1) * step) for i, p in enumerate(phones))
    return out
