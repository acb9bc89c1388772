"""Typical wrong answers to the exercises of notebook 06. Most agree with the reference on the
easy cases (one sin/cos pair, position 0 or 1, d = 2, constant or zero-mean rows, no padding, one
token, plain LayerNorms) and are caught only by a case written to tell them apart; the rest (a
swapped sin/cos, a count that misses a term, a post-norm block) can agree on no input, and must
still fail with a message naming their own mistake."""

import numpy as np

# 06.1 · sinusoidal encodings -------------------------------------------------------------------


def _angles(length, dim, exponent_of_i, start=0):
    position = np.arange(start, start + length)[:, None]
    i = np.arange((dim + 1) // 2)
    return position / 10_000 ** exponent_of_i(i)


def _interleave(length, dim, even, odd):
    table = np.zeros((length, dim))
    table[:, 0::2] = even
    table[:, 1::2] = odd[:, : dim // 2]
    return table


def _sinusoidal_swapped(length, dim):
    angle = _angles(length, dim, lambda i: 2 * i / dim)
    return _interleave(length, dim, np.cos(angle), np.sin(angle))


def _sinusoidal_i_over_dim(length, dim):
    angle = _angles(length, dim, lambda i: i / dim)
    return _interleave(length, dim, np.sin(angle), np.cos(angle))


def _sinusoidal_from_one(length, dim):
    angle = _angles(length, dim, lambda i: 2 * i / dim, start=1)
    return _interleave(length, dim, np.sin(angle), np.cos(angle))


def _sinusoidal_halves(length, dim):
    angle = _angles(length, dim, lambda i: 2 * i / dim)
    return np.concatenate([np.sin(angle), np.cos(angle)], axis=1)[:, :dim]


def _sinusoidal_times(length, dim):
    angle = np.arange(length)[:, None] * 10_000 ** (np.arange(0, dim, 2) / dim)
    return _interleave(length, dim, np.sin(angle), np.cos(angle))


# 06.2 · RoPE -----------------------------------------------------------------------------------


def _rope_pieces(x, position, base, exponent):
    d = x.shape[-1]
    theta = np.asarray(position)[..., None] * base ** -exponent(np.arange(d // 2), d)
    return np.cos(theta), np.sin(theta)


def _two_i_over_d(i, d):
    return 2 * i / d


def _rotate_neighbours(x, cos, sin):
    out = np.empty(x.shape)
    out[..., 0::2] = x[..., 0::2] * cos - x[..., 1::2] * sin
    out[..., 1::2] = x[..., 0::2] * sin + x[..., 1::2] * cos
    return out


def _rope_other_way(x, position, base=10_000.0):
    cos, sin = _rope_pieces(x, position, base, _two_i_over_d)
    return _rotate_neighbours(x, cos, -sin)


def _rope_half_pairing(x, position, base=10_000.0):
    cos, sin = _rope_pieces(x, position, base, _two_i_over_d)
    a, b = np.split(x, 2, axis=-1)
    return np.concatenate([a * cos - b * sin, a * sin + b * cos], axis=-1)


def _rope_freq_from_one(x, position, base=10_000.0):
    cos, sin = _rope_pieces(x, position, base, lambda i, d: 2 * (i + 1) / d)
    return _rotate_neighbours(x, cos, sin)


def _rope_not_scaled_by_position(x, position, base=10_000.0):
    cos, sin = _rope_pieces(x, np.ones_like(position), base, _two_i_over_d)
    return _rotate_neighbours(x, cos, sin)


def _rope_pairs_not_put_back(x, position, base=10_000.0):
    cos, sin = _rope_pieces(x, position, base, _two_i_over_d)
    a, b = x[..., 0::2], x[..., 1::2]
    return np.concatenate([a * cos - b * sin, a * sin + b * cos], axis=-1)


def _rope_fixed_base(x, position, base=10_000.0):
    cos, sin = _rope_pieces(x, position, 10_000.0, _two_i_over_d)
    return _rotate_neighbours(x, cos, sin)


# 06.3 · layer norm -----------------------------------------------------------------------------


def _layer_norm_ddof1(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=-1, keepdims=True)
    std = np.sqrt(x.var(axis=-1, ddof=1, keepdims=True) + eps)
    return (x - mean) / std * gamma + beta


def _layer_norm_eps_outside(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=-1, keepdims=True)
    return (x - mean) / (x.std(axis=-1, keepdims=True) + eps) * gamma + beta


def _layer_norm_axis0(x, gamma, beta, eps=1e-5):
    mean, var = x.mean(axis=0, keepdims=True), x.var(axis=0, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def _layer_norm_rms(x, gamma, beta, eps=1e-5):
    rms = np.sqrt(np.mean(x**2, axis=-1, keepdims=True) + eps)
    return x / rms * gamma + beta


def _layer_norm_whole_array(x, gamma, beta, eps=1e-5):
    return (x - x.mean()) / np.sqrt(x.var() + eps) * gamma + beta


def _layer_norm_no_affine(x, gamma, beta, eps=1e-5):
    mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


# 06.5 · the batch's attention mask -------------------------------------------------------------


def _mask_causal_only(lengths, T):
    return np.stack([np.tril(np.ones((T, T), dtype=bool)) for _ in lengths])


def _mask_padded_queries(lengths, T):
    masks = []
    for n in lengths:
        m = np.tril(np.ones((T, T), dtype=bool))
        m[n:, :] = False  # the learner masks the padded rows (queries), not columns (keys)
        masks.append(m)
    return np.stack(masks)


def _mask_upper_triangle(lengths, T):
    j = np.arange(T)
    return np.stack([np.triu(np.ones((T, T), dtype=bool)) & (j < n) for n in lengths])


def _mask_left_padding(lengths, T):
    j = np.arange(T)
    return np.stack([np.tril(np.ones((T, T), dtype=bool)) & (j >= T - n) for n in lengths])


def _mask_strict_past(lengths, T):
    j = np.arange(T)
    return np.stack([np.tril(np.ones((T, T), dtype=bool), k=-1) & (j < n) for n in lengths])


# 06.6 · GPT-2's parameter count ----------------------------------------------------------------


def _block(C, ratio=4, biases=True, norms=True):
    weights = 3 * C * C + C * C + 2 * ratio * C * C
    return weights + biases * (3 * C + C + ratio * C + C) + norms * 4 * C


def _count_untied(vocab_size, context, d_model, n_layer):
    C = d_model
    return 2 * vocab_size * C + context * C + n_layer * _block(C) + 2 * C


def _count_no_norms(vocab_size, context, d_model, n_layer):
    C = d_model
    return vocab_size * C + context * C + n_layer * _block(C, norms=False)


def _count_no_biases(vocab_size, context, d_model, n_layer):
    C = d_model
    return vocab_size * C + context * C + n_layer * _block(C, biases=False) + 2 * C


def _count_no_final_norm(vocab_size, context, d_model, n_layer):
    C = d_model
    return vocab_size * C + context * C + n_layer * _block(C)


def _count_mlp_2x(vocab_size, context, d_model, n_layer):
    C = d_model
    return vocab_size * C + context * C + n_layer * _block(C, ratio=2) + 2 * C


def _count_mlp_3x(vocab_size, context, d_model, n_layer):
    C = d_model
    return vocab_size * C + context * C + n_layer * _block(C, ratio=3) + 2 * C


# 06.4 · one pre-norm block ---------------------------------------------------------------------


def _ln(x, g, b):
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-5) * g + b


def _attend(a, p, causal=True, scale=None):
    T, C = a.shape
    s = (a @ p["W_q"]) @ (a @ p["W_k"]).T / (np.sqrt(C) if scale is None else scale)
    if causal:
        s = s + np.triu(np.full((T, T), -np.inf), k=1)
    w = np.exp(s - s.max(-1, keepdims=True))
    return (w / w.sum(-1, keepdims=True)) @ (a @ p["W_v"]) @ p["W_o"]


def _feed_forward(b, p):
    z = b @ p["W_1"] + p["b_1"]
    return 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z**3))) @ p["W_2"] + p["b_2"]


def _block_post_norm(x, p):
    h = _ln(x + _attend(x, p), p["ln1_g"], p["ln1_b"])
    return _ln(h + _feed_forward(h, p), p["ln2_g"], p["ln2_b"])


def _block_no_residual(x, p):
    h = _attend(_ln(x, p["ln1_g"], p["ln1_b"]), p)
    return _feed_forward(_ln(h, p["ln2_g"], p["ln2_b"]), p)


def _block_no_causal_mask(x, p):
    h = x + _attend(_ln(x, p["ln1_g"], p["ln1_b"]), p, causal=False)
    return h + _feed_forward(_ln(h, p["ln2_g"], p["ln2_b"]), p)


def _block_unscaled(x, p):
    h = x + _attend(_ln(x, p["ln1_g"], p["ln1_b"]), p, scale=1.0)
    return h + _feed_forward(_ln(h, p["ln2_g"], p["ln2_b"]), p)


def _block_one_norm(x, p):
    h = x + _attend(_ln(x, p["ln1_g"], p["ln1_b"]), p)
    return h + _feed_forward(_ln(h, p["ln1_g"], p["ln1_b"]), p)


def _block_normed_residual(x, p):
    x = _ln(x, p["ln1_g"], p["ln1_b"])
    h = x + _attend(x, p)
    h = _ln(h, p["ln2_g"], p["ln2_b"])
    return h + _feed_forward(h, p)


WRONG = {
    "06.1": [
        (_sinusoidal_swapped, "sin and cos are swapped"),
        (_sinusoidal_i_over_dim, "the exponent is i / dim"),
        (_sinusoidal_from_one, "positions start at 0"),
        (_sinusoidal_halves, "all the sines in the first half"),
        (_sinusoidal_times, "instead of dividing"),
    ],
    "06.2": [
        (_rope_other_way, "rotated the other way"),
        (_rope_half_pairing, "the 'half' pairing"),
        (_rope_freq_from_one, "frequencies are off by one"),
        (_rope_not_scaled_by_position, "the position times the frequency"),
        (_rope_pairs_not_put_back, "put each rotated pair back"),
        (_rope_fixed_base, "use the `base` argument"),
    ],
    "06.3": [
        (_layer_norm_ddof1, "sample variance (ddof=1"),
        (_layer_norm_eps_outside, "eps belongs inside the square root"),
        (_layer_norm_axis0, "normalised over axis 0"),
        (_layer_norm_rms, "that is RMS norm"),
        (_layer_norm_whole_array, "one mean and variance for the whole array"),
        (_layer_norm_no_affine, "gamma and beta were left out"),
    ],
    "06.5": [
        (_mask_causal_only, "padding is not masked"),
        (_mask_padded_queries, "padded *queries* came out fully masked"),
        (_mask_upper_triangle, "True marks the future"),
        (_mask_left_padding, "that is left padding"),
        (_mask_strict_past, "its own position too"),
    ],
    "06.6": [
        (_count_untied, "ties it to the token embedding"),
        (_count_no_norms, "the LayerNorms are missing"),
        (_count_no_biases, "the biases of the linear layers are missing"),
        (_count_no_final_norm, "the final LayerNorm"),
        (_count_mlp_2x, "not 2 x"),
        (_count_mlp_3x, "not 3 x"),
    ],
    "06.4": [
        (_block_post_norm, "that is post-norm"),
        (_block_no_residual, "no residual connections"),
        (_block_no_causal_mask, "no causal mask"),
        (_block_unscaled, "the scores are not scaled"),
        (_block_one_norm, "used the first LayerNorm's gamma and beta"),
        (_block_normed_residual, "the residual must carry x itself"),
    ],
}
