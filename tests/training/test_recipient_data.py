"""The recipient's own durations, predicted in padded batches, are the durations it predicts
for each utterance alone: padding never leaks into a neighbour's frames."""

import torch

from voxgraft.models.checkpoints import load_recipient
from voxgraft.models.inference import predict_durations
from voxgraft.training.recipient_data import BATCH, recipient_frames


def test_batched_durations_equal_one_at_a_time(tiny_recipient):
    model = load_recipient(tiny_recipient[0]).model.eval()
    generator = torch.Generator().manual_seed(0)
    vocabulary = model.config.vocab_size
    id_lists = [torch.randint(1, vocabulary, (int(n),), generator=generator).tolist()
                for n in torch.randint(3, 60, (BATCH + 5,), generator=generator)]
    alone = []
    for ids in id_lists:
        tokens = torch.tensor([ids])
        alone.append(predict_durations(model, tokens, torch.ones_like(tokens, dtype=torch.bool), 0.0)[0].float().tolist())
    assert recipient_frames(model, id_lists) == alone
    assert len({len(ids) for ids in id_lists}) > 5  # lengths differ, so rows were padded
