"""Training that is not Tune-specific: which modules a step runs for a freeze plan (plan.py),
the planned step (step.py), the one training loop (trainer.Trainer.run), recipient pretraining
(pretrain.py), held-out validation and memory use. Start at trainer.py."""
