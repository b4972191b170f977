"""Synthetic voice presets: name -> eSpeak NG voice, variant, rate, pitch, pitch range, word gap.

The presets make transplant questions whose answers are known:
- `cadence_donor` has the recipient's timbre but speaks about 40% slower with long word gaps,
  so only the duration predictor has something to learn from it;
- `timbre_donor` keeps the recipient's pace but has a different (female, higher) voice;
- `man`, `woman`, `man_whisper`, `woman_whisper` test voice arithmetic from the research notes
  (whisper = woman_whisper - woman; man_whisper ~ man + whisper).
"""

from __future__ import annotations

from voxgraft.data.espeak import VoiceSettings

VOICE_PRESETS: dict[str, VoiceSettings] = {
    "recipient": VoiceSettings(voice="en-us", rate=175, pitch=45, pitch_range=50, word_gap=0),
    "cadence_donor": VoiceSettings(voice="en-us", rate=124, pitch=45, pitch_range=50, word_gap=4),
    "timbre_donor": VoiceSettings(voice="en-us+f3", rate=175, pitch=70, pitch_range=60, word_gap=0),
    "man": VoiceSettings(voice="en-us+m3", rate=165, pitch=40, pitch_range=45, word_gap=0),
    "woman": VoiceSettings(voice="en-us+f2", rate=165, pitch=65, pitch_range=55, word_gap=0),
    "man_whisper": VoiceSettings(voice="en-us+whisper", rate=165, pitch=40, pitch_range=45, word_gap=0),
    "woman_whisper": VoiceSettings(voice="en-us+whisperf", rate=165, pitch=65, pitch_range=55, word_gap=0),
}

DEMO_PRESETS = ("recipient", "cadence_donor", "timbre_donor")


class UnknownPresetError(ValueError):
    def __init__(self, name: str):
        super().__init__(f"unknown voice preset {name!r}; choose one of: {', '.join(VOICE_PRESETS)}")


def get_preset(name: str) -> VoiceSettings:
    try:
        return VOICE_PRESETS[name]
    except KeyError:
        raise UnknownPresetError(name) from None
