"""The sweep file: its schema (schema.py), the built-in sweeps (*.yaml), a sweep directory's
spec and layout (spec.py, the one reader), and the file turned into Ray Tune's param space,
searcher and scheduler (tuner.py). Start at schema.Sweep."""
