"""voxgraft: surgical fine-tuning of VITS voices, swept with Ray Tune.

The packages are the layers, lowest first; each imports only from those before it (checked by
import-linter in `make test`):

    atomic, console, layout   writes that cannot be half-done, terminal output, names on disk
    data            corpora, synthetic voices, phonemes, alignments, features, datasets
    models          VITS training forward, MAS, losses, organs, recipients, checkpoints, style VAE
    training        the step plan, the planned step, the trainer loop, pretraining
    evaluate        every measure of speech and the metric registry
    search_spaces   the sweep file, the built-in sweeps, a sweep directory's spec, file -> Tune
    trainables      the Ray Tune trainable: one transplant trial
    sweep           prepare, run and resume; the results store; the best rule; export
    style           style vectors, voice arithmetic, the adapter, the report's style section
    analysis        reports from the results store; pick
    demo            the main job on the embedded default
    cli             one module per command group

Start reading at trainables/transplant.py (one trial, top to bottom), then sweep/run.py.
"""

__version__ = "0.1.0"
