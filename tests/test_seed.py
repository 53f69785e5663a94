"""set_seed: the same seed gives the same numbers from random, NumPy and torch."""

import random

import numpy as np
import pytest
import torch

from helpers.seed import set_seed


def draw(generator: torch.Generator) -> tuple:
    return (
        random.random(),
        np.random.rand(),
        torch.rand(1).item(),
        torch.rand(1, generator=generator).item(),
    )


def test_same_seed_same_numbers_everywhere():
    first = draw(set_seed(7))
    second = draw(set_seed(7))
    assert first == second


def test_different_seeds_differ():
    assert draw(set_seed(1)) != draw(set_seed(2))


def test_returns_a_seeded_cpu_generator():
    generator = set_seed(3)
    assert isinstance(generator, torch.Generator)
    assert generator.initial_seed() == 3


@pytest.mark.parametrize("bad", [1.5, "0", None, True])
def test_rejects_non_integers(bad):
    with pytest.raises(TypeError):
        set_seed(bad)


@pytest.mark.parametrize("bad", [-1, 2**32])
def test_rejects_out_of_range(bad):
    with pytest.raises(ValueError):
        set_seed(bad)
