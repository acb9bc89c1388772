"""Seeding every random number generator a notebook touches, so figures are reproducible."""

from __future__ import annotations

import random
import sys

import numpy as np


def set_seed(seed: int = 0) -> np.random.Generator:
    """Seed Python's `random`, numpy's global generator and torch (if it is imported or installed).

    Returns a fresh `numpy.random.Generator` seeded with `seed`, the preferred way to draw numbers
    in new code. torch is seeded only if it is already imported, so that calling this does not
    cost a torch import in notebooks that never use it.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)
    return np.random.default_rng(seed)
