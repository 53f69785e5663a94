"""The shipped data: the digits' shapes and fixed split, and the same docs corpus."""

import hashlib

import pytest
import torch

from helpers.data import digits_loaders, digits_tensors, python_docs_topics


def test_shapes_dtypes_and_range():
    X_train, X_test, y_train, y_test = digits_tensors(size=32)
    assert X_train.shape[1:] == (1, 32, 32) and X_test.shape[1:] == (1, 32, 32)
    assert len(X_train) + len(X_test) == 1797
    assert len(X_test) == 360  # 20 % of 1,797, rounded up by scikit-learn
    assert X_train.dtype == torch.float32 and y_train.dtype == torch.int64
    assert X_train.min() >= 0 and X_train.max() <= 1
    assert set(y_test.tolist()) == set(range(10))


def test_native_size_keeps_the_original_pixels():
    X_train, _, _, _ = digits_tensors(size=8)
    assert X_train.shape[1:] == (1, 8, 8)
    assert torch.equal(X_train * 16, (X_train * 16).round())  # 0..16 scaled by 1/16


def test_split_is_fixed_whatever_the_torch_seed():
    torch.manual_seed(1)
    first = digits_tensors(size=8)
    torch.manual_seed(2)
    second = digits_tensors(size=8)
    for a, b in zip(first, second, strict=True):
        assert torch.equal(a, b)


def test_split_is_stratified():
    _, _, y_train, y_test = digits_tensors(size=8)
    train_share = torch.bincount(y_train) / len(y_train)
    test_share = torch.bincount(y_test) / len(y_test)
    assert (train_share - test_share).abs().max() < 0.01


def test_loaders_batch_and_shuffle_only_training():
    generator = torch.Generator().manual_seed(0)
    train_loader, test_loader = digits_loaders(32, size=8, generator=generator)
    X, y = next(iter(train_loader))
    assert X.shape == (32, 1, 8, 8) and y.shape == (32,)
    first_test = next(iter(test_loader))[1]
    assert torch.equal(first_test, next(iter(test_loader))[1])  # test order is fixed


def test_too_small_size_is_an_error():
    with pytest.raises(ValueError):
        digits_tensors(size=4)


def test_the_python_docs_corpus_is_the_same_text_everywhere():
    topics = python_docs_topics()
    text = "".join(topics.values())
    assert len(topics) == 79 and list(topics) == sorted(topics)
    assert len(text) == 464_970
    digest = hashlib.sha256(text.encode()).hexdigest()
    assert digest == "37d06970fc926e60c16dff401e441b84752446a36b6b64516c229fdec77e992c"
    assert text.startswith('The "assert" statement\n')
