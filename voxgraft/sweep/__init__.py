"""Sweeps on Ray Tune: prepare the donor and anchors once (prepare.py), run and resume
(run.py), the Parquet results store and its Tune callback, the one rule for which transplant is
best (best.py), and export of a picked transplant (export.py). Start at run.run_sweep."""
