"""Typical wrong answers to the exercises of notebook 08. Each agrees with the reference on the easy
cases (temperature 1, no ties, sorted probabilities, the first beam-search step, positive seen
logits seen once, an empty cache or d = 1) and is caught only by a case written to tell it apart:
a temperature after the softmax, top-k that breaks ties, top-p that drops the boundary token, beam
search without length normalisation, the CTRL form of the repetition penalty, a new token that
does not attend to itself."""

import numpy as np


def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _one_hot_first(z):
    return np.eye(z.shape[-1])[z.argmax(axis=-1)]


# 08.1 · one beam-search step -------------------------------------------------------------------


def _beam(sums, log_probs, n, eos_id, length_penalty, candidates, finish_rank, score, add=True):
    beams, vocab = log_probs.shape
    totals = log_probs + (sums[:, None] if add else 0)
    flat = np.argsort(-totals.ravel(), kind="stable")[: candidates * beams]
    running, finished = [], []
    for rank, f in enumerate(flat):
        beam, token = int(f) // vocab, int(f) % vocab
        total = float(totals[beam, token])
        if token == eos_id:
            if rank < finish_rank * beams:
                finished.append((beam, score(total, n, length_penalty)))
        elif len(running) < beams:
            running.append((beam, token, total))
    return running, finished


def _hf_score(total, n, alpha):
    return total / n**alpha


def _beam_no_length_normalisation(sums, log_probs, n, eos_id, length_penalty=1.0):
    return _beam(sums, log_probs, n, eos_id, length_penalty, 2, 1, lambda t, n, a: t)


def _beam_gnmt_penalty(sums, log_probs, n, eos_id, length_penalty=1.0):
    return _beam(sums, log_probs, n, eos_id, length_penalty, 2, 1,
                 lambda t, n, a: t / ((5 + n) / 6) ** a)  # fmt: skip


def _beam_only_num_beams_candidates(sums, log_probs, n, eos_id, length_penalty=1.0):
    return _beam(sums, log_probs, n, eos_id, length_penalty, 1, 1, _hf_score)


def _beam_finishes_reserves(sums, log_probs, n, eos_id, length_penalty=1.0):
    return _beam(sums, log_probs, n, eos_id, length_penalty, 2, 2, _hf_score)


def _beam_forgets_running_sums(sums, log_probs, n, eos_id, length_penalty=1.0):
    return _beam(sums, log_probs, n, eos_id, length_penalty, 2, 1, _hf_score, add=False)


def _beam_normalises_running_too(sums, log_probs, n, eos_id, length_penalty=1.0):
    running, finished = _beam(sums, log_probs, n, eos_id, length_penalty, 2, 1, _hf_score)
    return [(b, t, s / n**length_penalty) for b, t, s in running], finished


# 08.2 · temperature ----------------------------------------------------------------------------


def _temperature_after_softmax(logits, temperature):
    z = np.asarray(logits, dtype=float)
    if temperature == 0:
        return _one_hot_first(z)
    p = _softmax(z) / temperature
    return p / p.sum(axis=-1, keepdims=True)


def _temperature_multiplied(logits, temperature):
    z = np.asarray(logits, dtype=float)
    if temperature == 0:
        return _one_hot_first(z)
    return _softmax(z * temperature)


def _temperature_zero_divides(logits, temperature):
    return _softmax(np.asarray(logits, dtype=float) / temperature)


def _temperature_no_max_shift(logits, temperature):
    z = np.asarray(logits, dtype=float)
    if temperature == 0:
        return _one_hot_first(z)
    e = np.exp(z / temperature)
    return e / e.sum(axis=-1, keepdims=True)


def _temperature_power_not_renormalised(logits, temperature):
    z = np.asarray(logits, dtype=float)
    if temperature == 0:
        return _one_hot_first(z)
    return _softmax(z) ** (1 / temperature)


def _temperature_last_of_ties(logits, temperature):
    z = np.asarray(logits, dtype=float)
    if temperature == 0:
        last = z.shape[-1] - 1 - np.argmax(z[..., ::-1], axis=-1)
        return np.eye(z.shape[-1])[last]
    return _softmax(z / temperature)


# 08.3 · top-k ----------------------------------------------------------------------------------


def _top_k_exactly_k(logits, k):
    z = np.asarray(logits, dtype=float)
    if k == 0 or k >= z.shape[-1]:
        return z.copy()
    out = np.full(z.shape, -np.inf)
    keep = np.argsort(-z, axis=-1, kind="stable")[..., :k]
    np.put_along_axis(out, keep, np.take_along_axis(z, keep, axis=-1), axis=-1)
    return out


def _top_k_zero_fill(logits, k):
    z = np.asarray(logits, dtype=float)
    if k == 0 or k >= z.shape[-1]:
        return z.copy()
    kth = np.sort(z, axis=-1)[..., -k][..., None]
    return np.where(z < kth, 0.0, z)


def _top_k_whole_batch(logits, k):
    z = np.asarray(logits, dtype=float)
    if k == 0 or k >= z.shape[-1]:
        return z.copy()
    return np.where(z < np.sort(z, axis=None)[-k], -np.inf, z)


def _top_k_smallest(logits, k):
    z = np.asarray(logits, dtype=float)
    if k == 0 or k >= z.shape[-1]:
        return z.copy()
    kth = np.sort(z, axis=-1)[..., k - 1][..., None]  # ascending sort: the k-th smallest
    return np.where(z > kth, -np.inf, z)


def _top_k_zero_keeps_nothing(logits, k):
    z = np.asarray(logits, dtype=float)
    if k == 0:
        return np.full(z.shape, -np.inf)
    kth = np.sort(z, axis=-1)[..., -min(k, z.shape[-1])][..., None]
    return np.where(z < kth, -np.inf, z)


# 08.4 · top-p ----------------------------------------------------------------------------------


def _sorted(logits):
    z = np.asarray(logits, dtype=float)
    probs = _softmax(z)
    order = np.argsort(-probs, axis=-1, kind="stable")
    return z, order, np.take_along_axis(probs, order, axis=-1)


def _unsort(z, order, keep_sorted):
    keep = np.zeros(keep_sorted.shape, dtype=bool)
    np.put_along_axis(keep, order, keep_sorted, axis=-1)
    return np.where(keep, z, -np.inf)


def _top_p_drops_boundary(logits, p):
    z, order, sorted_probs = _sorted(logits)
    if p >= 1:
        return z
    return _unsort(z, order, np.cumsum(sorted_probs, axis=-1) <= p)


def _top_p_strict_drops_boundary(logits, p):
    z, order, sorted_probs = _sorted(logits)
    if p >= 1:
        return z
    return _unsort(z, order, np.cumsum(sorted_probs, axis=-1) < p)


def _top_p_unsorted(logits, p):
    z = np.asarray(logits, dtype=float)
    probs = _softmax(z)
    return np.where(np.cumsum(probs, axis=-1) - probs < p, z, -np.inf)


def _top_p_left_sorted(logits, p):
    z, order, sorted_probs = _sorted(logits)
    ahead = np.cumsum(sorted_probs, axis=-1) - sorted_probs
    return np.where(ahead < p, np.take_along_axis(z, order, axis=-1), -np.inf)


def _top_p_on_logits(logits, p):
    z = np.asarray(logits, dtype=float)
    return np.where(np.cumsum(z, axis=-1) - z < p, z, -np.inf)


# 08.5 · repetition penalty ---------------------------------------------------------------------


def _penalty_ctrl(logits, ids, penalty):
    z = np.array(logits, dtype=float)
    seen = sorted(set(ids))
    z[seen] = z[seen] / penalty
    return z


def _penalty_per_occurrence(logits, ids, penalty):
    z = np.array(logits, dtype=float)
    for i in ids:
        z[i] = z[i] / penalty if z[i] > 0 else z[i] * penalty
    return z


def _penalty_positions(logits, ids, penalty):
    z = np.array(logits, dtype=float)
    head = z[: len(ids)]
    z[: len(ids)] = np.where(head > 0, head / penalty, head * penalty)
    return z


def _penalty_swapped(logits, ids, penalty):
    z = np.array(logits, dtype=float)
    seen = sorted(set(ids))
    z[seen] = np.where(z[seen] > 0, z[seen] * penalty, z[seen] / penalty)
    return z


# 08.6 · attention with a KV cache ------------------------------------------------------------


def _cache_attend(q, keys, values, scale):
    s = keys @ q / scale
    w = np.exp(s - s.max())
    return (w / w.sum()) @ values


def _cache_not_itself(q, k, v, K_cache, V_cache):
    # "the first token has no past: its output is its own value"; later ones see only the past
    out = v if len(K_cache) == 0 else _cache_attend(q, K_cache, V_cache, np.sqrt(len(q)))
    return out, np.vstack([K_cache, k]), np.vstack([V_cache, v])


def _cache_unscaled(q, k, v, K_cache, V_cache):
    K, V = np.vstack([K_cache, k]), np.vstack([V_cache, v])
    return _cache_attend(q, K, V, 1.0), K, V


def _cache_scaled_by_length(q, k, v, K_cache, V_cache):
    K, V = np.vstack([K_cache, k]), np.vstack([V_cache, v])
    return _cache_attend(q, K, V, np.sqrt(len(K))), K, V


def _cache_prepended(q, k, v, K_cache, V_cache):
    K, V = np.vstack([k, K_cache]), np.vstack([v, V_cache])
    return _cache_attend(q, K, V, np.sqrt(len(q))), K, V


def _cache_not_returned(q, k, v, K_cache, V_cache):
    K, V = np.vstack([K_cache, k]), np.vstack([V_cache, v])
    return _cache_attend(q, K, V, np.sqrt(len(q))), K_cache, V_cache


def _cache_overflows(q, k, v, K_cache, V_cache):
    K, V = np.vstack([K_cache, k]), np.vstack([V_cache, v])
    w = np.exp(K @ q / np.sqrt(len(q)))
    return (w / w.sum()) @ V, K, V


WRONG = {
    "08.1": [
        (_beam_no_length_normalisation, "must be length-normalised"),
        (_beam_gnmt_penalty, "GNMT's length penalty"),
        (_beam_only_num_beams_candidates, "2 x num_beams candidates"),
        (_beam_finishes_reserves, "among the best num_beams finishes"),
        (_beam_forgets_running_sums, "add the beam's running sum"),
        (_beam_normalises_running_too, "running beams keep their plain sum"),
    ],
    "08.2": [
        (_temperature_after_softmax, "after the softmax"),
        (_temperature_multiplied, "multiplied the logits by the temperature"),
        (_temperature_zero_divides, "temperature 0 cannot be a division"),
        (_temperature_no_max_shift, "subtract each row's largest value"),
        (_temperature_power_not_renormalised, "do not sum to 1"),
        (_temperature_last_of_ties, "the first of the tied"),
    ],
    "08.3": [
        (_top_k_exactly_k, "every token tied with the k-th largest"),
        (_top_k_zero_fill, "a logit of 0 is an ordinary logit"),
        (_top_k_whole_batch, "of the whole batch"),
        (_top_k_smallest, "the k *smallest* logits"),
        (_top_k_zero_keeps_nothing, "k = 0 means 'off'"),
    ],
    "08.4": [
        (_top_p_drops_boundary, "dropped the boundary token"),
        (_top_p_strict_drops_boundary, "dropped the boundary token"),
        (_top_p_unsorted, "in the vocabulary's order"),
        (_top_p_left_sorted, "in sorted order"),
        (_top_p_on_logits, "you added up logits"),
    ],
    "08.5": [
        (_penalty_ctrl, "CTRL paper's formula"),
        (_penalty_per_occurrence, "however often it occurred"),
        (_penalty_positions, "not positions"),
        (_penalty_swapped, "the two cases are swapped"),
    ],
    "08.6": [
        (_cache_not_itself, "attends to itself too"),
        (_cache_unscaled, "divide the scores by sqrt(d)"),
        (_cache_scaled_by_length, "square root of the number of keys"),
        (_cache_prepended, "goes at the end of the cache"),
        (_cache_not_returned, "with the new row appended"),
        (_cache_overflows, "overflows to inf"),
    ],
}
