"""Typical wrong answers to the exercises of notebook 00, each with words its failure message
must contain (tests/exercises/test_exercises.py checks them)."""

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


def _softmax_batch_max(logits, temperature=1.0):
    z = np.asarray(logits, dtype=float) / temperature
    e = np.exp(z - z.max())  # the max of the whole batch, not of each row
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_no_keepdims(logits, temperature=1.0):
    z = np.asarray(logits, dtype=float) / temperature
    e = np.exp(z - z.max(axis=-1))
    return e / e.sum(axis=-1)


def _softmax_columns(logits, temperature=1.0):
    z = np.asarray(logits, dtype=float) / temperature
    e = np.exp(z - z.max(axis=0))
    return e / e.sum(axis=0)


def _softmax_minus_min(logits, temperature=1.0):
    z = np.asarray(logits, dtype=float) / temperature
    e = np.exp(z - z.min(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _sample_ge(probs, u):
    return int(np.searchsorted(np.cumsum(probs), u, side="left"))


def _sample_no_cumsum(probs, u):
    return next((i for i, p in enumerate(probs) if u < p), len(probs) - 1)


def _sample_no_clamp(probs, u):
    return int(np.searchsorted(np.cumsum(probs), u, side="right"))


def _sample_argmax(probs, u):
    return int(np.argmax(np.cumsum(probs) > u))


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


def _ll_missing_row(bigram_probs, tokens):
    total = 0.0
    for a, b in zip(tokens, tokens[1:]):
        p = bigram_probs[a].get(b, 0.0)  # KeyError for a word with no row
        if p == 0:
            return -math.inf
        total += math.log(p)
    return total


def _ll_skip_first_pair(bigram_probs, tokens):
    total = 0.0
    for a, b in zip(tokens[1:], tokens[2:]):
        p = bigram_probs.get(a, {}).get(b, 0.0)
        if p == 0:
            return -math.inf
        total += math.log(p)
    return total


def _ll_average(bigram_probs, tokens):
    pairs = list(zip(tokens, tokens[1:]))
    total = 0.0
    for a, b in pairs:
        p = bigram_probs.get(a, {}).get(b, 0.0)
        if p == 0:
            return -math.inf
        total += math.log(p)
    return total / max(len(pairs), 1)


def _nll_entropy(target_probs):
    p = np.asarray(target_probs, dtype=float)
    return float(-(p * np.log(p)).sum())


def _top_k_strict(probs, k):
    p = np.asarray(probs, dtype=float)
    cut = np.sort(p)[::-1][min(k, len(p)) - 1]
    out = np.where(p > cut, p, 0.0)  # drops the tokens tied with the k-th
    out[np.argmax(p)] = p.max()
    return out / out.sum()


def _nll_sum(target_probs):
    return float(-np.log(target_probs).sum())


def _nll_no_minus(target_probs):
    return float(np.log(target_probs).mean())


def _nll_bits(target_probs):
    return float(-np.log2(target_probs).mean())


def _nll_log_of_mean(target_probs):
    return float(-np.log(np.mean(target_probs)))


def _nll_perplexity(target_probs):
    return float(np.exp(-np.log(target_probs).mean()))


def _top_k_no_renormalise(probs, k):
    p = np.asarray(probs, dtype=float)
    out = np.zeros_like(p)
    keep = np.argsort(-p, kind="stable")[:k]
    out[keep] = p[keep]
    return out


def _top_k_threshold(probs, k):
    p = np.asarray(probs, dtype=float)
    cut = np.sort(p)[::-1][min(k, len(p)) - 1]
    out = np.where(p >= cut, p, 0.0)  # keeps every token tied with the k-th
    return out / out.sum()


def _top_k_later_tie(probs, k):
    p = np.asarray(probs, dtype=float)
    keep = np.argsort(p, kind="stable")[::-1][:k]  # reversing a stable sort favours later ties
    out = np.zeros_like(p)
    out[keep] = p[keep]
    return out / out.sum()


def _top_k_assumes_sorted(probs, k):
    p = np.asarray(probs, dtype=float)
    out = np.zeros_like(p)
    out[:k] = p[:k]
    return out / out.sum()


def _top_k_values_only(probs, k):
    p = np.sort(np.asarray(probs, dtype=float))[::-1][:k]
    return p / p.sum()


WRONG = {
    "00.1": [
        (_softmax_no_normalise, "divide the exponentials by their sum"),
        (_softmax_times_t, "divide them by it instead"),
        (_softmax_unstable, "subtract the largest logit"),
        (_softmax_whole_batch, "each row should sum to 1"),
        (_softmax_batch_max, "of the whole batch, not of each row"),
        (_softmax_no_keepdims, "keepdims=True"),
        (_softmax_columns, "normalise each row"),
        (_softmax_minus_min, "subtracted the smallest logit"),
    ],
    "00.2": [
        (_sample_ge, "one index too low"),
        (_sample_no_cumsum, "cumulative sum"),
        (_sample_no_clamp, "past the end"),
        (_sample_argmax, "argmax of an all-False array"),
    ],
    "00.3": [
        (_ll_log10, "natural log"),
        (_ll_product, "return its logarithm"),
        (_ll_from_first, "return -inf"),
        (_ll_missing_row, "KeyError"),
        (_ll_skip_first_pair, "the first pair"),
        (_ll_average, "averaged over the pairs"),
    ],
    "00.4": [
        (_nll_sum, "averages over tokens"),
        (_nll_no_minus, "wrong sign"),
        (_nll_bits, "bits"),
        (_nll_log_of_mean, "average probability"),
        (_nll_perplexity, "perplexity"),
        (_nll_entropy, "entropy formula"),
    ],
    "00.5": [
        (_top_k_no_renormalise, "renormalise"),
        (_top_k_threshold, "keep exactly k"),
        (_top_k_later_tie, "the earlier index stays"),
        (_top_k_assumes_sorted, "not sorted"),
        (_top_k_values_only, "full-length vector"),
        (_top_k_strict, "strict >"),
    ],
}
