"""Exercises and review questions of notebook 05, attention (numpy versions of the pieces in
helpers.attention.attention).

Each diagnosis recomputes the typical mistakes on the failing case and names the one the
learner's answer matches, so the advice is about what they actually did.
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


def _softmax(scores: np.ndarray) -> np.ndarray:
    z = scores - scores.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


# 05.1 · additive attention scores --------------------------------------------------------------


def additive_scores(query, keys, W_q, W_k, w):
    hidden = np.tanh(query @ W_q.T + keys @ W_k.T)  # (S, h): the query's part is broadcast
    return hidden @ w


def _additive_cases() -> list[Case]:
    def case(seed, d_q, d_k, h, s, scale, label=None):
        r = _rng(seed)
        args = (
            r.normal(size=d_q) * scale,
            r.normal(size=(s, d_k)) * scale,
            r.normal(size=(h, d_q)),
            r.normal(size=(h, d_k)),
            r.normal(size=h),
        )
        return Case(args, label=label)

    tiny = tuple(np.abs(a) for a in case(0, 2, 3, 4, 3, 1e-4).args)
    return [
        Case(tiny, label="tiny positive inputs (tanh(x) is almost x there), 3 keys"),
        case(
            1, 2, 3, 4, 1, 1.0, "one key, query (2,), keys (1, 3), W_q (4, 2), W_k (4, 3), w (4,)"
        ),
        case(2, 3, 3, 5, 4, 1.0, "query (3,), keys (4, 3), W_q (5, 3), W_k (5, 3), w (5,)"),
        case(3, 2, 4, 6, 5, 2.0, "larger inputs: query (2,), keys (5, 4), hidden 6"),
    ]


def _additive_variants(query, keys, W_q, W_k, w) -> list[Variant]:
    a, b = query @ W_q.T, keys @ W_k.T
    return [
        (
            lambda: (np.tanh(a) + np.tanh(b)) @ w,
            "you applied tanh to the query's part and the key's part separately: add W_q q and "
            "W_k k first, then one tanh of the sum (that is what lets the MLP mix them).",
        ),
        (
            lambda: (a + b) @ w,
            "no tanh: without it the score is linear, w.W_q q + w.W_k k, and the query's part is "
            "the same for every key, so it cannot change which key wins.",
        ),
        (
            lambda: np.maximum(a + b, 0) @ w,
            "that is a ReLU; Bahdanau et al.'s score uses tanh: w . tanh(W_q q + W_k k).",
        ),
        (
            lambda: _softmax((np.tanh(a + b) @ w)[None])[0],
            "you returned the softmax of the scores (the weights); return the raw scores.",
        ),
    ]


def _diagnose_additive(case: Case, expected, got) -> str | None:
    return first_match(got, _additive_variants(*case.args))


# 05.2 · scaled dot-product scores --------------------------------------------------------------


def attention_scores(q, k):
    d = q.shape[-1]
    return q @ np.swapaxes(k, -1, -2) / np.sqrt(d)


def _scores_cases() -> list[Case]:
    r = _rng(5)
    return [
        Case((np.array([[2.0]]), np.array([[1.0], [-3.0]])), label="d = 1: q [[2]], k [[1], [-3]]"),
        Case((r.normal(size=(2, 2)), r.normal(size=(3, 2))), label="q (2, 2), k (3, 2): L = d = 2"),
        Case((r.normal(size=(3, 4)), r.normal(size=(5, 4))), label="q (3, 4), k (5, 4): d = 4"),
        Case(
            (r.normal(size=(2, 3, 2)), r.normal(size=(2, 2, 2))),
            label="a small batch: q (2, 3, 2), k (2, 2, 2)",
        ),
        Case(
            (r.normal(size=(2, 3, 16)), r.normal(size=(2, 6, 16))),
            label="a batch: q (2, 3, 16), k (2, 6, 16)",
        ),
        Case((r.normal(size=(1, 64)), r.normal(size=(4, 64))), label="q (1, 64), k (4, 64)"),
    ]


def _scores_variants(q, k) -> list[Variant]:
    kt = np.swapaxes(k, -1, -2)
    d = q.shape[-1]
    return [
        (lambda: q @ kt, "no scaling: divide the dot products by sqrt(d), d = q.shape[-1]."),
        (lambda: q @ kt / d, "you divided by d; divide by sqrt(d)."),
        (
            lambda: q @ kt / np.sqrt(q.shape[-2]),
            "you divided by the square root of the number of queries (len(q)); d is the size of "
            "each vector, q.shape[-1].",
        ),
        (
            lambda: q @ kt / np.sqrt(k.shape[-2]),
            "you divided by the square root of the number of keys; d is q.shape[-1].",
        ),
        (
            lambda: q @ k.T / np.sqrt(d),
            "k.T reverses *every* axis of a batch ((B, S, d) -> (d, S, B)); swap only the last "
            "two: np.swapaxes(k, -1, -2).",
        ),
    ]


def _diagnose_scores(case: Case, expected, got) -> str | None:
    return first_match(got, _scores_variants(*case.args))


# 05.3 · the masked softmax ---------------------------------------------------------------------


def masked_softmax(scores, mask):
    scores = np.where(mask, scores, -np.inf)
    row_max = scores.max(axis=-1, keepdims=True)
    row_max = np.where(np.isfinite(row_max), row_max, 0.0)  # a fully masked row: shift by 0
    e = np.exp(scores - row_max)  # exp(-inf) = 0 at masked keys
    total = e.sum(axis=-1, keepdims=True)
    return e / np.where(total > 0, total, 1.0)  # a fully masked row stays all zeros


def _softmax_cases() -> list[Case]:
    r = _rng(7)
    full = np.ones((2, 3), dtype=bool)
    some = np.array([[True, True, False, False], [True, False, True, True]])
    dead = np.array([[True, False, True], [False, False, False], [True, True, True]])
    return [
        Case((np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]), full), label="nothing masked"),
        Case((r.normal(size=(2, 4)), some), label="random scores (2, 4), some keys masked"),
        Case(
            (np.array([[1.0, -2.0, 0.5], [3.0, 1.0, 2.0], [0.0, 0.3, -0.1]]), dead),
            label="row 1 fully masked (every key False)",
        ),
        Case(
            (
                np.array([[1000.0, 999.0, 0.0], [-1000.0, -1002.0, 5.0]]),
                np.array([[1, 1, 0], [1, 1, 0]], dtype=bool),
            ),
            label="huge scores [[1000, 999, 0], [-1000, -1002, 5]], last key masked",
        ),
        Case(
            (r.normal(size=(2, 3, 5)), r.random((1, 3, 5)) > 0.3),
            label="a batch (2, 3, 5) with a mask (1, 3, 5) that broadcasts",
        ),
    ]


def _softmax_variants(scores, mask) -> list[Variant]:
    def filled(value):
        z = np.where(mask, scores, value)
        return _softmax(z)

    def unstable(guarded):
        e = np.where(mask, np.exp(scores), 0.0)
        total = e.sum(axis=-1, keepdims=True)
        return e / np.where(total > 0, total, 1.0) if guarded else e / total

    overflow = (
        "exp() overflowed (or underflowed to 0 / 0): subtract each row's max (over the keys it "
        "may attend to) before exponentiating."
    )

    return [
        (
            lambda: _softmax(scores) * mask,
            "you zeroed the masked weights after the softmax without renormalising: the rest no "
            "longer sums to 1. Mask the *scores* (set them to -inf) before the softmax.",
        ),
        (
            lambda: filled(-1e9),
            "a fully masked row came out uniform: filling with a large negative number gives "
            "every key the same weight there. Return zeros for a row with no key to attend to.",
        ),
        (
            lambda: filled(-np.inf),
            "a fully masked row came out nan (exp(-inf - (-inf))): shift such a row by 0 instead "
            "of its max, and divide by 1 where the sum is 0, so it stays all zeros.",
        ),
        (
            lambda: filled(0.0),
            "you set masked scores to 0, which still gives them weight (exp(0) = 1); masked keys "
            "need a score of -inf.",
        ),
        (lambda: unstable(True), overflow),
        (lambda: unstable(False), overflow),
    ]


def _diagnose_softmax(case: Case, expected, got) -> str | None:
    return first_match(got, _softmax_variants(*case.args))


# 05.4 · scaled dot-product attention -----------------------------------------------------------


def attention(q, k, v, mask):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    weights = masked_softmax(scores, mask)
    return weights @ v


def _attention_cases() -> list[Case]:
    r = _rng(11)

    def qkv(L, S, d, dv):
        return r.normal(size=(L, d)), r.normal(size=(S, d)), r.normal(size=(S, dv))

    q1, k1, v1 = qkv(1, 3, 1, 2)
    q2, k2, v2 = qkv(3, 4, 8, 5)
    q3, k3, v3 = qkv(4, 4, 6, 3)
    dead = np.tril(np.ones((4, 4), dtype=bool))
    dead[0] = False
    return [
        Case((q1, k1, v1, np.ones((1, 3), dtype=bool)), label="d = 1, one query, 3 keys, no mask"),
        Case(
            (q2, k2, v2, np.ones((3, 4), dtype=bool)), label="q (3, 8), k (4, 8), v (4, 5), no mask"
        ),
        Case(
            (q2, k2, v2, r.random((3, 4)) > 0.4),
            label="q (3, 8), k (4, 8), v (4, 5), a random mask",
        ),
        Case((q3, k3, v3, np.tril(np.ones((4, 4), dtype=bool))), label="a causal mask (4, 4)"),
        Case((q3, k3, v3, dead), label="a causal mask whose row 0 is fully masked"),
    ]


def _attention_variants(q, k, v, mask) -> list[Variant]:
    kt = np.swapaxes(k, -1, -2)
    scaled = q @ kt / np.sqrt(q.shape[-1])
    return [
        (
            lambda: masked_softmax(q @ kt, mask) @ v,
            "no scaling: divide the scores by sqrt(d) before the softmax.",
        ),
        (
            lambda: masked_softmax(q @ kt / q.shape[-1], mask) @ v,
            "you divided the scores by d; divide by sqrt(d).",
        ),
        (
            lambda: (_softmax(scaled) * mask) @ v,
            "you masked after the softmax: the weights of each row no longer sum to 1. Mask the "
            "scores (or use your masked_softmax) before the softmax.",
        ),
        (
            lambda: _softmax(scaled) @ v,
            "the mask was ignored: masked keys must get weight 0.",
        ),
        (
            lambda: _softmax(np.where(mask, scaled, -1e9)) @ v,
            "a fully masked row should give a zero output (as torch's SDPA does), not the mean of "
            "all values.",
        ),
    ]


def _diagnose_attention(case: Case, expected, got) -> str | None:
    return first_match(got, _attention_variants(*case.args))


# 05.5 · a causal mask for a block of queries at the end of a longer context --------------------


def causal_mask(num_queries, num_keys):
    i = np.arange(num_queries)[:, None]  # query i sits at position i + (num_keys - num_queries)
    j = np.arange(num_keys)[None, :]
    return j <= i + (num_keys - num_queries)


def _causal_cases() -> list[Case]:
    return [
        Case((1, 1)),
        Case((3, 3)),
        Case((2, 5), label="num_queries 2, num_keys 5 (2 new tokens after 3 cached ones)"),
        Case((1, 4), label="num_queries 1, num_keys 4 (one new token: it sees everything)"),
        Case((4, 6)),
    ]


def _causal_variants(num_queries, num_keys) -> list[Variant]:
    ones = np.ones((num_queries, num_keys), dtype=bool)
    offset = num_keys - num_queries
    return [
        (
            lambda: np.tril(ones),
            "that is the top-left mask (torch's is_causal): query 0 sees only key 0. Here the "
            "queries are the *last* positions: query i sits at position i + (num_keys - "
            "num_queries), so shift the diagonal: j <= i + num_keys - num_queries.",
        ),
        (
            lambda: np.tril(ones, k=-offset),
            "the shift has the wrong sign: the queries come after the cached keys, so query i may "
            "see keys up to i + (num_keys - num_queries).",
        ),
        (
            lambda: np.triu(ones, k=offset),
            "True should mark the past (keys at or before the query), not the future: use tril, "
            "or j <= i + offset.",
        ),
        (
            lambda: np.tril(ones, k=offset - 1),
            "a query may attend to its own position too (<=, not <).",
        ),
    ]


def _diagnose_causal(case: Case, expected, got) -> str | None:
    return first_match(got, _causal_variants(*case.args))


# 05.6 · splitting the width into heads ---------------------------------------------------------


def split_heads(x, num_heads):
    batch, length, width = x.shape
    head_dim = width // num_heads
    return x.reshape(batch, length, num_heads, head_dim).transpose(0, 2, 1, 3)


def _split_cases() -> list[Case]:
    def x(b, t, d):
        return np.arange(b * t * d, dtype=float).reshape(b, t, d)

    return [
        Case((x(1, 3, 4), 1), label="x (1, 3, 4), 1 head"),
        Case((x(1, 1, 4), 2), label="x (1, 1, 4) (one token), 2 heads"),
        Case((x(2, 3, 6), 3), label="x (2, 3, 6) = arange, 3 heads of 2 features"),
        Case((x(1, 2, 4), 2), label="x (1, 2, 4) = arange, 2 heads (T = heads)"),
        Case((x(2, 5, 8), 4), label="x (2, 5, 8) = arange, 4 heads of 2 features"),
    ]


def _split_variants(x, num_heads) -> list[Variant]:
    b, t, d = x.shape
    dh = d // num_heads
    return [
        (
            lambda: x.reshape(b, num_heads, t, dh),
            "a reshape straight to (B, heads, T, d_head) mixes tokens into heads. Reshape to "
            "(B, T, heads, d_head) first, then swap axes 1 and 2.",
        ),
        (
            lambda: x.reshape(b, t, dh, num_heads).transpose(0, 3, 1, 2),
            "head h took every heads-th feature (h, h + heads, ...); each head owns a *block* of "
            "d_head consecutive features: reshape to (B, T, heads, d_head).",
        ),
        (
            lambda: x.reshape(b, t, num_heads, dh),
            "you returned (B, T, heads, d_head): swap axes 1 and 2, .transpose(0, 2, 1, 3).",
        ),
    ]


def _diagnose_split(case: Case, expected, got) -> str | None:
    return first_match(got, _split_variants(*case.args))


# 05.7 · multi-head self-attention, end to end ----------------------------------------------------


def multi_head_attention(x, W_q, W_k, W_v, W_o, num_heads, causal):
    T, D = x.shape
    d_head = D // num_heads

    def split(m):  # (T, D) -> (heads, T, d_head): head h owns features h*d_head .. (h+1)*d_head-1
        return m.reshape(T, num_heads, d_head).transpose(1, 0, 2)

    q, k, v = split(x @ W_q), split(x @ W_k), split(x @ W_v)
    scores = q @ k.transpose(0, 2, 1) / np.sqrt(d_head)  # (heads, T, T)
    if causal:
        scores = np.where(np.tril(np.ones((T, T), dtype=bool)), scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))  # stable: largest is exp(0)
    weights /= weights.sum(axis=-1, keepdims=True)
    heads = weights @ v  # (heads, T, d_head)
    merged = heads.transpose(1, 0, 2).reshape(T, D)  # the heads side by side again
    return merged @ W_o


def _mha_cases() -> list[Case]:
    def case(seed, T, D, heads, causal, scale, label):
        r = _rng(seed)
        x = r.normal(size=(T, D)) * scale
        weights = [r.normal(size=(D, D)) / np.sqrt(D) for _ in range(4)]
        return Case((x, *weights, heads, causal), label=label)

    return [
        case(0, 3, 4, 1, False, 1.0, "x (3, 4), 1 head, not causal"),
        case(1, 4, 6, 3, False, 1.0, "x (4, 6), 3 heads of 2 features, not causal"),
        case(2, 5, 8, 2, True, 1.0, "x (5, 8), 2 heads of 4 features, causal"),
        case(3, 4, 8, 4, True, 40.0, "large inputs (x * 40): scores in the thousands, causal"),
    ]


def _mha_variants(x, W_q, W_k, W_v, W_o, num_heads, causal) -> list[Variant]:
    T, D = x.shape
    dh = D // num_heads

    def run(split, scale, mask, merge, project, softmax_axis=-1, weights_t=False):
        Wq, Wk, Wv = (W.T for W in (W_q, W_k, W_v)) if weights_t else (W_q, W_k, W_v)
        q, k, v = split(x @ Wq), split(x @ Wk), split(x @ Wv)
        scores = q @ k.transpose(0, 2, 1) / scale
        if mask:
            scores = np.where(np.tril(np.ones((T, T), dtype=bool)), scores, -np.inf)
        z = np.exp(scores - scores.max(axis=softmax_axis, keepdims=True))
        weights = z / z.sum(axis=softmax_axis, keepdims=True)
        out = merge(weights @ v)
        return out @ W_o if project else out

    def blocks(m):
        return m.reshape(T, num_heads, dh).transpose(1, 0, 2)

    def interleaved(m):
        return m.reshape(T, dh, num_heads).transpose(2, 0, 1)

    def merge(h):
        return h.transpose(1, 0, 2).reshape(T, D)

    def merge_no_transpose(h):
        return h.reshape(T, D)

    sd = np.sqrt(dh)
    return [
        (
            lambda: run(blocks, np.sqrt(D), causal, merge, True),
            "you divided the scores by sqrt(D), the model's width. Each head's dot products "
            "have only d_head = D // num_heads terms: divide by sqrt(d_head).",
        ),
        (
            lambda: run(blocks, sd, causal, merge, False),
            "you left out the output projection: multiply the merged heads by W_o.",
        ),
        (
            lambda: run(blocks, sd, causal, merge_no_transpose, True),
            "the heads were merged without moving the head axis back: (heads, T, d_head) must "
            "become (T, heads, d_head) (transpose(1, 0, 2)) before the reshape to (T, D), or "
            "tokens get mixed.",
        ),
        (
            lambda: run(interleaved, sd, causal, merge, True),
            "head h took every heads-th feature; each head owns a block of d_head consecutive "
            "features: reshape (T, D) to (T, heads, d_head).",
        ),
        (
            lambda: run(blocks, sd, False, merge, True),
            "the causal mask was ignored: with causal=True a token may attend only to itself and "
            "earlier tokens.",
        ),
        (
            lambda: run(blocks, sd, causal, merge, True, softmax_axis=-2),
            "the softmax ran over the queries (axis -2); each query's weights over the keys "
            "(the last axis) must sum to 1.",
        ),
        (
            lambda: run(blocks, sd, causal, merge, True, weights_t=True),
            "vectors are rows here, so a projection is x @ W_q (shape (T, D) @ (D, D)); x @ "
            "W_q.T uses the column-vector convention's matrix.",
        ),
    ]


def _diagnose_mha(case: Case, expected, got) -> str | None:
    advice = first_match(got, _mha_variants(*case.args))
    if advice is None and np.isnan(np.asarray(got, dtype=float)).any():
        return (
            "your output holds nan on large inputs: np.exp of scores in the thousands "
            "overflows. Subtract each row's maximum score before np.exp."
        )
    return advice


EXERCISES = [
    Exercise(
        id="05.1",
        title="additive attention scores",
        reference=additive_scores,
        cases=_additive_cases,
        diagnose=_diagnose_additive,
        hints=[
            "query @ W_q.T has shape (h,) and keys @ W_k.T has shape (S, h); adding them "
            "broadcasts the query's part to every key.",
            "One tanh of the sum, then a dot product with w: np.tanh(...) @ w, shape (S,).",
        ],
    ),
    Exercise(
        id="05.2",
        title="scaled dot-product scores",
        reference=attention_scores,
        cases=_scores_cases,
        diagnose=_diagnose_scores,
        hints=[
            "The scores are every query's dot product with every key: q @ k^T, shape (..., L, S).",
            "For batches, transpose only the last two axes of k: np.swapaxes(k, -1, -2).",
            "Divide by np.sqrt(d), with d = q.shape[-1].",
        ],
    ),
    Exercise(
        id="05.3",
        title="a masked softmax",
        reference=masked_softmax,
        cases=_softmax_cases,
        diagnose=_diagnose_softmax,
        hints=[
            "np.where(mask, scores, -np.inf) blocks the masked keys: exp(-inf) = 0.",
            "Subtract each row's max before np.exp; for a fully masked row the max is -inf: "
            "subtract 0 there instead.",
            "Divide by the row sums, using 1 where a sum is 0, so a fully masked row stays zeros.",
        ],
    ),
    Exercise(
        id="05.4",
        title="scaled dot-product attention",
        reference=attention,
        cases=_attention_cases,
        diagnose=_diagnose_attention,
        hints=[
            "Scores first: q @ k^T / sqrt(d), shape (L, S).",
            "Weights: your masked softmax of the scores (helpers' version: "
            "helpers.exercises.nb05_attention.masked_softmax).",
            "The output is the weighted sum of the values: weights @ v, shape (L, d_v).",
        ],
    ),
    Exercise(
        id="05.5",
        title="a causal mask for queries at the end of a longer context",
        reference=causal_mask,
        cases=_causal_cases,
        diagnose=_diagnose_causal,
        hints=[
            "Query i is the token at position i + (num_keys - num_queries) of the whole sequence.",
            "It may attend to key j when j <= its position: compare an arange column with an "
            "arange row, i[:, None] and j[None, :].",
        ],
    ),
    Exercise(
        id="05.6",
        title="splitting the width into heads",
        reference=split_heads,
        cases=_split_cases,
        diagnose=_diagnose_split,
        hints=[
            "Head h owns features h*d_head to (h+1)*d_head - 1 of every token.",
            "x.reshape(B, T, heads, d_head) puts them on their own axis; then "
            ".transpose(0, 2, 1, 3) gives (B, heads, T, d_head).",
        ],
    ),
    Exercise(
        id="05.7",
        title="multi-head self-attention, end to end",
        reference=multi_head_attention,
        cases=_mha_cases,
        diagnose=_diagnose_mha,
        hints=[
            "Project first: q = x @ W_q (T, D), and the same for k and v. Then split each into "
            "heads: .reshape(T, num_heads, d_head).transpose(1, 0, 2) gives (heads, T, d_head).",
            "Each head attends on its own: scores q @ k.transpose(0, 2, 1) / sqrt(d_head), shape "
            "(heads, T, T); mask the future with -inf if causal; a softmax over the last axis "
            "(subtract each row's max first); then @ v.",
            "Merge: .transpose(1, 0, 2).reshape(T, D) puts the heads side by side again; "
            "finish with @ W_o.",
        ],
    ),
    MultipleChoice(
        id="05.q1",
        question="An RNN encoder-decoder without attention reverses short strings perfectly but "
        "fails on long ones, even at lengths it was trained on. Why?",
        options={
            "a": "The decoder reads the input only through one fixed-size vector, the encoder's "
            "final state, into which a long input is hard to pack and from which it is hard to "
            "unpack.",
            "b": "GRUs cannot process sequences longer than their hidden size.",
            "c": "Long strings are rarer in training, so it saw too few of them.",
        },
        answer="a",
        explanations={
            "a": "The bottleneck: 64 numbers must carry the whole string. In principle they could "
            "(16 letters from 12 are 57 bits), but learning to pack and unpack them is hard: at "
            "the same training budget the attention models reach a far lower loss, since each "
            "output step reads every encoder state directly.",
            "b": "A GRU runs over any length; the problem is how much one state can remember.",
            "c": "Lengths were drawn uniformly, so long strings were as frequent as short ones.",
        },
    ),
    NumericAnswer(
        id="05.q2",
        question="Predict the output: a query q = [1, 0] attends to two keys k1 = [2, 0] and "
        "k2 = [0, 2] with scaled dot-product attention (d = 2). What weight does it put on k1? "
        "(three decimals)",
        answer=float(1 / (1 + np.exp(-2 / np.sqrt(2)))),
        tolerance=0.005,
        explanation="The scores are [2, 0] / sqrt(2) = [1.414, 0]; the softmax gives "
        "e^1.414 / (e^1.414 + 1) = 0.804 to k1.",
    ),
    MultipleChoice(
        id="05.q3",
        question="Why does scaled dot-product attention divide the scores by sqrt(d)?",
        options={
            "a": "To make the attention weights sum to 1.",
            "b": "A dot product of d random unit-variance components has variance d; dividing "
            "by sqrt(d) keeps the scores' spread near 1, so the softmax does not saturate and "
            "its gradients do not vanish as d grows.",
            "c": "To make the computation cheaper.",
        },
        answer="b",
        explanations={
            "a": "The softmax already sums to 1, with or without the scale.",
            "b": "Without the scale, at d = 512 one key takes almost all the weight at "
            "initialisation and the other keys get almost no gradient.",
            "c": "It costs one extra multiplication; it is about the softmax, not speed.",
        },
    ),
    MultipleChoice(
        id="05.q4",
        question="In an encoder-decoder Transformer's cross-attention, where do the queries, "
        "keys and values come from?",
        options={
            "a": "All three from the decoder's own tokens.",
            "b": "Queries from the decoder; keys and values from the encoder's outputs.",
            "c": "Queries from the encoder; keys and values from the decoder.",
        },
        answer="b",
        explanations={
            "a": "That is the decoder's (causal) self-attention.",
            "b": "Each output position asks which input positions matter, as the seq2seq "
            "decoder state did with additive attention.",
            "c": "The other way round: the decoder is the one asking.",
        },
    ),
    NumericAnswer(
        id="05.q5",
        question="Self-attention over a sequence of n tokens computes an n x n matrix of scores "
        "per head. By what factor does that number of scores grow when the context goes from "
        "2,048 to 8,192 tokens?",
        answer=16.0,
        tolerance=0.001,
        explanation="(8192 / 2048)^2 = 4^2 = 16: attention's cost is quadratic in the length.",
    ),
    MultipleChoice(
        id="05.q6",
        question="Predict the output: with torch's scaled_dot_product_attention(q, k, v, "
        "is_causal=True), one query (L = 1) and five keys (S = 5), what is the output?",
        options={
            "a": "The weighted average of all five values.",
            "b": "Exactly the first value v[0]: torch aligns its causal mask top-left, so the "
            "single query sees only key 0.",
            "c": "Zeros: the query is fully masked.",
        },
        answer="b",
        explanations={
            "a": "That is what a new token at the end of the context should get, which is why "
            "helpers.attention.attention.causal_mask aligns lower-right instead.",
            "b": "is_causal builds tril(ones(L, S)): row 0 keeps key 0 only, so the weight on "
            "v[0] is 1.",
            "c": "Key 0 is always allowed by a causal mask, so no row is fully masked.",
        },
    ),
]
