"""Typical wrong answers to the exercises of notebook 04."""

import numpy as np

# ---- 04.1 cosine similarity


def _cosine_dot_only(u, v):
    return float(u @ v)


def _cosine_one_norm(u, v):
    return float(u @ v / np.linalg.norm(u))


def _cosine_squared_norms(u, v):
    return float(u @ v / ((u @ u) * (v @ v)))


def _cosine_distance(u, v):  # what scipy.spatial.distance.cosine returns
    return float(1 - u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))


def _cosine_absolute(u, v):
    return float(abs(u @ v) / (np.linalg.norm(u) * np.linalg.norm(v)))


# ---- 04.2 skip-gram pairs


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


def _pairs_one_short(tokens, window):
    return [
        (c, tokens[j])
        for i, c in enumerate(tokens)
        for j in range(max(0, i - window + 1), min(len(tokens), i + window))
        if j != i
    ]


def _pairs_negative_indices_wrap(tokens, window):
    return [
        (c, tokens[j])
        for i, c in enumerate(tokens)
        for j in range(i - window, i + window + 1)
        if j != i and j < len(tokens)
    ]


# ---- 04.3 the noise distribution


def _noise_unigram(counts):
    return counts / counts.sum()


def _noise_unnormalised(counts):
    return counts**0.75


def _noise_divided_by_the_count_total(counts):
    return counts**0.75 / counts.sum()


def _noise_normalised_then_powered(counts):
    return (counts / counts.sum()) ** 0.75


# ---- 04.4 the SGNS loss


def _logsig(x):
    return -np.logaddexp(0.0, -x)


def _loss_wrong_negative_sign(v, u, neg):
    return float(-_logsig(u @ v) - _logsig(neg @ v).sum())


def _loss_positive_only(v, u, neg):
    return float(-_logsig(u @ v))


def _loss_no_minus(v, u, neg):
    return float(_logsig(u @ v) + _logsig(-(neg @ v)).sum())


def _loss_one_minus_sigmoid(v, u, neg):  # 1 - σ(40) rounds to 0: log 0
    sig = 1 / (1 + np.exp(-np.r_[u @ v, neg @ v]))
    return float(-np.log(sig[0]) - np.log(1 - sig[1:]).sum())


def _loss_naive_log_sigmoid(v, u, neg):  # e^900 overflows: σ = 0, log 0
    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    return float(-np.log(sigmoid(u @ v)) - np.log(sigmoid(-(neg @ v))).sum())


def _loss_mean_over_negatives(v, u, neg):
    return float(-_logsig(u @ v) - _logsig(-(neg @ v)).mean())


# ---- 04.5 its gradient


def _sig(x):
    return np.exp(_logsig(x))


def _grad_no_minus_one(v, u, neg):
    return _sig(u @ v) * u + _sig(neg @ v) @ neg


def _grad_positive_only(v, u, neg):
    return (_sig(u @ v) - 1.0) * u


def _grad_with_respect_to_the_context(v, u, neg):
    return (_sig(u @ v) - 1.0) * v


def _grad_sigma_of_minus_s_for_noise(v, u, neg):
    return (_sig(u @ v) - 1.0) * u + _sig(-(neg @ v)) @ neg


def _grad_exp_over_one_plus_exp(v, u, neg):  # e^900 / (1 + e^900) = inf / inf = nan
    def sigmoid(x):
        return np.exp(x) / (1 + np.exp(x))

    return (sigmoid(u @ v) - 1.0) * u + sigmoid(neg @ v) @ neg


# ---- 04.6 subsampling


def _keep_uncapped(counts, t):
    f = counts / counts.sum()
    return (np.sqrt(f / t) + 1) * t / f


def _keep_raw_counts(counts, t):
    return np.minimum(1.0, (np.sqrt(counts / t) + 1) * t / counts)


def _keep_papers_formula(counts, t):
    f = counts / counts.sum()
    return np.minimum(1.0, np.sqrt(t / f))


def _keep_discard_probability(counts, t):
    f = counts / counts.sum()
    return 1 - np.sqrt(t / f)


# ---- 04.7 3CosAdd


def _unit(vectors):
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _best(scores, words, exclude):
    scores = scores.copy()
    for w in exclude:
        scores[words.index(w)] = -np.inf
    return words[int(np.argmax(scores))]


def _analogy_keeps_inputs(vectors, words, a, b, c):
    unit = _unit(vectors)
    i = {w: k for k, w in enumerate(words)}
    return words[int(np.argmax(unit @ (unit[i[b]] - unit[i[a]] + unit[i[c]])))]


def _analogy_raw_dot(vectors, words, a, b, c):
    unit = _unit(vectors)
    i = {w: k for k, w in enumerate(words)}
    return _best(vectors @ (unit[i[b]] - unit[i[a]] + unit[i[c]]), words, (a, b, c))


def _analogy_raw_offset(vectors, words, a, b, c):
    i = {w: k for k, w in enumerate(words)}
    target = vectors[i[b]] - vectors[i[a]] + vectors[i[c]]
    return _best(_unit(vectors) @ target, words, (a, b, c))


def _analogy_all_raw(vectors, words, a, b, c):
    i = {w: k for k, w in enumerate(words)}
    return _best(vectors @ (vectors[i[b]] - vectors[i[a]] + vectors[i[c]]), words, (a, b, c))


def _analogy_3cosmul(vectors, words, a, b, c):
    unit = _unit(vectors)
    i = {w: k for k, w in enumerate(words)}
    cos = [(unit @ unit[i[w]] + 1) / 2 for w in (a, b, c)]
    return _best(cos[1] * cos[2] / (cos[0] + 1e-3), words, (a, b, c))


def _analogy_reversed_offset(vectors, words, a, b, c):
    unit = _unit(vectors)
    i = {w: k for k, w in enumerate(words)}
    return _best(unit @ (unit[i[a]] - unit[i[b]] + unit[i[c]]), words, (a, b, c))


# ---- 04.8 neutralising


def _neutralize_unnormalised(v, direction):
    return v - (v @ direction) * direction


def _neutralize_subtract_direction(v, direction):
    return v - direction


def _neutralize_then_rescale(v, direction):  # the notebook's hard-debiasing prose does this
    g = direction / np.linalg.norm(direction)
    out = v - (v @ g) * g
    return out / np.linalg.norm(out)


def _neutralize_divides_once(v, direction):
    return v - (v @ direction) / np.linalg.norm(direction) * direction


def _neutralize_returns_the_projection(v, direction):
    g = direction / np.linalg.norm(direction)
    return (v @ g) * g


WRONG = {
    "04.1": [
        (_cosine_dot_only, "dot product"),
        (_cosine_one_norm, "*both* lengths"),
        (_cosine_squared_norms, "squared lengths"),
        (_cosine_distance, "cosine *distance*"),
        (_cosine_absolute, "keep the sign"),
    ],
    "04.2": [
        (_pairs_with_self, "its own context"),
        (_pairs_right_only, "both sides"),
        (_pairs_one_short, "one position short"),
        (_pairs_negative_indices_wrap, "wrap around"),
    ],
    "04.3": [
        (_noise_unigram, "power 0.75"),
        (_noise_unnormalised, "sum to 1"),
        (_noise_divided_by_the_count_total, "*powered* counts"),
        (_noise_normalised_then_powered, "normalised before"),
    ],
    "04.4": [
        (_loss_wrong_negative_sign, "minus inside"),
        (_loss_positive_only, "negative samples' terms"),
        (_loss_no_minus, "wrong sign"),
        (_loss_one_minus_sigmoid, "np.logaddexp"),
        (_loss_naive_log_sigmoid, "never overflows"),
        (_loss_mean_over_negatives, "do not average"),
    ],
    "04.5": [
        (_grad_no_minus_one, "subtract 1"),
        (_grad_positive_only, "pull on v_center"),
        (_grad_with_respect_to_the_context, "with respect to u_context"),
        (_grad_sigma_of_minus_s_for_noise, "not σ(-u_k·v_center)"),
        (_grad_exp_over_one_plus_exp, "inf / inf"),
    ],
    "04.6": [
        (_keep_uncapped, "cannot exceed 1"),
        (_keep_raw_counts, "frequency"),
        (_keep_papers_formula, "paper's sqrt(t / f)"),
        (_keep_discard_probability, "*dropping*"),
    ],
    "04.7": [
        (_analogy_keeps_inputs, "question's words"),
        (_analogy_raw_dot, "raw dot product"),
        (_analogy_raw_offset, "*unit* vectors"),
        (_analogy_all_raw, "raw vectors throughout"),
        (_analogy_3cosmul, "3CosMul"),
        (_analogy_reversed_offset, "a - b + c"),
    ],
    "04.8": [
        (_neutralize_unnormalised, "unit length first"),
        (_neutralize_subtract_direction, "projection"),
        (_neutralize_then_rescale, "rescaled the result"),
        (_neutralize_divides_once, "twice"),
        (_neutralize_returns_the_projection, "return v minus it"),
    ],
}
