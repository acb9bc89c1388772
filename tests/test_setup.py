"""Seeding and device choice."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from helpers import default_device, set_seed


def test_set_seed_reproduces_python_numpy_and_torch():
    set_seed(3)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    rng_a = set_seed(3)
    second = (random.random(), np.random.rand(), torch.rand(1).item())
    assert first == second
    assert rng_a.random() == set_seed(3).random()


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_set_seed_bad_input(bad):
    with pytest.raises((TypeError, ValueError), match="seed must be"):
        set_seed(bad)


def test_device_is_cpu_by_default(monkeypatch):
    monkeypatch.delenv("LLM_SERIES_GPU", raising=False)
    assert default_device() == "cpu"
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert default_device(prefer_gpu=True) in {expected, "mps"}
