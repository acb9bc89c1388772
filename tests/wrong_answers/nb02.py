"""Typical wrong answers to the exercises of notebook 02, each with words its failure message
must contain (tests/exercises/test_exercises.py checks them). Each agrees with the reference on the
first, easy case and is caught by a case written to tell it apart."""

import math
from collections import Counter


# ----- 02.1 bigram counts -----
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


def _bigrams_one_stream(sentences):
    padded = ["<s>", *(w for s in sentences for w in s), "</s>"]
    return dict(Counter(zip(padded[:-1], padded[1:])))


def _bigrams_skip_empty(sentences):
    counts = Counter()
    for s in sentences:
        if not s:
            continue
        padded = ["<s>", *s, "</s>"]
        counts.update(zip(padded[:-1], padded[1:]))
    return dict(counts)


def _bigrams_set_per_sentence(sentences):
    counts = Counter()
    for s in sentences:
        padded = ["<s>", *s, "</s>"]
        counts.update(set(zip(padded[:-1], padded[1:])))
    return dict(counts)


# ----- 02.2 maximum likelihood -----
def _mle_over_all(counts, prev, word):
    return counts.get((prev, word), 0) / sum(counts.values())


def _mle_crashes_on_unseen(counts, prev, word):
    total = sum(c for (p, _), c in counts.items() if p == prev)
    return counts.get((prev, word), 0) / (total or math.nan)


def _mle_over_types(counts, prev, word):
    types = sum(1 for p, _ in counts if p == prev)
    return counts.get((prev, word), 0) / types if types else 0.0


def _mle_over_count_as_second(counts, prev, word):
    total = sum(c for (_, w), c in counts.items() if w == prev)
    return counts.get((prev, word), 0) / total if total else 0.0


# ----- 02.3 add-k -----
def _add_k_plain_k(counts, vocab_size, prev, word, k):
    total = sum(c for (p, _), c in counts.items() if p == prev)
    return (counts.get((prev, word), 0) + k) / (total + k)


def _add_k_numerator_only(counts, vocab_size, prev, word, k):
    total = sum(c for (p, _), c in counts.items() if p == prev)
    return (counts.get((prev, word), 0) + k) / total if total else 0.0


def _add_k_plus_v(counts, vocab_size, prev, word, k):
    total = sum(c for (p, _), c in counts.items() if p == prev)
    return (counts.get((prev, word), 0) + k) / (total + vocab_size)


def _add_k_unseen_zero(counts, vocab_size, prev, word, k):
    total = sum(c for (p, _), c in counts.items() if p == prev)
    if not total:
        return 0.0
    return (counts.get((prev, word), 0) + k) / (total + k * vocab_size)


def _add_k_vocab_from_counts(counts, vocab_size, prev, word, k):
    vocab = {w for pair in counts for w in pair}
    total = sum(c for (p, _), c in counts.items() if p == prev)
    return (counts.get((prev, word), 0) + k) / (total + k * len(vocab))


# ----- 02.4 continuation count -----
def _continuation_occurrences(counts, word):
    return sum(c for (_, w), c in counts.items() if w == word)


def _continuation_followers(counts, word):
    return sum(1 for (p, _), c in counts.items() if p == word)


def _continuation_probability(counts, word):
    return sum(1 for _, w in counts if w == word) / len(counts)


def _continuation_either_side(counts, word):
    return sum(1 for pair in counts if word in pair)


def _continuation_not_after_bos(counts, word):
    return sum(1 for p, w in counts if w == word and p != "<s>")


# ----- 02.5 interpolated Kneser-Ney -----
def _kn_parts(counts, prev, word):
    total = sum(c for (p, _), c in counts.items() if p == prev)
    followers = sum(1 for p, _ in counts if p == prev)
    p_cont = sum(1 for _, w in counts if w == word) / len(counts)
    return total, followers, p_cont, counts.get((prev, word), 0)


def _kn_unseen_context_zero(counts, prev, word, d=0.75):
    total, followers, p_cont, count = _kn_parts(counts, prev, word)
    if not total:
        return 0.0
    return max(count - d, 0) / total + d * followers / total * p_cont


def _kn_context_row_lookup(counts, prev, word, d=0.75):
    # a table of context totals built from the counts: a context with no row raises KeyError
    totals = Counter()
    for (p, _), c in counts.items():
        totals[p] += c
    totals = dict(totals)
    total = totals[prev]
    _, followers, p_cont, count = _kn_parts(counts, prev, word)
    return max(count - d, 0) / total + d * followers / total * p_cont


def _kn_no_clip(counts, prev, word, d=0.75):
    total, followers, p_cont, count = _kn_parts(counts, prev, word)
    if not total:
        return p_cont
    return (count - d) / total + d * followers / total * p_cont


def _kn_backoff(counts, prev, word, d=0.75):
    total, followers, p_cont, count = _kn_parts(counts, prev, word)
    if not total:
        return p_cont
    if count:
        return (count - d) / total
    return d * followers / total * p_cont


def _kn_lambda_without_types(counts, prev, word, d=0.75):
    total, _, p_cont, count = _kn_parts(counts, prev, word)
    if not total:
        return p_cont
    return max(count - d, 0) / total + d / total * p_cont


def _kn_unigram_lower_order(counts, prev, word, d=0.75):
    total, followers, _, count = _kn_parts(counts, prev, word)
    p_uni = sum(c for (_, w), c in counts.items() if w == word) / sum(counts.values())
    if not total:
        return p_uni
    return max(count - d, 0) / total + d * followers / total * p_uni


def _kn_cont_over_words(counts, prev, word, d=0.75):
    total, followers, _, count = _kn_parts(counts, prev, word)
    p_cont = sum(1 for _, w in counts if w == word) / len({w for _, w in counts})
    if not total:
        return p_cont
    return max(count - d, 0) / total + d * followers / total * p_cont


def _kn_fixed_discount(counts, prev, word, d=0.75):
    total, followers, p_cont, count = _kn_parts(counts, prev, word)
    if not total:
        return p_cont
    return max(count - 0.75, 0) / total + 0.75 * followers / total * p_cont


def _kn_unseen_context_uniform(counts, prev, word, d=0.75):
    total, followers, p_cont, count = _kn_parts(counts, prev, word)
    if not total:
        return 1 / len({w for _, w in counts})
    return max(count - d, 0) / total + d * followers / total * p_cont


def _kn_cont_over_count_total(counts, prev, word, d=0.75):
    total, followers, _, count = _kn_parts(counts, prev, word)
    p_cont = sum(1 for _, w in counts if w == word) / sum(counts.values())
    if not total:
        return p_cont
    return max(count - d, 0) / total + d * followers / total * p_cont


# ----- 02.6 perplexity -----
def _ppl_no_minus(log_probs):
    return math.exp(sum(log_probs) / len(log_probs))


def _ppl_sum(log_probs):
    return math.exp(-sum(log_probs))


def _ppl_base_two(log_probs):
    return 2 ** (-sum(log_probs) / len(log_probs))


def _ppl_mean_probability(log_probs):
    return len(log_probs) / sum(math.exp(lp) for lp in log_probs)


WRONG = {
    "02.1": [
        (_bigrams_no_padding, "pad each sentence"),
        (_bigrams_no_end, "pad '</s>' after the last word"),
        (_bigrams_one_stream, "one stream"),
        (_bigrams_skip_empty, "do not skip it"),
        (_bigrams_set_per_sentence, "count every occurrence"),
    ],
    "02.2": [
        (_mle_over_all, "count of the *context*"),
        (_mle_crashes_on_unseen, "return 0.0"),
        (_mle_over_types, "*different* words after prev"),
        (_mle_over_count_as_second, "comes *second*"),
    ],
    "02.3": [
        (_add_k_plain_k, "grows by k * V"),
        (_add_k_numerator_only, "divide by total + k * V"),
        (_add_k_plus_v, "right only for k = 1"),
        (_add_k_unseen_zero, "1/V there, not 0"),
        (_add_k_vocab_from_counts, "use the vocab_size argument"),
    ],
    "02.4": [
        (_continuation_occurrences, "*distinct*"),
        (_continuation_followers, "follow it"),
        (_continuation_probability, "continuation *probability*"),
        (_continuation_either_side, "either side"),
        (_continuation_not_after_bos, "'<s>' is a context like any other"),
    ],
    "02.5": [
        (_kn_unseen_context_zero, "whole continuation probability"),
        (_kn_context_row_lookup, "raised KeyError"),
        (_kn_no_clip, "clip at zero"),
        (_kn_backoff, "*interpolated*"),
        (_kn_lambda_without_types, "*distinct* follower"),
        (_kn_unigram_lower_order, "not w's unigram frequency"),
        (_kn_cont_over_words, "number of distinct bigrams"),
        (_kn_fixed_discount, "use the discount d passed in"),
        (_kn_unseen_context_uniform, "not to a uniform distribution"),
        (_kn_cont_over_count_total, "not the total count of all bigrams"),
    ],
    "02.6": [
        (_ppl_no_minus, "wrong sign"),
        (_ppl_sum, "average the log-probabilities"),
        (_ppl_base_two, "use exp"),
        (_ppl_mean_probability, "geometric mean"),
    ],
}
