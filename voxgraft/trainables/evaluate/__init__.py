"""Transplant evaluation: did the organ take (donor-likeness), did the body keep its voice
(recipient preservation), was it rejected (artifacts, instability)? See evaluator.Evaluator."""
