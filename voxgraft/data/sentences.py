"""A seeded sentence generator: a small English grammar over a hand-written word list.

Every preset speaks the same generated texts (parallel data), so durations and spectra of two
voices can be compared utterance by utterance. The word list is chosen to cover English
phonemes broadly: stops, fricatives, affricates, nasals, liquids, glides, diphthongs, r-coloured
vowels.
"""

from __future__ import annotations

import random

MIN_WORDS, MAX_WORDS = 3, 15

NAMES = ["Martha", "Joseph", "Gwen", "Theo", "Ruth", "Oscar", "Judith", "Yusuf", "Vera", "Hugo", "Chloe", "Boyd"]
DETERMINERS = ["the", "a", "every", "this", "that", "my", "your", "our", "one"]
ADJECTIVES = [
    "quiet", "golden", "heavy", "brave", "shiny", "old", "thorough", "purple", "gentle", "azure",
    "noisy", "cheap", "wooden", "frozen", "vivid", "smooth", "young", "curious", "royal", "hungry",
]
NOUNS = [
    "bridge", "pilot", "harbor", "garden", "judge", "engine", "window", "voyage", "feather", "kitchen",
    "thunder", "choir", "zebra", "mountain", "treasure", "owl", "village", "anchor", "measure", "puzzle",
    "oyster", "cherry", "wagon", "fox", "shadow", "ladder", "cousin", "pearl", "yacht", "beige",
]
VERBS = [
    "measured", "painted", "watched", "carried", "followed", "answered", "joined", "pushed", "fixed",
    "thanked", "loved", "chose", "found", "heard", "visited", "borrowed", "shared", "caught",
]
ADVERBS = ["quietly", "slowly", "early", "gladly", "often", "rarely", "barely", "truly", "together", "outside"]
PREPOSITIONS = ["near", "behind", "under", "across", "beside", "through", "above", "with", "toward", "inside"]
CONJUNCTIONS = ["and", "but", "while", "because", "so"]
TIME_PHRASES = ["yesterday", "at dawn", "last winter", "every morning", "on Thursday", "after lunch", "at midnight"]


def _noun_phrase(rng: random.Random) -> list[str]:
    if rng.random() < 0.25:
        return [rng.choice(NAMES)]
    words = [rng.choice(DETERMINERS)]
    if rng.random() < 0.6:
        words.append(rng.choice(ADJECTIVES))
    words.append(rng.choice(NOUNS))
    if words[0] == "a" and words[1][0] in "aeiou":
        words[0] = "an"
    return words


def _verb_phrase(rng: random.Random) -> list[str]:
    words = [rng.choice(VERBS)]
    words += _noun_phrase(rng)
    roll = rng.random()
    if roll < 0.4:
        words += [rng.choice(PREPOSITIONS)] + _noun_phrase(rng)
    elif roll < 0.6:
        words.append(rng.choice(ADVERBS))
    return words


def _clause(rng: random.Random) -> list[str]:
    return _noun_phrase(rng) + _verb_phrase(rng)


def _sentence(rng: random.Random) -> str:
    form = rng.random()
    if form < 0.45:
        words, end = _clause(rng), "."
    elif form < 0.65:
        first = _clause(rng)
        first[-1] += ","
        words, end = first + [rng.choice(CONJUNCTIONS)] + _clause(rng), "."
    elif form < 0.8:
        lead = rng.choice(TIME_PHRASES).split()
        lead[-1] += ","
        words, end = lead + _clause(rng), "."
    elif form < 0.92:
        np_words = _noun_phrase(rng)
        verb = rng.choice(VERBS)
        words, end = ["did"] + np_words + [_present(verb)] + _noun_phrase(rng), "?"
    else:
        words, end = _clause(rng), "!"
    words[0] = words[0][0].upper() + words[0][1:]
    return " ".join(words) + end


def _present(past: str) -> str:
    irregular = {"chose": "choose", "found": "find", "heard": "hear", "caught": "catch", "loved": "love", "shared": "share"}
    if past in irregular:
        return irregular[past]
    if past.endswith("ied"):
        return past[:-3] + "y"
    return past[:-2] if past.endswith("ed") else past


def word_count(sentence: str) -> int:
    return len(sentence.split())


def generate_sentences(count: int, seed: int) -> list[str]:
    """`count` distinct sentences of MIN_WORDS..MAX_WORDS words; the same for the same seed."""
    if count < 0:
        raise ValueError("count must be >= 0")
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[str] = []
    attempts = 0
    while len(out) < count:
        attempts += 1
        if attempts > 100 * count + 1000:
            raise RuntimeError(f"could not generate {count} distinct sentences")
        s = _sentence(rng)
        if MIN_WORDS <= word_count(s) <= MAX_WORDS and s not in seen:
            seen.add(s)
            out.append(s)
    return out
