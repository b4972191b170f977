"""Dataset, collate and bucketed sampler: what VITS training will read."""

import pytest
import torch

from voxgraft.data.alignment import read_alignments
from voxgraft.data.check import corpus_symbols, load_corpus
from voxgraft.data.dataset import Collate, LengthBucketSampler, VoiceDataset
from voxgraft.data.feature_cache import prepare_features


@pytest.fixture(scope="module")
def dataset(corpora):
    corpus = load_corpus(corpora["cadence_donor"])
    return VoiceDataset(corpus, prepare_features(corpus), corpus_symbols(corpus.root),
                        read_alignments(corpus.alignments_path))


def test_forced_durations_sum_to_frames_and_blanks_take_none(dataset):
    assert dataset.has_durations
    for i in range(len(dataset)):
        ex = dataset[i]
        assert ex.durations.sum() == ex.spec.shape[-1]
        assert len(ex.durations) == len(ex.token_ids)
        assert (ex.token_ids[::2] == dataset.symbols.blank_id).all()
        assert (ex.durations[::2] == 0).all()
        assert len(ex.wav) >= ex.spec.shape[-1] * 256


def test_pauses_get_frames(dataset):
    """The cadence donor's word gaps land on word-boundary tokens: they are long, not zero."""
    boundary = dataset.symbols.encode([" "])[0]
    frames = torch.cat([dataset[i].durations[dataset[i].token_ids == boundary] for i in range(len(dataset))])
    assert frames.float().mean() >= 2


def test_without_alignments_tokens_come_from_the_phonemizer(corpora):
    corpus = load_corpus(corpora["recipient"])
    with_align = VoiceDataset(corpus, prepare_features(corpus), corpus_symbols(corpus.root),
                              read_alignments(corpus.alignments_path))
    without = VoiceDataset(corpus, prepare_features(corpus), corpus_symbols(corpus.root), None)
    assert not without.has_durations and without[0].durations is None
    assert torch.equal(without[0].token_ids, with_align[0].token_ids)


def test_collate_pads_and_masks(dataset):
    examples = [dataset[i] for i in range(4)]
    batch = Collate(dataset.symbols.pad_id)(examples)
    assert batch.token_ids.shape == (4, max(len(e.token_ids) for e in examples))
    assert batch.spec.shape[-1] == max(e.spec.shape[-1] for e in examples)
    for i, e in enumerate(examples):
        n = len(e.token_ids)
        assert batch.token_mask[i].sum() == n == batch.token_lengths[i]
        assert (batch.token_ids[i, n:] == dataset.symbols.pad_id).all()
        assert batch.frame_mask[i].sum() == e.spec.shape[-1]
        assert torch.equal(batch.durations[i, :n], e.durations)
        assert torch.equal(batch.wav[i, : len(e.wav)], e.wav)


def test_collate_drops_durations_when_any_is_missing(corpora, dataset):
    corpus = load_corpus(corpora["cadence_donor"])
    plain = VoiceDataset(corpus, prepare_features(corpus), corpus_symbols(corpus.root), None)
    assert Collate(0)([dataset[0], plain[1]]).durations is None


def test_bucket_sampler_covers_everything_once_and_groups_lengths():
    lengths = [(i * 37) % 101 for i in range(500)]
    sampler = LengthBucketSampler(lengths, batch_size=10, seed=3, pool_batches=5)
    batches = list(sampler)
    assert len(batches) == len(sampler) == 50
    assert sorted(i for b in batches for i in b) == list(range(500))
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches) / len(batches)
    assert spread < 25  # random batches would spread over most of 0..100
    assert list(LengthBucketSampler(lengths, 10, seed=3, pool_batches=5)) == batches
    sampler.set_epoch(1)
    assert list(sampler) != batches


def test_bucket_sampler_drop_last_and_bad_batch_size():
    sampler = LengthBucketSampler(list(range(25)), batch_size=10, drop_last=True)
    assert len(sampler) == len(list(sampler)) == 2
    assert len(LengthBucketSampler(list(range(25)), batch_size=10)) == 3
    with pytest.raises(ValueError, match="batch_size"):
        LengthBucketSampler([1, 2], batch_size=0)
