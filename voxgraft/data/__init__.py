"""Voices on disk: corpora (LJSpeech or wav+txt), synthetic voices with exact alignments
(eSpeak NG), phonemes and symbol tables, alignments (import and repair), features and their
cache, and the training datasets. Start at training_set.open_training_set."""
