"""The Ray Tune trainable: one transplant trial as a readable recipe (transplant.py)."""
