"""Typical wrong answers to the exercises of notebook 02."""

import math
from collections import Counter


def _bigrams_no_padding(sentences):
    counts = Counter()
    for s in sentences:
        counts.update(zip(s[:-1], s[1:]))
    return dict(counts)


def _bigrams_no_end(sentences):
    counts = Counter()
    for s in sentences:
        padded = ["<s>", *s]
        counts.update(zip(padded[:-1], padded[1:]))
    return dict(counts)


def _mle_over_all(counts, prev, word):
    return counts.get((prev, word), 0) / sum(counts.values())


def _mle_crashes_on_unseen(counts, prev, word):
    total = sum(c for (p, _), c in counts.items() if p == prev)
    return counts.get((prev, word), 0) / (total or math.nan)


def _add_k_plain_k(counts, vocab_size, prev, word, k):
    total = sum(c for (p, _), c in counts.items() if p == prev)
    return (counts.get((prev, word), 0) + k) / (total + k)


def _add_k_numerator_only(counts, vocab_size, prev, word, k):
    total = sum(c for (p, _), c in counts.items() if p == prev)
    return (counts.get((prev, word), 0) + k) / total if total else 0.0


def _ppl_no_minus(log_probs):
    return math.exp(sum(log_probs) / len(log_probs))


def _ppl_sum(log_probs):
    return math.exp(-sum(log_probs))


def _continuation_occurrences(counts, word):
    return sum(c for (_, w), c in counts.items() if w == word)


def _continuation_followers(counts, word):
    return sum(1 for (p, _), c in counts.items() if p == word)


def _unseen_types(train, valid):
    types = set(valid)
    return sum(g not in set(train) for g in types) / len(types)


def _seen_share(train, valid):
    return sum(g in set(train) for g in valid) / len(valid)


WRONG = {
    "02.1": [(_bigrams_no_padding, "pad each sentence"), (_bigrams_no_end, "n + 1 bigrams")],
    "02.2": [(_mle_over_all, "count of the *context*"), (_mle_crashes_on_unseen, "return 0.0")],
    "02.3": [(_add_k_plain_k, "k * V"), (_add_k_numerator_only, "divide by total + k * V")],
    "02.4": [(_ppl_no_minus, "wrong sign"), (_ppl_sum, "average the log-probabilities")],
    "02.5": [(_continuation_occurrences, "*distinct*"), (_continuation_followers, "follow it")],
    "02.6": [(_unseen_types, "occurrence"), (_seen_share, "unseen share")],
}
