"""Exercises and review questions of notebook 08, sampling (numpy versions of the pieces in
helpers.decoding.beam_search, helpers.decoding.sampling and helpers.transformer.kv_cache: one step
of beam search, temperature with its greedy limit, top-k with Hugging Face's ties, top-p with the
boundary token, the repetition penalty, and attention for one new token with a KV cache).

Filters work on logits, as helpers.decoding.sampling does: a removed token gets the logit -inf
(softmax gives it probability 0). Each diagnosis recomputes the typical mistakes on the failing case
and names the one the learner's answer matches. The references use numpy alone, so that the lecturer
copy can paste them into the notebook.
"""

from __future__ import annotations

import numpy as np

from helpers.exercises.checking import (
    Case,
    Exercise,
    MultipleChoice,
    NumericAnswer,
    Variant,
    first_match,
)


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _softmax(z: np.ndarray, axis: int | None = -1) -> np.ndarray:
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log(probs) -> np.ndarray:
    """Logits whose softmax is `probs` (log-probabilities)."""
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(probs, dtype=float))


# 08.1 · one step of beam search ---------------------------------------------------------------


def beam_step(sums, log_probs, n, eos_id, length_penalty=1.0):
    beams, vocab = log_probs.shape
    totals = sums[:, None] + log_probs  # (beams, V): each beam extended by each token
    ranked = np.argsort(-totals, axis=None, kind="stable")[: 2 * beams]  # the best 2 x beams
    running, finished = [], []
    for rank, flat in enumerate(ranked):
        beam, token = divmod(int(flat), vocab)
        total = float(totals[beam, token])
        if token == eos_id:
            if rank < beams:  # only a candidate among the best `beams` may finish
                finished.append((beam, total / n**length_penalty))
        elif len(running) < beams:
            running.append((beam, token, total))
    return running, finished


def _beam_cases() -> list[Case]:
    r = _rng(21)

    def log_probs(beams, vocab, sharp=1.0):
        return np.log(_softmax(r.normal(size=(beams, vocab)) * sharp))

    first = np.log(np.array([[0.5, 0.3, 0.15, 0.05]]))
    ends = np.log(np.array([[0.2, 0.1, 0.3, 0.4], [0.5, 0.3, 0.15, 0.05]]))
    late_end = np.log(np.array([[0.45, 0.1, 0.05, 0.4], [0.5, 0.3, 0.15, 0.05]]))
    raw = r.normal(size=(3, 8)) * 2.0
    raw[0, 7] += 4.0  # two of the beams put much of their mass on the end token
    raw[2, 7] += 3.0
    wide = np.log(_softmax(raw))
    return [
        Case(
            (np.zeros(1), first, 1, 3),
            label="the first step: sums [0], log p = log [0.5, 0.3, 0.15, 0.05], n 1, eos 3",
        ),
        Case(
            (np.array([-1.0, -1.2]), ends, 1, 3),
            label="2 beams, sums [-1, -1.2], n 1, eos 3 (beam 0's best token is the end)",
        ),
        Case(
            (np.array([-2.0, -2.3]), ends, 3, 3),
            label="2 beams, sums [-2, -2.3], n 3, eos 3, length_penalty 1",
        ),
        Case(
            (np.array([-1.0, -1.1]), late_end, 2, 3),
            label="2 beams, sums [-1, -1.1], n 2, eos 3 (beam 0's end token ranks 3rd: not among "
            "the best 2)",
        ),
        Case(
            (np.array([-3.0, -3.5, -4.0]), wide, 5, 7),
            {"length_penalty": 0.5},
            label="3 beams, V 8, sums [-3, -3.5, -4], n 5, eos 7, length_penalty 0.5",
        ),
        Case(
            (np.array([-0.5, -0.9, -1.4]), log_probs(3, 6), 4, 2),
            {"length_penalty": 0.0},
            label="3 beams, V 6, n 4, eos 2, length_penalty 0 (the plain sum)",
        ),
        Case(
            (np.array([-1.5, -2.5]), ends, 2, 3),
            {"length_penalty": 2.0},
            label="2 beams, sums [-1.5, -2.5], n 2, eos 3, length_penalty 2",
        ),
    ]


def _beam_variants(sums, log_probs, n, eos_id, length_penalty=1.0) -> list[Variant]:
    beams, vocab = log_probs.shape

    def step(keep=2, finish_within=None, score=None, add_sums=True, run_norm=1):
        totals = (sums[:, None] if add_sums else 0.0) + log_probs
        ranked = np.argsort(-totals, axis=None, kind="stable")[: keep * beams]
        running, finished = [], []
        for rank, flat in enumerate(ranked):
            beam, token = divmod(int(flat), vocab)
            total = float(totals[beam, token])
            if token == eos_id:
                if rank < (finish_within or beams):
                    finished.append((beam, score(total) if score else total / n**length_penalty))
            elif len(running) < beams:
                running.append((beam, token, total / run_norm))
        return running, finished

    return [
        (
            lambda: step(score=lambda total: total),
            "a finished beam's score must be length-normalised: its sum of log-probabilities "
            "divided by n ** length_penalty (or short hypotheses always win).",
        ),
        (
            lambda: step(score=lambda total: total / ((5 + n) / 6) ** length_penalty),
            "that is GNMT's length penalty ((5 + n) / 6) ** alpha (Wu et al. 2016); Hugging "
            "Face's beam search, and this exercise, divide by n ** length_penalty.",
        ),
        (
            lambda: step(keep=1),
            "rank the best 2 x num_beams candidates, not num_beams: when some of them end, "
            "num_beams others must still be there to run on.",
        ),
        (
            lambda: step(finish_within=2 * beams),
            "only an end-token candidate among the best num_beams finishes; one ranked lower is "
            "dropped (Hugging Face's rule).",
        ),
        (
            lambda: step(add_sums=False),
            "rank by each beam's total: add the beam's running sum to every token's "
            "log-probability (sums[:, None] + log_probs).",
        ),
        (
            lambda: step(run_norm=n**length_penalty),
            "running beams keep their plain sum of log-probabilities; only a finished beam's "
            "score is divided by n ** length_penalty.",
        ),
    ]


def _diagnose_beam(case: Case, expected, got) -> str | None:
    return first_match(got, _beam_variants(*case.args, **case.kwargs))


# 08.2 · temperature, and its limit T -> 0 ------------------------------------------------------


def temperature_probs(logits, temperature):
    z = np.asarray(logits, dtype=float)
    if temperature == 0:  # the limit T -> 0: all the mass on the most likely token (greedy)
        out = np.zeros(z.shape)
        np.put_along_axis(out, z.argmax(axis=-1)[..., None], 1.0, axis=-1)  # first of ties
        return out
    z = z / temperature  # divide the logits, before the softmax
    z = z - z.max(axis=-1, keepdims=True)  # keeps exp() finite even at a small temperature
    e = np.exp(z)  # exp(-inf) = 0: a removed token stays removed
    return e / e.sum(axis=-1, keepdims=True)


def _temperature_cases() -> list[Case]:
    z = np.array([2.0, 1.0, 0.1])
    return [
        Case((z, 1.0), label="logits [2, 1, 0.1], temperature 1"),
        Case((z, 0.5), label="logits [2, 1, 0.1], temperature 0.5 (sharper)"),
        Case((z, 2.0), label="logits [2, 1, 0.1], temperature 2 (flatter)"),
        Case(
            (np.array([1.0, 3.0, -np.inf, 0.0]), 0.7),
            label="logits [1, 3, -inf, 0] (token 2 already removed), temperature 0.7",
        ),
        Case(
            (np.array([[0.5, 2.0, 1.0], [1.0, -1.0, 3.0]]), 1.5),
            label="a batch of 2 rows [[0.5, 2, 1], [1, -1, 3]], temperature 1.5",
        ),
        Case(
            (np.array([[5.0, 1.0, 2.0], [0.0, 0.0, 4.0]]), 0),
            label="a batch of 2 rows [[5, 1, 2], [0, 0, 4]], temperature 0 (greedy)",
        ),
        Case(
            (np.array([1.0, 3.0, 3.0, 2.0]), 0),
            label="logits [1, 3, 3, 2], temperature 0 (a tie for the top: the first one wins)",
        ),
        Case(
            (np.array([10.0, 9.5, 3.0]), 0.01),
            label="logits [10, 9.5, 3], temperature 0.01 (logits / T reach 1000)",
        ),
    ]


def _temperature_variants(logits, temperature) -> list[Variant]:
    z = np.asarray(logits, dtype=float)
    p = _softmax(z)

    def last_of_ties():
        out = np.zeros(z.shape)
        last = z.shape[-1] - 1 - np.flip(z, axis=-1).argmax(axis=-1)
        np.put_along_axis(out, last[..., None], 1.0, axis=-1)
        return out

    def unshifted():
        e = np.exp(z / temperature)
        return e / e.sum(axis=-1, keepdims=True)

    ties = (
        last_of_ties,
        "at temperature 0 the first of the tied most likely tokens gets all the mass "
        "(argmax's convention, as torch's and Hugging Face's greedy decoding).",
    )
    if temperature == 0:  # the other mistakes divide by T: at T = 0 they all give nan
        return [ties]
    return [
        (
            lambda: p / temperature / (p / temperature).sum(axis=-1, keepdims=True),
            "you applied the temperature after the softmax: dividing probabilities by T and "
            "renormalising changes nothing. Divide the logits by T, then take the softmax.",
        ),
        (
            lambda: _softmax(z * temperature),
            "you multiplied the logits by the temperature; divide them by it (a small T must "
            "sharpen the distribution).",
        ),
        (
            lambda: p ** (1 / temperature),
            "softmax(z / T) is p^(1/T) renormalised: your rows do not sum to 1.",
        ),
        (
            unshifted,
            "exp(logits / T) overflows to inf at a small temperature (inf / inf is nan): "
            "subtract each row's largest value first, z - z.max(axis=-1, keepdims=True).",
        ),
    ]


def _diagnose_temperature(case: Case, expected, got) -> str | None:
    advice = first_match(got, _temperature_variants(*case.args))
    if advice is None and case.args[1] == 0:
        advice = (
            "temperature 0 cannot be a division (z / 0 is inf or nan): it is the limit T -> 0, "
            "where all the mass goes to the most likely token. Handle it first: a one-hot "
            "vector at z.argmax(axis=-1)."
        )
    return advice


# 08.3 · top-k on logits, ties kept -------------------------------------------------------------


def top_k_logits(logits, k):
    z = np.asarray(logits, dtype=float)
    if k == 0 or k >= z.shape[-1]:  # 0 means "off", as in Hugging Face
        return z.copy()
    kth = np.sort(z, axis=-1)[..., -k][..., None]  # the k-th largest logit of each row
    return np.where(z < kth, -np.inf, z)  # ties with the k-th largest stay


def _top_k_cases() -> list[Case]:
    return [
        Case((np.array([1.0, 3.0, 2.0, 0.0]), 2), label="logits [1, 3, 2, 0], k 2"),
        Case((np.array([1.0, 3.0, 2.0, 0.0]), 0), label="logits [1, 3, 2, 0], k 0 (off)"),
        Case((np.array([1.0, 3.0, 2.0, 0.0]), 4), label="logits [1, 3, 2, 0], k 4 (= V)"),
        Case((np.array([1.0, 3.0, 2.0, 0.0]), 6), label="logits [1, 3, 2, 0], k 6 (> V)"),
        Case((np.array([-3.0, -1.0, -2.0, -5.0]), 1), label="logits [-3, -1, -2, -5], k 1"),
        Case(
            (np.array([[0.5, 2.0, -1.0, 3.0], [-4.0, -2.0, -3.0, -2.5]]), 2),
            label="a batch of 2 rows [[0.5, 2, -1, 3], [-4, -2, -3, -2.5]], k 2",
        ),
        Case(
            (np.array([2.0, 5.0, 2.0, 1.0]), 2),
            label="logits [2, 5, 2, 1], k 2 (a tie at the k-th value)",
        ),
    ]


def _top_k_variants(logits, k) -> list[Variant]:
    z = np.asarray(logits, dtype=float)
    V = z.shape[-1]

    def exactly_k():
        keep = np.argsort(-z, axis=-1, kind="stable")[..., :k]
        out = np.full(z.shape, -np.inf)
        np.put_along_axis(out, keep, np.take_along_axis(z, keep, axis=-1), axis=-1)
        return out

    def threshold(kth, fill=-np.inf):
        return np.where(z < kth, fill, z)

    kept = min(k, V) if k else V
    row_kth = np.sort(z, axis=-1)[..., -kept][..., None]
    return [
        (
            lambda: np.full(z.shape, -np.inf),
            "k = 0 means 'off' (keep every token), as in Hugging Face; and k >= V keeps all too.",
        ),
        (
            exactly_k,
            "exactly k tokens came out, but every token tied with the k-th largest logit stays "
            "(Hugging Face's rule: remove a token only if its logit is < the k-th largest).",
        ),
        (
            lambda: threshold(row_kth, fill=0.0),
            "you set the removed logits to 0, but a logit of 0 is an ordinary logit (probability "
            "e^0 / Z): set them to -inf, so that softmax gives them probability 0.",
        ),
        (
            lambda: threshold(np.sort(z, axis=None)[-kept]),
            "you took the k-th largest logit of the whole batch; each row (the last axis) has its "
            "own: np.sort(z, axis=-1)[..., -k].",
        ),
        (
            lambda: np.where(z > np.sort(z, axis=-1)[..., kept - 1][..., None], -np.inf, z),
            "you kept the k *smallest* logits: np.sort sorts ascending, so the k-th largest is "
            "at index -k.",
        ),
    ]


def _diagnose_top_k(case: Case, expected, got) -> str | None:
    return first_match(got, _top_k_variants(*case.args))


# 08.4 · top-p (nucleus), the boundary token kept ---------------------------------------------


def top_p_logits(logits, p):
    z = np.asarray(logits, dtype=float)
    if p >= 1:
        return z.copy()  # the whole distribution: nothing to cut
    probs = np.exp(z - z.max(axis=-1, keepdims=True))
    probs = probs / probs.sum(axis=-1, keepdims=True)
    order = np.argsort(-probs, axis=-1, kind="stable")  # most likely first
    sorted_probs = np.take_along_axis(probs, order, axis=-1)
    ahead = np.cumsum(sorted_probs, axis=-1) - sorted_probs  # the mass of the tokens before it
    keep_sorted = ahead < p  # not yet at p before this token: it is needed, the boundary one too
    keep = np.empty_like(keep_sorted)
    np.put_along_axis(keep, order, keep_sorted, axis=-1)  # back to the vocabulary's order
    return np.where(keep, z, -np.inf)


def _top_p_cases() -> list[Case]:
    sorted_probs = _log([0.5, 0.3, 0.15, 0.05])
    return [
        Case((sorted_probs, 1.0), label="probabilities [0.5, 0.3, 0.15, 0.05] (as logits), p 1"),
        Case((sorted_probs, 0.9), label="probabilities [0.5, 0.3, 0.15, 0.05], p 0.9"),
        Case((sorted_probs, 0.79), label="probabilities [0.5, 0.3, 0.15, 0.05], p 0.79"),
        Case(
            (sorted_probs, 0.3),
            label="probabilities [0.5, 0.3, 0.15, 0.05], p 0.3 (the top token alone passes p)",
        ),
        Case(
            (_log([0.1, 0.6, 0.05, 0.25]), 0.8),
            label="probabilities [0.1, 0.6, 0.05, 0.25] (not sorted), p 0.8",
        ),
        Case(
            (np.array([2.0, 1.0, 0.5, -1.0, 3.0]), 0.7),
            label="logits [2, 1, 0.5, -1, 3], p 0.7",
        ),
        Case(
            (np.stack([_log([0.05, 0.9, 0.03, 0.02]), _log([0.3, 0.2, 0.25, 0.25])]), 0.6),
            label="a batch: probabilities [0.05, 0.9, 0.03, 0.02] and [0.3, 0.2, 0.25, 0.25], "
            "p 0.6",
        ),
    ]


def _top_p_variants(logits, p) -> list[Variant]:
    z = np.asarray(logits, dtype=float)
    probs = _softmax(z)
    order = np.argsort(-probs, axis=-1, kind="stable")
    sorted_probs = np.take_along_axis(probs, order, axis=-1)
    inclusive = np.cumsum(sorted_probs, axis=-1)

    def unsort(keep_sorted):
        keep = np.empty_like(keep_sorted)
        np.put_along_axis(keep, order, keep_sorted, axis=-1)
        return np.where(keep, z, -np.inf)

    ahead_unsorted = np.cumsum(probs, axis=-1) - probs
    ahead = inclusive - sorted_probs
    return [
        (
            lambda: unsort(inclusive <= p),
            "you dropped the boundary token: keep the smallest set whose mass *reaches* p, so "
            "the token that crosses p stays (keep a token while the mass ahead of it is < p; "
            "the most likely token always stays).",
        ),
        (
            lambda: unsort(inclusive < p),
            "you dropped the boundary token: keep the smallest set whose mass *reaches* p, so "
            "the token that crosses p stays (keep a token while the mass ahead of it is < p).",
        ),
        (
            lambda: np.where(ahead_unsorted < p, z, -np.inf),
            "you added up the probabilities in the vocabulary's order; sort them from the most "
            "likely down first (np.argsort(-probs)), then put the decisions back in place.",
        ),
        (
            lambda: np.where(ahead < p, np.take_along_axis(z, order, axis=-1), -np.inf),
            "your result is in sorted order: put each token's decision back at its own position "
            "in the vocabulary (np.put_along_axis with the sort order).",
        ),
        (
            lambda: np.where(np.cumsum(z, axis=-1) - z < p, z, -np.inf),
            "you added up logits; top-p works on probabilities (softmax first).",
        ),
    ]


def _diagnose_top_p(case: Case, expected, got) -> str | None:
    return first_match(got, _top_p_variants(*case.args))


# 08.5 · the repetition penalty ----------------------------------------------------------------


def repetition_penalty(logits, ids, penalty):
    z = np.asarray(logits, dtype=float).copy()
    seen = np.unique(np.asarray(ids, dtype=int))  # each seen token once, however often it occurred
    z[seen] = np.where(z[seen] > 0, z[seen] / penalty, z[seen] * penalty)  # both move down
    return z


def _penalty_cases() -> list[Case]:
    return [
        Case(
            (np.array([2.0, 1.0, 0.5, 3.0]), [0], 2.0),
            label="logits [2, 1, 0.5, 3], ids [0], penalty 2",
        ),
        Case(
            (np.array([2.0, 1.0, 0.5, 3.0]), [], 1.5),
            label="logits [2, 1, 0.5, 3], ids [] (nothing seen yet), penalty 1.5",
        ),
        Case(
            (np.array([2.0, 1.0, 0.5, 3.0]), [0, 1, 2], 1.0),
            label="logits [2, 1, 0.5, 3], ids [0, 1, 2], penalty 1 (off)",
        ),
        Case(
            (np.array([0.5, 2.0, 1.0, 3.0]), [3, 1], 1.5),
            label="logits [0.5, 2, 1, 3], ids [3, 1], penalty 1.5",
        ),
        Case(
            (np.array([2.0, -1.0, 0.5, 3.0, -2.0]), [1, 3], 1.5),
            label="logits [2, -1, 0.5, 3, -2], ids [1, 3] (a negative logit seen), penalty 1.5",
        ),
        Case(
            (np.array([1.0, 4.0, 2.0, -0.5]), [2, 2, 2, 0], 1.3),
            label="logits [1, 4, 2, -0.5], ids [2, 2, 2, 0] (token 2 seen three times), "
            "penalty 1.3",
        ),
        Case(
            (np.array([1.5, -0.5, 2.0, 0.0]), [0, 1, 3], 0.8),
            label="logits [1.5, -0.5, 2, 0], ids [0, 1, 3], penalty 0.8 (< 1 favours repeats)",
        ),
    ]


def _penalty_variants(logits, ids, penalty) -> list[Variant]:
    z = np.asarray(logits, dtype=float)
    seen = np.unique(np.asarray(ids, dtype=int))

    def change(fn, where=seen):
        out = z.copy()
        out[where] = fn(out[where])
        return out

    def per_occurrence():
        out = z.copy()
        for i in ids:
            out[i] = out[i] / penalty if out[i] > 0 else out[i] * penalty
        return out

    return [
        (
            lambda: change(lambda s: s / penalty),
            "dividing a negative logit by the penalty raises it (-1 / 1.5 = -0.67): that is the "
            "CTRL paper's formula. Hugging Face divides positive logits and multiplies negative "
            "ones, so a seen token always becomes less likely.",
        ),
        (
            per_occurrence,
            "a token is penalised once, however often it occurred (np.unique(ids)); penalising "
            "every occurrence is closer to a frequency penalty.",
        ),
        (
            lambda: change(
                lambda s: np.where(s > 0, s / penalty, s * penalty), np.arange(len(ids))
            ),
            "ids are token ids, i.e. which entries of the logits to penalise, not positions: "
            "use z[ids], not z[:len(ids)].",
        ),
        (
            lambda: change(lambda s: np.where(s > 0, s * penalty, s / penalty)),
            "the two cases are swapped: a penalty > 1 must lower a seen token's logit, so divide "
            "positive logits by it and multiply negative ones.",
        ),
    ]


def _diagnose_penalty(case: Case, expected, got) -> str | None:
    return first_match(got, _penalty_variants(*case.args))


# 08.6 · attention for one new token with a KV cache --------------------------------------------


def attend_with_cache(q, k, v, K_cache, V_cache):
    K = np.concatenate([K_cache, k[None, :]], axis=0)  # (t + 1, d): the new position goes last
    V = np.concatenate([V_cache, v[None, :]], axis=0)  # (t + 1, d_v)
    scores = K @ q / np.sqrt(q.shape[-1])  # (t + 1,): the new query against every key, its own too
    weights = np.exp(scores - scores.max())
    weights = weights / weights.sum()
    return weights @ V, K, V


def _cache_cases() -> list[Case]:
    r = _rng(34)

    def case(t, d, d_v, scale, label):
        q, k, v = r.normal(size=d) * scale, r.normal(size=d) * scale, r.normal(size=d_v)
        return Case((q, k, v, r.normal(size=(t, d)) * scale, r.normal(size=(t, d_v))), label=label)

    return [
        case(0, 2, 2, 1.0, "an empty cache (0, 2): the first token, d 2"),
        case(1, 1, 2, 1.0, "1 cached position, d 1, d_v 2"),
        case(3, 4, 4, 1.0, "3 cached positions, d 4"),
        case(5, 8, 3, 1.0, "5 cached positions, d 8, values of width 3"),
        case(
            4, 4, 4, 30.0, "4 cached positions, d 4, queries and keys 30 x larger (scores ~ 1000)"
        ),
    ]


def _cache_variants(q, k, v, K_cache, V_cache) -> list[Variant]:
    d = q.shape[-1]
    K, V = np.vstack([K_cache, k]), np.vstack([V_cache, v])

    def attend(keys, values, scale):
        return _softmax(keys @ q / scale) @ values

    return [
        (
            lambda: (attend(K_cache, V_cache, np.sqrt(d)), K, V),
            "the new token attends to itself too: append its key and value to the cache first, "
            "then score the query against all t + 1 keys.",
        ),
        (
            lambda: (attend(K, V, 1.0), K, V),
            "divide the scores by sqrt(d), the width of the queries and keys.",
        ),
        (
            lambda: (attend(K, V, np.sqrt(len(K))), K, V),
            "you divided by the square root of the number of keys; the scale is sqrt(d), the "
            "width of the queries and keys.",
        ),
        (
            lambda: (attend(K, V, np.sqrt(d)), np.vstack([k, K_cache]), np.vstack([v, V_cache])),
            "the new position goes at the end of the cache (np.concatenate([K_cache, k[None]])), "
            "after the positions already there.",
        ),
        (
            lambda: (attend(K, V, np.sqrt(d)), K_cache, V_cache),
            "return the caches with the new row appended, so that the next token can use them.",
        ),
        (
            lambda: ((lambda e: e / e.sum())(np.exp(K @ q / np.sqrt(d))) @ V, K, V),
            "exp() of large scores overflows to inf (inf / inf is nan): subtract the largest "
            "score before the exponential.",
        ),
    ]


def _diagnose_cache(case: Case, expected, got) -> str | None:
    return first_match(got, _cache_variants(*case.args))


EXERCISES = [
    Exercise(
        id="08.1",
        title="one step of beam search",
        reference=beam_step,
        cases=_beam_cases,
        diagnose=_diagnose_beam,
        hints=[
            "totals = sums[:, None] + log_probs has shape (beams, V). Rank all of it at once: "
            "np.argsort(-totals, axis=None)[:2 * beams]; divmod(flat, V) gives (beam, token).",
            "Walk the ranked candidates in order: an end token ranked among the first `beams` "
            "finishes with score total / n ** length_penalty; other end tokens are dropped.",
            "Every other candidate runs on until you have `beams` of them: (beam, token, total).",
        ],
    ),
    Exercise(
        id="08.2",
        title="temperature, and its limit T -> 0",
        reference=temperature_probs,
        cases=_temperature_cases,
        diagnose=_diagnose_temperature,
        hints=[
            "Divide the logits by the temperature, then take the softmax over the last axis.",
            "Subtract each row's largest value before np.exp (keepdims=True), or a small T "
            "overflows.",
            "temperature == 0: return zeros with a 1 at z.argmax(axis=-1) of each row "
            "(np.put_along_axis, or np.eye(V)[z.argmax(axis=-1)]).",
        ],
    ),
    Exercise(
        id="08.3",
        title="top-k on logits, ties kept",
        reference=top_k_logits,
        cases=_top_k_cases,
        diagnose=_diagnose_top_k,
        hints=[
            "k == 0 or k >= V: return a copy of the logits unchanged.",
            "The k-th largest logit of each row: np.sort(z, axis=-1)[..., -k], with [..., None] "
            "so that it broadcasts against the row.",
            "np.where(z < kth, -np.inf, z): ties with the k-th value stay.",
        ],
    ),
    Exercise(
        id="08.4",
        title="top-p (nucleus) filtering, boundary token kept",
        reference=top_p_logits,
        cases=_top_p_cases,
        diagnose=_diagnose_top_p,
        hints=[
            "Softmax the logits, then sort each row from the most likely down: order = "
            "np.argsort(-probs, axis=-1).",
            "For each sorted token, the mass ahead of it is the cumulative sum minus itself. Keep "
            "it while that is < p: the token that crosses p is kept, and so is the first.",
            "Put the decisions back in vocabulary order (np.put_along_axis(keep, order, "
            "keep_sorted, axis=-1)), then np.where(keep, z, -np.inf).",
        ],
    ),
    Exercise(
        id="08.5",
        title="the repetition penalty",
        reference=repetition_penalty,
        cases=_penalty_cases,
        diagnose=_diagnose_penalty,
        hints=[
            "Work on a copy; the tokens to change are np.unique(ids).",
            "A positive logit is divided by the penalty, a negative one multiplied by it: "
            "np.where(z[seen] > 0, z[seen] / penalty, z[seen] * penalty).",
        ],
    ),
    Exercise(
        id="08.6",
        title="attention for one new token with a KV cache",
        reference=attend_with_cache,
        cases=_cache_cases,
        diagnose=_diagnose_cache,
        hints=[
            "Append first: K = np.concatenate([K_cache, k[None, :]]) and the same for V.",
            "scores = K @ q / np.sqrt(d), one per position, the new one included; no mask: the "
            "new token is the last, it may see every position.",
            "A softmax over the scores (subtract the max), then weights @ V; return (out, K, V).",
        ],
    ),
    MultipleChoice(
        id="08.q1",
        question="Greedy decoding and beam search (with 4 beams) both look for a likely "
        "continuation. Which statement is right?",
        options={
            "a": "Greedy takes the most likely token at each step; beam search keeps the 4 most "
            "likely partial sequences, so it can find a sequence whose first token was not the "
            "most likely. Both are deterministic, and both tend to repeat themselves in "
            "open-ended text.",
            "b": "Beam search always finds the most likely sequence of the given length.",
            "c": "Beam search samples 4 continuations and keeps the best one.",
            "d": "Greedy decoding finds the most likely sequence; beam search exists only to "
            "produce several different answers.",
        },
        answer="a",
        explanations={
            "a": "Beam search is a wider greedy search: deterministic, and it finds more likely "
            "sequences (a higher sum of log-probabilities, as the notebook measured), which for "
            "open-ended text means blander ones. It shines where the answer is nearly "
            "determined by the input (translation, summarisation).",
            "b": "It prunes to 4 candidates at every step, so the most likely sequence can be "
            "cut early; finding it exactly would mean searching V^n sequences.",
            "c": "Nothing is drawn at random in beam search: the same input always gives the "
            "same beams.",
            "d": "Greedy can miss the most likely sequence: a less likely first token can lead "
            "to much more likely tokens after it, which beam search can keep.",
        },
    ),
    MultipleChoice(
        id="08.q2",
        question="What does the sampling temperature T do?",
        options={
            "a": "It divides the logits before the softmax: T < 1 sharpens the distribution "
            "towards the most likely tokens (T -> 0 is greedy), T > 1 flattens it towards "
            "uniform. The ranking of the tokens never changes.",
            "b": "It removes tokens whose probability is below T.",
            "c": "It scales the probabilities after the softmax, which changes their order.",
            "d": "It makes the model more knowledgeable at low values.",
        },
        answer="a",
        explanations={
            "a": "softmax(z / T) = p^(1/T) renormalised: every token keeps its place, only the "
            "gaps between them grow or shrink. Low T: safer, more repetitive text; high T: more "
            "varied, more mistakes.",
            "b": "That is closer to min-p or an absolute threshold; temperature removes nothing "
            "(every token keeps a probability above 0).",
            "c": "Dividing probabilities by a constant and renormalising changes nothing at all, "
            "and neither version changes the order.",
            "d": "Temperature only reshapes the distribution the model already has; it adds no "
            "knowledge. A low T picks the model's favourite, right or wrong.",
        },
    ),
    NumericAnswer(
        id="08.q3",
        question="A model gives three tokens the probabilities 0.6, 0.3 and 0.1. What is the "
        "probability of the first token after a temperature of 0.5?",
        answer=0.36 / 0.46,
        tolerance=0.005,
        explanation="T = 0.5 squares the probabilities, p^(1/T) = p^2: 0.36, 0.09, 0.01, which "
        "renormalise to 0.783, 0.196, 0.022.",
    ),
    MultipleChoice(
        id="08.q4",
        question="Top-k keeps the k most likely tokens; top-p (nucleus) keeps the smallest set "
        "whose probability reaches p. Where do they differ?",
        options={
            "a": "Top-k keeps the same number of tokens whatever the model's confidence; top-p "
            "keeps few when the distribution is peaked and many when it is flat, so it adapts to "
            "the context.",
            "b": "They are the same filter with a different parameter.",
            "c": "Top-p always keeps more tokens than top-k.",
            "d": "Top-k works on probabilities, top-p on logits, so they cannot be combined.",
        },
        answer="a",
        explanations={
            "a": "After 'The capital of France is' one token holds most of the mass and top-p "
            "0.9 keeps a handful; after 'My favourite food is' hundreds share it. A fixed k is "
            "too many for the first and too few for the second (Holtzman et al. 2020).",
            "b": "A fixed count and a fixed mass select different sets as soon as the shape of "
            "the distribution changes.",
            "c": "On a peaked distribution top-p 0.9 can keep a single token, fewer than any "
            "k > 1.",
            "d": "Both can be expressed on either; Hugging Face applies them one after the "
            "other (top-k, then top-p), as helpers.decoding.sampling does.",
        },
    ),
    NumericAnswer(
        id="08.q5",
        question="Four tokens have the probabilities 0.4, 0.3, 0.2 and 0.1. How many tokens "
        "does top-p with p = 0.75 keep?",
        answer=3.0,
        tolerance=0.001,
        explanation="0.4 + 0.3 = 0.7 is still short of 0.75, so the third token, which crosses "
        "it (0.9), is kept too: the boundary token belongs to the nucleus.",
    ),
    MultipleChoice(
        id="08.q6",
        question="With a KV cache, each generation step feeds only the newest token through the "
        "model. Why does this give exactly the tokens a full re-run would?",
        options={
            "a": "In a causal model the keys and values of a position depend only on the tokens "
            "up to it, so they never change when tokens are appended; the new token needs its "
            "own query, key and value, and everyone else's keys and values, which are cached.",
            "b": "The cache stores the previous logits and reuses them.",
            "c": "It is an approximation that is close enough in practice.",
            "d": "The cache stores the queries, which are all that attention needs.",
        },
        answer="a",
        explanations={
            "a": "That is the whole trick (Pope et al. 2022): the work per step no longer grows "
            "with the length, only the memory does, by 2 x layers x kv_heads x head_dim "
            "numbers per token.",
            "b": "Logits of old positions are useless for the next token; what the new token "
            "needs is to attend to the old positions, i.e. their keys and values.",
            "c": "It is exact, up to float rounding: the tests check that cached and uncached "
            "generation choose the same tokens.",
            "d": "An old query is never used again: only the newest token asks a question. The "
            "keys and values of every position are what is kept.",
        },
    ),
    NumericAnswer(
        id="08.q7",
        question="A model has 32 layers and 8 key/value heads of 128 dimensions each, and keeps "
        "its KV cache in bfloat16 (2 bytes per number). How many bytes does the cache need per "
        "token of one sequence?",
        answer=2 * 32 * 8 * 128 * 2,
        tolerance=0.001,
        explanation="A key and a value per layer and key/value head: 2 x 32 x 8 x 128 x 2 = "
        "131,072 bytes, 128 KiB per token, so 1 GiB for 8,192 tokens, for each sequence in the "
        "batch (this is Llama-3-8B's shape).",
    ),
    MultipleChoice(
        id="08.q8",
        question="Holtzman et al. (2020) found that beam search, which maximises likelihood, "
        "writes text that is more likely under the model than human text and yet dull and "
        "repetitive. Why?",
        options={
            "a": "Human text is not the most likely text: people keep saying something the "
            "model did not expect. And once a phrase repeats, repeating it again becomes more "
            "likely, so a likelihood-maximiser falls into loops (the 'tokens are paperclips' "
            "view: optimise the objective hard and you get more of the same).",
            "b": "The model was trained badly: a well-trained model's most likely text is "
            "human-like.",
            "c": "Beam search has a bug in most libraries.",
            "d": "Human text is more likely, but beam search cannot find it.",
        },
        answer="a",
        explanations={
            "a": "The notebook's per-token plot shows it: the beam's tokens are far more "
            "probable, on average, than the human ones, which keep dropping to tokens the model "
            "rated unlikely. Sampling from the (truncated) distribution matches human "
            "statistics much better than maximising it.",
            "b": "The effect holds for large, well-trained models too (GPT-2 large in Holtzman "
            "et al.); it comes from the objective, not from a weak model.",
            "c": "The implementations agree with each other (ours with Hugging Face's): the "
            "search does what it is asked.",
            "d": "Measured under the model, the beam text is the more likely one: the model "
            "finds human text surprising.",
        },
    ),
    MultipleChoice(
        id="08.q9",
        question="A repetition penalty of 1.5 divides the (positive) logits of every token seen "
        "so far. What is a side effect?",
        options={
            "a": "It also penalises tokens that should repeat (names, 'the', punctuation, the "
            "words of a quoted code variable), so strong penalties give odd synonyms and broken "
            "text.",
            "b": "None: it only removes loops.",
            "c": "It makes generation slower by a factor of 1.5.",
            "d": "It raises the temperature.",
        },
        answer="a",
        explanations={
            "a": "The penalty cannot tell a loop from a legitimate repeat: every seen token is "
            "pushed down, in the prompt too (Hugging Face counts the prompt). Mild values "
            "(1.1-1.3) or a frequency penalty are the usual compromise.",
            "b": "It changes every seen token's logit, wanted or not.",
            "c": "It is one elementwise operation per step: negligible next to the forward pass.",
            "d": "Temperature rescales all logits by the same factor; the penalty changes only "
            "the seen tokens.",
        },
    ),
]
