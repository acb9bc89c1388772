"""Exercises and review questions of notebook 06, the transformer (numpy versions of the pieces in
helpers.transformer.gpt: sinusoidal positions, RoPE, LayerNorm, a batch's attention mask, GPT-2's
parameter count and one pre-norm block).

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
from helpers.exercises.nb05_attention import attention


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


# 06.1 · sinusoidal position encodings ----------------------------------------------------------


def sinusoidal_encoding(length, dim):
    position = np.arange(length)[:, None]  # (length, 1)
    frequency = 10_000.0 ** (-np.arange(0, dim, 2) / dim)  # 2i / dim for i = 0, 1, ...
    angle = position * frequency  # (length, ceil(dim / 2))
    table = np.zeros((length, dim))
    table[:, 0::2] = np.sin(angle)
    table[:, 1::2] = np.cos(angle)[:, : dim // 2]  # odd dim: the last sin column has no cos
    return table


def _sinusoidal_cases() -> list[Case]:
    return [
        Case((4, 2), label="length 4, dim 2 (one sin/cos pair)"),
        Case((1, 4), label="length 1, dim 4 (position 0 only)"),
        Case((6, 8), label="length 6, dim 8"),
        Case((5, 7), label="length 5, dim 7 (odd: the last column is a sin)"),
        Case((50, 16), label="length 50, dim 16"),
    ]


def _sinusoidal_variants(length, dim) -> list[Variant]:
    def table(position, exponent, swap=False, halves=False):
        angle = position[:, None] * 10_000.0**exponent
        first, second = (np.cos, np.sin) if swap else (np.sin, np.cos)
        if halves:
            return np.concatenate([first(angle), second(angle)], axis=1)[:, :dim]
        out = np.zeros((length, dim))
        out[:, 0::2], out[:, 1::2] = first(angle), second(angle)[:, : dim // 2]
        return out

    pos, two_i = np.arange(length, dtype=float), np.arange(0, dim, 2)
    return [
        (
            lambda: table(pos, -two_i / dim, swap=True),
            "sin and cos are swapped: even columns (2i) hold the sine, odd columns (2i+1) the "
            "cosine, so position 0 reads [0, 1, 0, 1, ...].",
        ),
        (
            lambda: table(pos, -two_i / 2 / dim),
            "the exponent is i / dim; it is 2i / dim (np.arange(0, dim, 2) / dim), so that the "
            "wavelengths grow from 2 pi towards 10000 * 2 pi across the columns.",
        ),
        (
            lambda: table(pos + 1, -two_i / dim),
            "positions start at 0, not 1: the first row is sin(0) = 0 and cos(0) = 1.",
        ),
        (
            lambda: table(pos, -two_i / dim, halves=True),
            "you put all the sines in the first half and all the cosines in the second; here they "
            "alternate: column 2i is a sine, column 2i+1 the cosine of the same angle.",
        ),
        (
            lambda: table(pos, two_i / dim),
            "the angle is pos / 10000^(2i/dim): you multiplied by 10000^(2i/dim) instead of "
            "dividing (the frequencies must fall with i, not grow).",
        ),
    ]


def _diagnose_sinusoidal(case: Case, expected, got) -> str | None:
    return first_match(got, _sinusoidal_variants(*case.args))


# 06.2 · a rotary (RoPE) rotation ---------------------------------------------------------------


def rope_rotate(x, position, base=10_000.0):
    d = x.shape[-1]
    frequency = base ** (-np.arange(0, d, 2) / d)  # one per pair, (d / 2,)
    angle = np.asarray(position, dtype=float)[..., None] * frequency  # (d/2,) or (T, d/2)
    cos, sin = np.cos(angle), np.sin(angle)
    a, b = x[..., 0::2], x[..., 1::2]  # the two coordinates of each pair (2i, 2i+1)
    out = np.empty(x.shape)
    out[..., 0::2] = a * cos - b * sin
    out[..., 1::2] = a * sin + b * cos
    return out


def _rope_cases() -> list[Case]:
    r = _rng(3)
    return [
        Case((np.array([0.6, -0.8]), 0), label="x [0.6, -0.8], position 0"),
        Case((np.array([1.0, 0.0]), 1), label="x [1, 0], position 1"),
        Case((np.array([1.0, 2.0, 3.0, 4.0]), 3), label="x [1, 2, 3, 4], position 3"),
        Case(
            (r.normal(size=(3, 8)), np.array([0, 2, 7])),
            label="x (3, 8), positions [0, 2, 7]",
        ),
        Case((r.normal(size=(4, 6)), 5), label="x (4, 6), position 5 for every row"),
        Case(
            (r.normal(size=(5, 8)), np.array([0, 3, 6, 9, 12])),
            {"base": 100.0},
            label="x (5, 8), positions [0, 3, 6, 9, 12], base 100",
        ),
    ]


def _rope_variants(x, position, base=10_000.0) -> list[Variant]:
    d = x.shape[-1]
    pos = np.asarray(position, dtype=float)[..., None]

    def rotate(angle, pairing="interleaved", sign=1.0):
        if pairing == "half":
            a, b = x[..., : d // 2], x[..., d // 2 :]
        else:
            a, b = x[..., 0::2], x[..., 1::2]
        cos, sin = np.cos(angle), sign * np.sin(angle)
        first, second = a * cos - b * sin, a * sin + b * cos
        if pairing == "interleaved":
            return np.stack([first, second], axis=-1).reshape(x.shape)
        return np.concatenate([first, second], axis=-1)  # "half", or pairs never put back

    exponent = np.arange(0, d, 2) / d
    return [
        (
            lambda: rotate(pos * base**-exponent, sign=-1.0),
            "you rotated the other way (by -angle): the first coordinate of a pair becomes "
            "a cos - b sin, the second a sin + b cos.",
        ),
        (
            lambda: rotate(pos * base**-exponent, pairing="half"),
            "you paired coordinate i with i + d/2 (the 'half' pairing of Hugging Face's Llama); "
            "here the pairs are neighbours: (0, 1), (2, 3), ...",
        ),
        (
            lambda: rotate(pos * base**-exponent, pairing="pairs not put back"),
            "you rotated the right pairs but returned all the first coordinates, then all the "
            "second ones; put each rotated pair back in place: out[..., 0::2] and out[..., 1::2].",
        ),
        (
            lambda: rotate(pos * base ** -(exponent + 2 / d)),
            "the frequencies are off by one: pair i turns by base^(-2i/d) per position, so pair "
            "0 turns by exactly 1 radian per position (count i from 0).",
        ),
        (
            lambda: rotate(pos * base ** -(exponent / 2)),
            "the exponent is i/d; it is 2i/d for pair i (np.arange(0, d, 2) / d).",
        ),
        (
            lambda: rotate(np.broadcast_to(base**-exponent, pos.shape[:-1] + exponent.shape)),
            "the angle must be the position times the frequency: every token was turned as if it "
            "sat at position 1.",
        ),
        (
            lambda: rotate(pos * 10_000.0**-exponent),
            "use the `base` argument instead of a fixed 10000.",
        ),
    ]


def _diagnose_rope(case: Case, expected, got) -> str | None:
    return first_match(got, _rope_variants(*case.args, **case.kwargs))


# 06.3 · layer normalisation --------------------------------------------------------------------


def layer_norm(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)  # the population variance (ddof 0), as torch uses
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def _layer_norm_cases() -> list[Case]:
    r = _rng(8)

    def case(shape, scale, shift, affine, label, **kwargs):
        x = r.normal(size=shape) * scale + shift
        c = shape[-1]
        gamma = r.uniform(0.5, 2.0, c) if affine else np.ones(c)
        beta = r.normal(size=c) if affine else np.zeros(c)
        return Case((x, gamma, beta), kwargs, label=label)

    tiny = case((2, 8), 1e-3, 0.0, True, "")
    tiny.args[0][1] = 5.0  # a constant row: variance 0
    return [
        Case(
            (np.full(4, 3.0), r.uniform(0.5, 2.0, 4), r.normal(size=4)),
            label="x [3, 3, 3, 3] (a constant row), random gamma and beta",
        ),
        Case(
            (np.array([1.0, -1.0, 2.0, -2.0]), np.ones(4), np.zeros(4)),
            label="x [1, -1, 2, -2] (mean 0), gamma 1, beta 0",
        ),
        case((3, 5), 2.0, 1.0, False, "x (3, 5) with mean about 1, gamma 1, beta 0"),
        case((4, 4), 1.0, 0.0, True, "x (4, 4), random gamma and beta"),
        case((2, 3, 6), 3.0, -2.0, True, "x (2, 3, 6) (a batch of sequences)"),
        Case(tiny.args, label="x (2, 8): row 0 tiny (std 1e-3, below sqrt(eps)), row 1 constant"),
        case((3, 4), 0.2, 0.0, True, "x (3, 4) with std 0.2, eps=0.1", eps=0.1),
    ]


def _layer_norm_variants(x, gamma, beta, eps=1e-5) -> list[Variant]:
    centred = x - x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    normed = centred / np.sqrt(var + eps)

    def over(axis):
        mean, v = x.mean(axis=axis, keepdims=True), x.var(axis=axis, keepdims=True)
        return (x - mean) / np.sqrt(v + eps) * gamma + beta

    return [
        (
            lambda: centred / np.sqrt(x.var(axis=-1, ddof=1, keepdims=True) + eps) * gamma + beta,
            "you used the sample variance (ddof=1, dividing by C - 1); LayerNorm divides by C "
            "(np.var's default, ddof=0).",
        ),
        (
            lambda: centred / (np.sqrt(var) + eps) * gamma + beta,
            "eps belongs inside the square root, sqrt(var + eps), not added to the standard "
            "deviation; it matters when the variance is tiny.",
        ),
        (
            lambda: centred / np.sqrt(var) * gamma + beta,
            "no eps: a constant row gives 0 / 0; divide by sqrt(var + eps).",
        ),
        (
            lambda: over(0),
            "you normalised over axis 0 (across tokens, as BatchNorm does over a batch); "
            "LayerNorm normalises each token's features: axis=-1, keepdims=True.",
        ),
        (
            lambda: over(None),
            "you used one mean and variance for the whole array; each token (each row, the last "
            "axis) gets its own.",
        ),
        (
            lambda: x / np.sqrt((x**2).mean(axis=-1, keepdims=True) + eps) * gamma + beta,
            "that is RMS norm (no mean subtracted); LayerNorm subtracts each row's mean first and "
            "divides by the standard deviation.",
        ),
        (lambda: normed, "gamma and beta were left out: return normed * gamma + beta."),
        (lambda: normed * beta + gamma, "gamma and beta are swapped: normed * gamma + beta."),
    ]


def _diagnose_layer_norm(case: Case, expected, got) -> str | None:
    return first_match(got, _layer_norm_variants(*case.args, **case.kwargs))


# 06.5 · the attention mask of a right-padded batch ---------------------------------------------


def batch_attention_mask(lengths, T):
    lengths = np.asarray(lengths)[:, None, None]  # (B, 1, 1)
    query = np.arange(T)[:, None]  # (T, 1)
    key = np.arange(T)[None, :]  # (1, T)
    causal = key <= query  # (T, T): the past and the token itself
    real_key = key < lengths  # (B, 1, T): not padding
    return causal & real_key  # (B, T, T)


def _mask_cases() -> list[Case]:
    return [
        Case(([1], 1), label="lengths [1], T 1"),
        Case(([3], 3), label="lengths [3], T 3 (no padding)"),
        Case(([4, 2], 4), label="lengths [4, 2], T 4"),
        Case(([2], 5), label="lengths [2], T 5 (three padded positions)"),
        Case(([1, 5, 3], 5), label="lengths [1, 5, 3], T 5"),
        Case(([6, 1, 4, 2], 6), label="lengths [6, 1, 4, 2], T 6"),
    ]


def _mask_variants(lengths, T) -> list[Variant]:
    n = np.asarray(lengths)[:, None, None]
    i, j = np.arange(T)[:, None], np.arange(T)[None, :]
    shape = (len(lengths), T, T)
    return [
        (
            lambda: np.broadcast_to(j <= i, shape),
            "padding is not masked: key j of sequence b is a real token only if j < lengths[b]; "
            "combine it with the causal mask (&).",
        ),
        (
            lambda: (j <= i) & (i < n),
            "the padded *queries* came out fully masked (rows of False), and such a row gives "
            "nan in the softmax. Mask padded *keys* (j < lengths[b]); a padded query row can "
            "still attend to the real tokens before it.",
        ),
        (
            lambda: (j >= i) & (j < n),
            "True marks the future (j >= i, the upper triangle); a query may attend to its past: "
            "j <= i.",
        ),
        (
            lambda: (j < i) & (j < n),
            "a query may attend to its own position too (j <= i, not j < i).",
        ),
        (
            lambda: (j <= i) & (j >= T - n),
            "that is left padding (the real tokens at the end); here the padding is on the right: "
            "sequence b's tokens are positions 0 to lengths[b] - 1.",
        ),
        (
            lambda: (j <= i) & (j <= n),
            "one padded key too many: the real keys are j < lengths[b], not j <= lengths[b].",
        ),
    ]


def _diagnose_mask(case: Case, expected, got) -> str | None:
    return first_match(got, _mask_variants(*case.args))


# 06.6 · GPT-2's parameter count ----------------------------------------------------------------


def gpt2_parameter_count(vocab_size, context, d_model, n_layer):
    C = d_model
    embeddings = vocab_size * C + context * C  # tokens and learned positions
    attn = C * 3 * C + 3 * C + C * C + C  # W_qkv and its bias, W_o and its bias
    mlp = C * 4 * C + 4 * C + 4 * C * C + C  # up to 4C and back, with biases
    norms = 2 * (2 * C)  # two LayerNorms per block, a gain and a bias each
    final_norm = 2 * C
    return embeddings + n_layer * (attn + mlp + norms) + final_norm  # the head is tied: no extra


def _count_cases() -> list[Case]:
    return [
        Case((10, 8, 16, 1), label="vocab 10, context 8, d_model 16, 1 layer"),
        Case((50, 16, 32, 2), label="vocab 50, context 16, d_model 32, 2 layers"),
        Case((65, 256, 384, 6), label="vocab 65, context 256, d_model 384, 6 layers"),
        Case((50257, 1024, 768, 12), label="GPT-2 small: vocab 50257, context 1024, 768, 12"),
        Case((50257, 1024, 1600, 48), label="GPT-2 XL: vocab 50257, context 1024, 1600, 48"),
    ]


def _count_variants(vocab_size, context, d_model, n_layer) -> list[Variant]:
    V, T, C, L = vocab_size, context, d_model, n_layer
    right = gpt2_parameter_count(V, T, C, L)

    def mlp_ratio(r):
        return right - L * (8 * C * C + 4 * C) + L * (2 * r * C * C + r * C)

    return [
        (
            lambda: right + V * C,
            "you counted the output layer as a separate V x C matrix; GPT-2 ties it to the token "
            "embedding (the same weights), so it adds nothing.",
        ),
        (
            lambda: right - L * 4 * C - 2 * C,
            "the LayerNorms are missing: each has a gain and a bias of C numbers, two per block "
            "plus the final one.",
        ),
        (
            lambda: right - 2 * C,
            "the final LayerNorm (before the output layer) is missing: 2C more.",
        ),
        (
            lambda: right - L * 9 * C,
            "the biases of the linear layers are missing: 3C (q, k, v) + C (output) + 4C + C "
            "(MLP) per block.",
        ),
        (lambda: right - T * C, "the learned position table (context x d_model) is missing."),
        (
            lambda: mlp_ratio(2),
            "the MLP's hidden layer is 4 x d_model wide in GPT-2, not 2 x.",
        ),
        (
            lambda: mlp_ratio(3),
            "the MLP's hidden layer is 4 x d_model wide in GPT-2, not 3 x.",
        ),
        (
            lambda: V * C + T * C + 12 * L * C * C,
            "12 L C^2 is the rule of thumb for the blocks' weight matrices; count the biases and "
            "LayerNorms (13 C per block) and the final norm too.",
        ),
    ]


def _diagnose_count(case: Case, expected, got) -> str | None:
    return first_match(got, _count_variants(*case.args))


# 06.4 · one pre-norm Transformer block ---------------------------------------------------------


def block_forward(x, p):
    T, C = x.shape
    # attention sub-layer: normalise, attend (causal, one head), project, add to the stream
    a = layer_norm(x, p["ln1_g"], p["ln1_b"])
    q, k, v = a @ p["W_q"], a @ p["W_k"], a @ p["W_v"]
    scores = q @ k.T / np.sqrt(C)
    scores = np.where(np.tril(np.ones((T, T), dtype=bool)), scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = weights / weights.sum(axis=-1, keepdims=True)
    h = x + weights @ v @ p["W_o"]
    # MLP sub-layer: normalise, widen, GELU (tanh approximation, as GPT-2), narrow, add
    z = layer_norm(h, p["ln2_g"], p["ln2_b"]) @ p["W_1"] + p["b_1"]
    gelu = 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z**3)))
    return h + gelu @ p["W_2"] + p["b_2"]


def block_parameters(d_model, hidden, seed=0, scale=1.0, plain_norms=False):
    """Random parameters for block_forward, a dict of numpy arrays: "ln1_g", "ln1_b", "ln2_g",
    "ln2_b" (C,) for the two LayerNorms; "W_q", "W_k", "W_v", "W_o" (C, C); "W_1" (C, H), "b_1"
    (H,), "W_2" (H, C), "b_2" (C,) for the MLP (row vectors: x @ W). The matrices have standard
    deviation scale / sqrt(fan_in); with plain_norms both LayerNorms are gamma 1, beta 0."""
    r = _rng(seed)
    C, H = d_model, hidden

    def weight(rows, cols):
        return r.normal(size=(rows, cols)) * scale / np.sqrt(rows)

    p = {name: weight(C, C) for name in ("W_q", "W_k", "W_v", "W_o")}
    p |= {"W_1": weight(C, H), "b_1": r.normal(size=H) * 0.1}
    p |= {"W_2": weight(H, C), "b_2": r.normal(size=C) * 0.1}
    for norm in ("ln1", "ln2"):
        p[f"{norm}_g"] = np.ones(C) if plain_norms else r.uniform(0.5, 1.5, C)
        p[f"{norm}_b"] = np.zeros(C) if plain_norms else r.normal(size=C) * 0.1
    return p


def _block_cases() -> list[Case]:
    r = _rng(13)
    return [
        Case(
            (r.normal(size=(1, 4)), block_parameters(4, 16, seed=1, plain_norms=True)),
            label="x (1, 4): one token; both LayerNorms gamma 1, beta 0; random weights, MLP 16",
        ),
        Case(
            (r.normal(size=(3, 4)), block_parameters(4, 16, seed=2, plain_norms=True)),
            label="x (3, 4); both LayerNorms gamma 1, beta 0; random weights, MLP 16",
        ),
        Case(
            (r.normal(size=(5, 8)), block_parameters(8, 32, seed=3)),
            label="x (5, 8); random LayerNorms and weights, MLP 32",
        ),
        Case(
            (r.normal(size=(6, 6)) * 4, block_parameters(6, 24, seed=4, scale=3.0)),
            label="x (6, 6) with std 4; weights 3 x larger (peaked attention), MLP 24",
        ),
    ]


def _block_variants(x, p) -> list[Variant]:
    T, C = x.shape
    causal = np.tril(np.ones((T, T), dtype=bool))
    ln1, ln2 = (p["ln1_g"], p["ln1_b"]), (p["ln2_g"], p["ln2_b"])

    def attn(a, mask=causal, divide_by=None, transpose=False):
        W = {n: p[n].T if transpose else p[n] for n in ("W_q", "W_k", "W_v", "W_o")}
        q = a @ W["W_q"]
        if divide_by is not None:  # nb05's attention divides by sqrt(C) itself: undo, redo
            q = q * np.sqrt(C) / divide_by
        return attention(q, a @ W["W_k"], a @ W["W_v"], mask) @ W["W_o"]

    def mlp(b, act="gelu"):
        z = b @ p["W_1"] + p["b_1"]
        if act == "gelu":
            z = 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z**3)))
        else:
            z = np.maximum(z, 0)
        return z @ p["W_2"] + p["b_2"]

    def pre_norm(attend=attn, n2=ln2, act="gelu", keep=(True, True)):
        h = x * keep[0] + attend(layer_norm(x, *ln1))
        return h * keep[1] + mlp(layer_norm(h, *n2), act)

    def softmax_over_queries(a):
        s = np.where(causal, (a @ p["W_q"]) @ (a @ p["W_k"]).T / np.sqrt(C), -np.inf)
        w = np.exp(s - s.max(axis=0, keepdims=True))
        return (w / w.sum(axis=0, keepdims=True)) @ (a @ p["W_v"]) @ p["W_o"]

    def normed_residual():
        a = layer_norm(x, *ln1)
        h = a + attn(a)
        b = layer_norm(h, *ln2)
        return b + mlp(b)

    def post_norm():
        h = layer_norm(x + attn(x), *ln1)
        return layer_norm(h + mlp(h), *ln2)

    return [
        (
            post_norm,
            "that is post-norm (the original Transformer: LN(x + attn(x))); GPT-2's block is "
            "pre-norm: x + attn(LN(x)), and the residual stream itself is never normalised.",
        ),
        (
            lambda: pre_norm(keep=(False, False)),
            "no residual connections: add each sub-layer's output to its input, "
            "h = x + attn(LN(x)) and out = h + MLP(LN(h)).",
        ),
        (
            lambda: pre_norm(keep=(False, True)),
            "the attention sub-layer's residual is missing: h = x + attn(LN(x)).",
        ),
        (
            lambda: pre_norm(keep=(True, False)),
            "the MLP sub-layer's residual is missing: out = h + MLP(LN(h)).",
        ),
        (
            normed_residual,
            "the residual must carry x itself, not LN(x): h = x + attn(LN(x)) (keep the "
            "un-normalised x for the addition).",
        ),
        (
            lambda: pre_norm(attend=lambda a: attn(a, mask=np.ones((T, T), dtype=bool))),
            "no causal mask: token t must not see tokens after it (mask the scores above the "
            "diagonal with -inf before the softmax).",
        ),
        (
            lambda: pre_norm(attend=lambda a: attn(a, divide_by=1.0)),
            "the scores are not scaled: divide q k^T by sqrt(C).",
        ),
        (
            lambda: pre_norm(attend=lambda a: attn(a, divide_by=C)),
            "you divided the scores by C; divide by sqrt(C).",
        ),
        (
            lambda: pre_norm(attend=softmax_over_queries),
            "the softmax ran over the queries (axis 0); each query's weights over the keys must "
            "sum to 1: axis=-1.",
        ),
        (
            lambda: pre_norm(n2=ln1),
            "both sub-layers used the first LayerNorm's gamma and beta; the MLP has its own, "
            "p['ln2_g'] and p['ln2_b'].",
        ),
        (
            lambda: pre_norm(attend=lambda a: attn(a, transpose=True)),
            "the attention weights are used transposed: with row vectors, q = LN(x) @ W_q (and "
            "the same for W_k, W_v, W_o).",
        ),
        (
            lambda: pre_norm(act="relu"),
            "that is a ReLU; GPT-2's MLP uses GELU with the tanh approximation: "
            "0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3))).",
        ),
    ]


def _diagnose_block(case: Case, expected, got) -> str | None:
    return first_match(got, _block_variants(*case.args))


EXERCISES = [
    Exercise(
        id="06.1",
        title="sinusoidal position encodings",
        reference=sinusoidal_encoding,
        cases=_sinusoidal_cases,
        diagnose=_diagnose_sinusoidal,
        hints=[
            "Make a column of positions, np.arange(length)[:, None], and a row of frequencies, "
            "10000 ** (-np.arange(0, dim, 2) / dim); their product is every angle.",
            "Fill table[:, 0::2] with np.sin(angle) and table[:, 1::2] with np.cos(angle).",
            "For an odd dim there is one more sine column than cosine columns: keep the first "
            "dim // 2 cosine columns.",
        ],
    ),
    Exercise(
        id="06.2",
        title="a rotary (RoPE) rotation",
        reference=rope_rotate,
        cases=_rope_cases,
        diagnose=_diagnose_rope,
        hints=[
            "The pairs are a = x[..., 0::2] and b = x[..., 1::2]; pair i turns by the angle "
            "position * base ** (-2i / d).",
            "np.asarray(position)[..., None] * frequency gives (d/2,) angles for one position "
            "and (T, d/2) for T positions.",
            "A rotation by theta: (a, b) -> (a cos theta - b sin theta, a sin theta + b cos "
            "theta). Write the results back to out[..., 0::2] and out[..., 1::2].",
        ],
    ),
    Exercise(
        id="06.3",
        title="layer normalisation",
        reference=layer_norm,
        cases=_layer_norm_cases,
        diagnose=_diagnose_layer_norm,
        hints=[
            "Mean and variance over the last axis: x.mean(axis=-1, keepdims=True) and "
            "x.var(axis=-1, keepdims=True) (keepdims so they broadcast back).",
            "(x - mean) / np.sqrt(var + eps), then scale by gamma and shift by beta.",
        ],
    ),
    Exercise(
        id="06.4",
        title="one pre-norm Transformer block",
        reference=block_forward,
        cases=_block_cases,
        diagnose=_diagnose_block,
        hints=[
            "Attention first: a = layer_norm(x, p['ln1_g'], p['ln1_b']); q, k, v = a @ W_q, "
            "a @ W_k, a @ W_v; scores q @ k.T / sqrt(C), causal mask, softmax over the keys.",
            "h = x + (weights @ v) @ W_o: the residual adds to x itself, not to LN(x).",
            "Then the MLP on layer_norm(h, p['ln2_g'], p['ln2_b']): z = . @ W_1 + b_1, GELU "
            "(tanh form), @ W_2 + b_2, added to h.",
        ],
    ),
    Exercise(
        id="06.5",
        title="the attention mask of a right-padded batch",
        reference=batch_attention_mask,
        cases=_mask_cases,
        diagnose=_diagnose_mask,
        hints=[
            "With i = np.arange(T)[:, None] (queries) and j = np.arange(T)[None, :] (keys), the "
            "causal part is j <= i, shape (T, T).",
            "Key j of sequence b is real when j < lengths[b]: np.asarray(lengths)[:, None, None] "
            "has shape (B, 1, 1) and broadcasts against j.",
            "Combine the two with &: (T, T) & (B, 1, T) -> (B, T, T).",
        ],
    ),
    Exercise(
        id="06.6",
        title="GPT-2's parameter count",
        reference=gpt2_parameter_count,
        cases=_count_cases,
        diagnose=_diagnose_count,
        rtol=0.0,
        atol=0.5,  # a count is exact
        hints=[
            "Embeddings: a vocab x d_model token table and a context x d_model position table.",
            "A linear layer from n to m features has n * m weights and m biases; a LayerNorm of "
            "width C has 2C (gamma and beta).",
            "Per block: W_qkv (C -> 3C), W_o (C -> C), the MLP (C -> 4C -> C), two LayerNorms. "
            "Then one final LayerNorm; the tied output layer adds nothing.",
        ],
    ),
    MultipleChoice(
        id="06.q1",
        question="A Transformer encoder layer (self-attention with no mask, then the MLP) gets "
        "no position information. You feed it 'the dog bit the man', then 'the man bit the "
        "dog'. What comes out?",
        options={
            "a": "The same output vector for each word in both sentences, only in another "
            "order: the layer cannot tell the two sentences apart.",
            "b": "Different vectors: attention weights depend on the order of the keys.",
            "c": "The same vectors, and adding a causal mask would not change that.",
        },
        answer="a",
        explanations={
            "a": "Each output depends on its own token and the *set* of tokens it attends to: "
            "permute the inputs and the outputs are permuted the same way "
            "(permutation-equivariance). Positions have to be put in.",
            "b": "The softmax and the weighted sum run over the keys as a sum; reordering the "
            "terms of a sum does not change it.",
            "c": "A causal mask breaks the symmetry: token t sees only the first t tokens, so "
            "order matters; causal models without position encodings can even learn positions "
            "(Haviv et al. 2022).",
        },
    ),
    MultipleChoice(
        id="06.q2",
        question="GPT-2 adds a learned vector per position; the original Transformer adds fixed "
        "sinusoids; Llama-style models rotate each query and key by angles proportional to "
        "their position (RoPE). With RoPE, what does the score between the query at position m "
        "and the key at position n depend on?",
        options={
            "a": "The two vectors and the distance m - n only.",
            "b": "m and n separately, as with sinusoidal encodings.",
            "c": "Neither: a rotation keeps lengths, so it carries no position information.",
            "d": "A learned table of positions, like GPT-2's, which lets it read any length.",
        },
        answer="a",
        explanations={
            "a": "Rotating q by m theta and k by n theta leaves q . k depending on (m - n) theta "
            "(Su et al. 2021): shift a whole sentence and its scores stay the same.",
            "b": "Added sinusoids pass through W_q and W_k together with the token, so the score "
            "mixes content with absolute positions; RoPE multiplies (rotates) instead of adding.",
            "c": "A rotation keeps each vector's length but changes the angle between q and k, "
            "which the dot product measures.",
            "d": "RoPE has no parameters. GPT-2's learned table has one row per position (1024): "
            "it has no row for position 1024, a hard limit on its context.",
        },
    ),
    MultipleChoice(
        id="06.q3",
        question="In a stack of 24 blocks without residual connections, the gradient vanishes "
        "on its way down (in the notebook's plain stack it underflows to exactly 0 at the first "
        "blocks). Why does the residual form x + f(x) fix it?",
        options={
            "a": "Its derivative is I + f'(x): the gradient reaches every block through the "
            "identity path instead of through a product of 24 Jacobians.",
            "b": "It adds parameters, so the early layers have more to learn with.",
            "c": "It normalises each block's output to unit variance.",
            "d": "It makes the gradient exactly equal at every layer.",
        },
        answer="a",
        explanations={
            "a": "Without it, the gradient is a product of 24 Jacobians, which shrinks (or grows) "
            "geometrically with depth: vanishing gradients (He et al. 2016).",
            "b": "A residual connection has no parameters at all.",
            "c": "That is LayerNorm's job (Ba et al. 2016): residuals alone let the stream's "
            "variance grow with depth, so each block also normalises what it reads.",
            "d": "I + f'(x) is not I: the gradients still differ from layer to layer, they just "
            "no longer vanish geometrically.",
        },
    ),
    MultipleChoice(
        id="06.q4",
        question="The original Transformer normalised after each residual addition (post-norm: "
        "x = LN(x + f(x))); GPT-2 and nearly every model since normalise each sub-layer's input "
        "(pre-norm: x = x + f(LN(x))). Why?",
        options={
            "a": "Pre-norm leaves the residual stream an untouched identity path from the "
            "embeddings to the final norm, so deep stacks train stably.",
            "b": "Pre-norm is cheaper: it needs one LayerNorm fewer per block.",
            "c": "Post-norm cannot be combined with a causal mask.",
        },
        answer="a",
        explanations={
            "a": "Post-norm puts a LayerNorm on the residual path in every block; deep post-norm "
            "models train only with a careful learning-rate warm-up (Xiong et al. 2020).",
            "b": "Both use two per block; pre-norm even needs one more, before the output layer.",
            "c": "Masks and norms are independent; the original Transformer's decoder was "
            "post-norm and causal.",
        },
    ),
    MultipleChoice(
        id="06.q5",
        question="Which pairing of architecture, attention mask and pretraining task is right?",
        options={
            "a": "Decoder-only (GPT): causal mask, predict the next token. Encoder-only (BERT): "
            "no mask, predict masked-out tokens. Encoder-decoder (original Transformer, T5): "
            "a bidirectional encoder and a causal decoder with cross-attention, e.g. translation.",
            "b": "Decoder-only: no mask, predict the next token. Encoder-only: causal mask, "
            "predict masked-out tokens.",
            "c": "Encoder-only, because it sees both sides of each token, is the best choice "
            "for generating long text.",
            "d": "Encoder-decoder models need no mask anywhere.",
        },
        answer="a",
        explanations={
            "a": "The mask is what the task needs: a next-token predictor must not see the "
            "future; a blank-filler should see both sides; a translator reads the whole source "
            "and writes the target left to right.",
            "b": "Swapped: a GPT that saw the next token would copy it instead of predicting it.",
            "c": "Seeing both sides makes BERT good at understanding (classifying, filling a "
            "blank), but it has no left-to-right factorisation to sample text from.",
            "d": "The decoder's self-attention is causal (and padding is masked everywhere); only "
            "the encoder sees both sides.",
        },
    ),
    MultipleChoice(
        id="06.q6",
        question="BERT was pretrained on masked language modelling plus next-sentence "
        "prediction (NSP). What is NSP, and why did RoBERTa drop it?",
        options={
            "a": "A yes/no task: is segment B the text that followed segment A, or a random "
            "segment from elsewhere? Dropping it and training on long contiguous text matched or "
            "improved results.",
            "b": "Generating the next sentence word by word; RoBERTa dropped it because it was "
            "slow.",
            "c": "Predicting the last word of each sentence; RoBERTa dropped it because it made "
            "training unstable.",
        },
        answer="a",
        explanations={
            "a": "Half the pairs are real continuations, half random, classified from the [CLS] "
            "token (Devlin et al. 2019). Liu et al. (2019) found it did not help; ALBERT's "
            "authors argued a random B is told apart mostly by its topic, which is too easy.",
            "b": "BERT never generates text: NSP is a binary classifier on two given segments.",
            "c": "That is neither NSP nor the reason: it was dropped because removing it did not "
            "hurt and freed the context for longer text.",
        },
    ),
    NumericAnswer(
        id="06.q7",
        question="GPT-2 small reads up to 1,024 tokens. If its context were doubled to 2,048 "
        "tokens, by what factor would the FLOPs of computing the attention scores (q k^T) of one "
        "layer grow?",
        answer=4.0,
        tolerance=0.001,
        explanation="Every query scores every key: n^2 dot products, so 2^2 = 4, while the MLPs "
        "and projections, which cost the same per token, only double. That square (in time and "
        "memory), a KV cache that grows with the length, and the positions seen in training "
        "are what limit a context window.",
    ),
    NumericAnswer(
        id="06.q8",
        question="Training costs about 6 FLOPs per parameter per token (2 for the forward pass, "
        "a multiply and an add per weight; about 4 for the backward pass). About how many FLOPs "
        "does it take to train GPT-2 small (124 million parameters) on 10 billion tokens? "
        "(answer like 1.5e18)",
        answer=6 * 124e6 * 10e9,
        tolerance=0.05,
        explanation="6 N D = 6 x 1.24e8 x 1e10 = 7.4e18. Attention adds arithmetic with no "
        "weights: 4 x n_layer x context x d_model FLOPs per token forward (the scores and the "
        "weighted sum, 2 x context x d_model each, as Hoffmann et al. 2022 count; Kaplan et al. "
        "2020 list only the scores). For GPT-2 small at 1,024 tokens that is 13% of the total "
        "(the notebook's count), 15% on top of 6 N.",
    ),
    MultipleChoice(
        id="06.q9",
        question="GPT-2 small (width 768, 12 layers) and GPT-3 (width 12,288, 96 layers) use "
        "the same 50,257-token vocabulary. What share of their parameters is the token "
        "embedding?",
        options={
            "a": "About 31% of GPT-2 small, but under 0.4% of GPT-3.",
            "b": "About 31% of both: embeddings grow with the width just as the blocks do.",
            "c": "Under 1% of both.",
            "d": "Most of both: the vocabulary is the largest dimension.",
        },
        answer="a",
        explanations={
            "a": "The embedding grows as V d, the blocks as about 12 L d^2: 38.6 M of 124 M in "
            "GPT-2 small, 0.62 B of 175 B in GPT-3. Large models are almost all blocks.",
            "b": "The embedding is linear in the width, the blocks quadratic (and they also grow "
            "with the number of layers).",
            "c": "In small models the embedding is a large share: a third of GPT-2 small.",
            "d": "The vocabulary is large, but it multiplies d only once; the blocks multiply "
            "d^2 by 12 L.",
        },
    ),
    MultipleChoice(
        id="06.q10",
        question="SmolLM2-135M splits its width of 576 into 9 query heads of 64 dimensions, "
        "sharing 3 key/value heads (grouped-query attention). Which is right?",
        options={
            "a": "Each head makes its own attention pattern on its own 64-dimensional slice; "
            "with GQA each key/value head serves 3 query heads, so the key/value projections "
            "and the KV cache are 3 times smaller.",
            "b": "9 heads of 64 have 9 times the parameters of one head of 576.",
            "c": "GQA computes 3 times fewer attention scores.",
        },
        answer="a",
        explanations={
            "a": "Several heads let one layer look in several ways at once (one at the previous "
            "token, another at an earlier copy: an induction head). GQA (Ainslie et al. 2023) "
            "shares keys and values, which costs little quality and saves memory.",
            "b": "The projections are 576 x 576 either way: heads split the width, they do not "
            "multiply it.",
            "c": "Every query head still scores every key: 9 score matrices. The saving is memory "
            "(K/V projections and the cache), which bounds the speed of generation.",
        },
    ),
]
