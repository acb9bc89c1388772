"""Typical wrong answers to the exercises of notebook 00, each with words its failure message
must contain (tests/test_exercises.py checks them)."""

import math

import numpy as np


def _softmax_no_normalise(logits, temperature=1.0):
    return np.exp(np.asarray(logits, dtype=float) / temperature)


def _softmax_times_t(logits, temperature=1.0):
    z = np.asarray(logits, dtype=float) * temperature
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_unstable(logits, temperature=1.0):
    e = np.exp(np.asarray(logits, dtype=float) / temperature)
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_whole_batch(logits, temperature=1.0):
    z = np.asarray(logits, dtype=float) / temperature
    e = np.exp(z - z.max())
    return e / e.sum()


def _sample_ge(probs, u):
    return int(np.searchsorted(np.cumsum(probs), u, side="left"))


def _sample_no_cumsum(probs, u):
    return next((i for i, p in enumerate(probs) if u < p), len(probs) - 1)


def _ll_log10(bigram_probs, tokens):
    return sum(math.log10(bigram_probs[a][b]) for a, b in zip(tokens, tokens[1:]))


def _ll_product(bigram_probs, tokens):
    return math.prod(bigram_probs.get(a, {}).get(b, 0.0) for a, b in zip(tokens, tokens[1:]))


def _ll_from_first(bigram_probs, tokens):
    total = 0.0
    for a, b in zip(tokens, tokens[1:]):
        p = bigram_probs.get(a, {}).get(b, 0.0)
        total += math.log(p) if p > 0 else 0.0  # skips impossible pairs instead of -inf
    return total


def _nll_sum(target_probs):
    return float(-np.log(target_probs).sum())


def _nll_no_minus(target_probs):
    return float(np.log(target_probs).mean())


def _nll_bits(target_probs):
    return float(-np.log2(target_probs).mean())


WRONG = {
    "00.1": [
        (_softmax_no_normalise, "divide the exponentials by their sum"),
        (_softmax_times_t, "divide them by it instead"),
        (_softmax_unstable, "subtract the largest logit"),
        (_softmax_whole_batch, "each row should sum to 1"),
    ],
    "00.2": [(_sample_ge, "one index too low"), (_sample_no_cumsum, "cumulative sum")],
    "00.3": [
        (_ll_log10, "natural log"),
        (_ll_product, "return its logarithm"),
        (_ll_from_first, "return -inf"),
    ],
    "00.4": [
        (_nll_sum, "averages over tokens"),
        (_nll_no_minus, "wrong sign"),
        (_nll_bits, "bits"),
    ],
}
