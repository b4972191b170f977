"""voxgraft: surgical fine-tuning of VITS voices, swept with Ray Tune."""

__version__ = "0.1.0"
