"""Every measure of speech. Did the organ take (donor-likeness), did the body keep its voice
(recipient preservation), was it rejected (artifacts, instability)? The metric registry
(registry.py) declares every reported metric once. Start at evaluator.Evaluator."""
