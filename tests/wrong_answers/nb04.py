"""Typical wrong answers to the exercises of notebook 04."""

import numpy as np


def _cosine_dot_only(u, v):
    return float(u @ v)


def _cosine_one_norm(u, v):
    return float(u @ v / np.linalg.norm(u))


def _pairs_with_self(tokens, window):
    return [
        (c, tokens[j])
        for i, c in enumerate(tokens)
        for j in range(max(0, i - window), min(len(tokens), i + window + 1))
    ]


def _pairs_right_only(tokens, window):
    return [
        (c, tokens[j])
        for i, c in enumerate(tokens)
        for j in range(i + 1, min(len(tokens), i + window + 1))
    ]


def _noise_unigram(counts):
    return counts / counts.sum()


def _noise_unnormalised(counts):
    return counts**0.75


def _keep_uncapped(counts, t):
    f = counts / counts.sum()
    return (np.sqrt(f / t) + 1) * t / f


def _keep_raw_counts(counts, t):
    return np.minimum(1.0, (np.sqrt(counts / t) + 1) * t / counts)


def _logsig(x):
    return -np.logaddexp(0.0, -x)


def _loss_wrong_negative_sign(v, u, neg):
    return float(-_logsig(u @ v) - _logsig(neg @ v).sum())


def _loss_positive_only(v, u, neg):
    return float(-_logsig(u @ v))


def _loss_no_minus(v, u, neg):
    return float(_logsig(u @ v) + _logsig(-(neg @ v)).sum())


def _sig(x):
    return np.exp(_logsig(x))


def _grad_no_minus_one(v, u, neg):
    return _sig(u @ v) * u + _sig(neg @ v) @ neg


def _grad_positive_only(v, u, neg):
    return (_sig(u @ v) - 1.0) * u


def _analogy_keeps_inputs(vectors, words, a, b, c):
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    i = {w: k for k, w in enumerate(words)}
    return words[int(np.argmax(unit @ (unit[i[b]] - unit[i[a]] + unit[i[c]])))]


def _analogy_raw_dot(vectors, words, a, b, c):
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    i = {w: k for k, w in enumerate(words)}
    scores = vectors @ (unit[i[b]] - unit[i[a]] + unit[i[c]])
    for w in (a, b, c):
        scores[i[w]] = -np.inf
    return words[int(np.argmax(scores))]


def _neutralize_unnormalised(v, direction):
    return v - (v @ direction) * direction


def _neutralize_subtract_direction(v, direction):
    return v - direction


WRONG = {
    "04.1": [(_cosine_dot_only, "dot product"), (_cosine_one_norm, "*both* lengths")],
    "04.2": [(_pairs_with_self, "its own context"), (_pairs_right_only, "both sides")],
    "04.3": [(_noise_unigram, "power 0.75"), (_noise_unnormalised, "sum to 1")],
    "04.4": [(_keep_uncapped, "cannot exceed 1"), (_keep_raw_counts, "frequency")],
    "04.5": [
        (_loss_wrong_negative_sign, "minus inside"),
        (_loss_positive_only, "negative samples' terms"),
        (_loss_no_minus, "wrong sign"),
    ],
    "04.6": [(_grad_no_minus_one, "subtract 1"), (_grad_positive_only, "pull on v_center")],
    "04.7": [(_analogy_keeps_inputs, "question's words"), (_analogy_raw_dot, "raw dot product")],
    "04.8": [
        (_neutralize_unnormalised, "unit length"),
        (_neutralize_subtract_direction, "projection"),
    ],
}
