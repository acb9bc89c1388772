"""Typical wrong answers to the exercises of notebook 05. Each agrees with the reference on the
easy cases (tiny inputs, d = 1, nothing masked, square masks, one token, one head) and is caught
only by a case written to tell it apart."""

import numpy as np

# 05.1 · additive scores ------------------------------------------------------------------------


def _additive_separate_tanh(query, keys, W_q, W_k, w):
    return (np.tanh(query @ W_q.T) + np.tanh(keys @ W_k.T)) @ w


def _additive_no_tanh(query, keys, W_q, W_k, w):
    return (query @ W_q.T + keys @ W_k.T) @ w


def _additive_relu(query, keys, W_q, W_k, w):
    return np.maximum(query @ W_q.T + keys @ W_k.T, 0) @ w


# 05.2 · scaled dot-product scores --------------------------------------------------------------


def _scores_unscaled(q, k):
    return q @ np.swapaxes(k, -1, -2)


def _scores_divided_by_d(q, k):
    return q @ np.swapaxes(k, -1, -2) / q.shape[-1]


def _scores_sqrt_of_queries(q, k):
    return q @ np.swapaxes(k, -1, -2) / np.sqrt(len(q))


def _scores_k_dot_T(q, k):
    return q @ k.T / np.sqrt(q.shape[-1])


# 05.3 · masked softmax -------------------------------------------------------------------------


def _rowwise_softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_mask_after(scores, mask):
    return _rowwise_softmax(scores) * mask


def _softmax_big_negative(scores, mask):
    return _rowwise_softmax(np.where(mask, scores, -1e9))


def _softmax_minus_inf_nan(scores, mask):
    return _rowwise_softmax(np.where(mask, scores, -np.inf))


def _softmax_zero_fill(scores, mask):
    return _rowwise_softmax(np.where(mask, scores, 0.0))


def _softmax_no_shift(scores, mask):
    e = np.where(mask, np.exp(scores), 0.0)
    total = e.sum(axis=-1, keepdims=True)
    return e / np.where(total > 0, total, 1.0)


# 05.4 · attention ------------------------------------------------------------------------------


def _masked(scores, mask):
    from helpers.exercises.nb05_attention import masked_softmax

    return masked_softmax(scores, mask)


def _attention_unscaled(q, k, v, mask):
    return _masked(q @ k.T, mask) @ v


def _attention_mask_after_softmax(q, k, v, mask):
    return (_rowwise_softmax(q @ k.T / np.sqrt(q.shape[-1])) * mask) @ v


def _attention_ignores_mask(q, k, v, mask):
    return _rowwise_softmax(q @ k.T / np.sqrt(q.shape[-1])) @ v


def _attention_big_negative(q, k, v, mask):
    return _rowwise_softmax(np.where(mask, q @ k.T / np.sqrt(q.shape[-1]), -1e9)) @ v


# 05.5 · causal mask ----------------------------------------------------------------------------


def _causal_top_left(num_queries, num_keys):
    return np.tril(np.ones((num_queries, num_keys), dtype=bool))


def _causal_wrong_sign(num_queries, num_keys):
    return np.tril(np.ones((num_queries, num_keys), dtype=bool), k=num_queries - num_keys)


def _causal_future(num_queries, num_keys):
    return np.triu(np.ones((num_queries, num_keys), dtype=bool), k=num_keys - num_queries)


# 05.6 · split heads ----------------------------------------------------------------------------


def _split_direct_reshape(x, num_heads):
    b, t, d = x.shape
    return x.reshape(b, num_heads, t, d // num_heads)


def _split_interleaved(x, num_heads):
    b, t, d = x.shape
    return x.reshape(b, t, d // num_heads, num_heads).transpose(0, 3, 1, 2)


def _split_no_transpose(x, num_heads):
    b, t, d = x.shape
    return x.reshape(b, t, num_heads, d // num_heads)


# 05.7 · multi-head self-attention ------------------------------------------------------------


def _mha_parts(x, W_q, W_k, W_v, num_heads, causal, scale=None):
    T, D = x.shape
    dh = D // num_heads
    q, k, v = (
        (x @ W).reshape(T, num_heads, dh).transpose(1, 0, 2) for W in (W_q, W_k, W_v)
    )
    scores = q @ k.transpose(0, 2, 1) / (scale or np.sqrt(dh))
    if causal:
        scores = np.where(np.tril(np.ones((T, T), dtype=bool)), scores, -np.inf)
    return _rowwise_softmax(scores) @ v  # (heads, T, dh)


def _mha_scaled_by_width(x, W_q, W_k, W_v, W_o, num_heads, causal):
    T, D = x.shape
    heads = _mha_parts(x, W_q, W_k, W_v, num_heads, causal, scale=np.sqrt(D))
    return heads.transpose(1, 0, 2).reshape(T, D) @ W_o


def _mha_no_output_projection(x, W_q, W_k, W_v, W_o, num_heads, causal):
    T, D = x.shape
    return _mha_parts(x, W_q, W_k, W_v, num_heads, causal).transpose(1, 0, 2).reshape(T, D)


def _mha_merge_without_transpose(x, W_q, W_k, W_v, W_o, num_heads, causal):
    T, D = x.shape
    return _mha_parts(x, W_q, W_k, W_v, num_heads, causal).reshape(T, D) @ W_o


def _mha_ignores_causal(x, W_q, W_k, W_v, W_o, num_heads, causal):
    T, D = x.shape
    return _mha_parts(x, W_q, W_k, W_v, num_heads, False).transpose(1, 0, 2).reshape(T, D) @ W_o


def _mha_column_convention(x, W_q, W_k, W_v, W_o, num_heads, causal):
    T, D = x.shape
    heads = _mha_parts(x, W_q.T, W_k.T, W_v.T, num_heads, causal)
    return heads.transpose(1, 0, 2).reshape(T, D) @ W_o


def _mha_unstable_softmax(x, W_q, W_k, W_v, W_o, num_heads, causal):
    T, D = x.shape
    dh = D // num_heads
    q, k, v = (
        (x @ W).reshape(T, num_heads, dh).transpose(1, 0, 2) for W in (W_q, W_k, W_v)
    )
    scores = q @ k.transpose(0, 2, 1) / np.sqrt(dh)
    if causal:
        scores = np.where(np.tril(np.ones((T, T), dtype=bool)), scores, -np.inf)
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(scores)
        heads = (e / e.sum(axis=-1, keepdims=True)) @ v
    return heads.transpose(1, 0, 2).reshape(T, D) @ W_o


WRONG = {
    "05.1": [
        (_additive_separate_tanh, "tanh to the query's part and the key's part separately"),
        (_additive_no_tanh, "no tanh"),
        (_additive_relu, "that is a ReLU"),
    ],
    "05.2": [
        (_scores_unscaled, "no scaling"),
        (_scores_divided_by_d, "you divided by d"),
        (_scores_sqrt_of_queries, "number of queries"),
        (_scores_k_dot_T, "k.T reverses *every* axis"),
    ],
    "05.3": [
        (_softmax_mask_after, "without renormalising"),
        (_softmax_big_negative, "came out uniform"),
        (_softmax_minus_inf_nan, "came out nan"),
        (_softmax_zero_fill, "masked keys need a score of -inf"),
        (_softmax_no_shift, "exp() overflowed"),
    ],
    "05.4": [
        (_attention_unscaled, "no scaling"),
        (_attention_mask_after_softmax, "you masked after the softmax"),
        (_attention_ignores_mask, "the mask was ignored"),
        (_attention_big_negative, "a fully masked row should give a zero output"),
    ],
    "05.5": [
        (_causal_top_left, "top-left mask"),
        (_causal_wrong_sign, "wrong sign"),
        (_causal_future, "not the future"),
    ],
    "05.6": [
        (_split_direct_reshape, "mixes tokens into heads"),
        (_split_interleaved, "every heads-th feature"),
        (_split_no_transpose, "swap axes 1 and 2"),
    ],
    "05.7": [
        (_mha_scaled_by_width, "sqrt(D), the model's width"),
        (_mha_no_output_projection, "left out the output projection"),
        (_mha_merge_without_transpose, "without moving the head axis back"),
        (_mha_ignores_causal, "causal mask was ignored"),
        (_mha_column_convention, "vectors are rows here"),
        (_mha_unstable_softmax, "overflows"),
    ],
}
