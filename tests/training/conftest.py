"""A tiny VITS model and a batch of aligned recipient utterances for step tests."""

import pytest
import torch
from transformers import VitsModel

from voxgraft.data.training_set import open_training_set
from voxgraft.models.configs import named_config


@pytest.fixture(scope="module")
def training_set(corpora):
    return open_training_set(corpora["recipient"], "forced", heldout=4)


@pytest.fixture
def batch(training_set):
    return training_set.heldout_batch()


@pytest.fixture
def tiny_model(training_set):
    """Perturbed away from initialisation, where zeroed layers hide some gradients."""
    torch.manual_seed(0)
    config = named_config("tiny", len(training_set.symbols))
    config.use_stochastic_duration_prediction = True  # the harder predictor, as base and MMS-TTS use
    config.hidden_dropout = config.layerdrop = 0.1  # dropout and layerdrop must be reproduced too
    model = VitsModel(config)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    return model
