"""Attention from scratch: scores, masks, the softmax over keys, and the weighted sum of values.

    queries q (..., L, d) --scores--> (..., L, S) --mask, softmax over keys--> weights (..., L, S)
      --weights @ values v (..., S, d_v)--> output (..., L, d_v)

Each query asks "which keys match me?"; the answer is a probability distribution over the keys
(the attention weights), and the output is the matching average of the values: a soft dictionary
lookup. The score is a dot product scaled by 1/sqrt(d) (Vaswani et al., 2017) or a small MLP
(additive attention, Bahdanau et al., 2015).

Masks follow torch.nn.functional.scaled_dot_product_attention: a boolean mask is True where a
query may attend; a float mask is *added* to the scores (0 to keep, -inf to block). A query whose
keys are all masked gets all-zero weights and a zero output, as torch's SDPA returns.

Checked against torch's `scaled_dot_product_attention` and `nn.MultiheadAttention` in
tests/attention/test_attention.py.
"""

from __future__ import annotations

import math

import torch
from torch import nn

# --- checking inputs ---------------------------------------------------------------------------


def _check_tensor(name: str, x: object, min_dim: int = 2) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    if x.ndim < min_dim:
        raise ValueError(f"{name} must have at least {min_dim} dimensions, got {tuple(x.shape)}")
    return x


def _check_qkv(q: object, k: object, v: object) -> tuple[int, int]:
    """Validate queries (..., L, d), keys (..., S, d), values (..., S, d_v); return (L, S)."""
    q, k, v = _check_tensor("q", q), _check_tensor("k", k), _check_tensor("v", v)
    shapes = f"q {tuple(q.shape)}, k {tuple(k.shape)}, v {tuple(v.shape)}"
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q and k must have the same last dimension (d), got {shapes}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"k and v must have the same number of keys (S), got {shapes}")
    if q.shape[-2] == 0 or k.shape[-2] == 0:
        raise ValueError(f"empty sequence: need at least one query and one key, got {shapes}")
    if len({q.dtype, k.dtype, v.dtype}) != 1:
        raise TypeError(f"q, k and v must share a dtype, got {q.dtype}, {k.dtype}, {v.dtype}")
    try:
        torch.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except RuntimeError:
        raise ValueError(f"the batch dimensions of q, k and v do not broadcast: {shapes}") from None
    return q.shape[-2], k.shape[-2]


def _check_mask(mask: object, scores: torch.Tensor) -> None:
    if not isinstance(mask, torch.Tensor):
        raise TypeError(f"mask must be a torch.Tensor or None, got {type(mask).__name__}")
    if mask.dtype != torch.bool and not mask.is_floating_point():
        raise TypeError(
            f"mask must be boolean (True = attend) or floating (added to the scores), "
            f"got dtype {mask.dtype}"
        )
    try:
        shape = torch.broadcast_shapes(mask.shape, scores.shape)
    except RuntimeError:
        shape = None
    if shape != scores.shape:
        raise ValueError(
            f"mask of shape {tuple(mask.shape)} does not broadcast to the scores' shape "
            f"{tuple(scores.shape)} (..., queries L, keys S)"
        )


# --- masks -------------------------------------------------------------------------------------


def causal_mask(num_queries: int, num_keys: int | None = None) -> torch.Tensor:
    """Boolean (L, S) mask, True where query i may attend to key j: j <= i + (S - L).

    The L queries are the *last* L positions of the S keys (lower-right aligned), as when a block
    of new tokens attends to a longer context (a KV cache): the last query sees every key.
    torch's `is_causal=True` aligns top-left instead (j <= i), which differs when L != S: a
    single query would then see only key 0.
    """
    num_keys = num_queries if num_keys is None else num_keys
    for name, n in [("num_queries", num_queries), ("num_keys", num_keys)]:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"{name} must be a positive int, got {n!r}")
    if num_queries > num_keys:
        raise ValueError(
            f"num_queries ({num_queries}) must not exceed num_keys ({num_keys}): the queries "
            "are the last positions of the keys"
        )
    i = torch.arange(num_queries)[:, None]
    j = torch.arange(num_keys)[None, :]
    return j <= i + (num_keys - num_queries)


def padding_mask(lengths: torch.Tensor | list[int], max_len: int | None = None) -> torch.Tensor:
    """Boolean (B, S) mask, True at the first lengths[b] positions of row b (real tokens).

    For attention scores shaped (B, L, S) use mask[:, None, :]; for (B, heads, L, S) use
    mask[:, None, None, :].
    """
    lengths = torch.as_tensor(lengths)
    if lengths.ndim != 1 or lengths.dtype.is_floating_point or lengths.dtype == torch.bool:
        raise TypeError(f"lengths must be a 1-d sequence of ints, got {lengths!r}")
    if len(lengths) and lengths.min() < 0:
        raise ValueError(f"lengths must be >= 0, got {lengths.tolist()}")
    longest = int(lengths.max()) if len(lengths) else 0
    max_len = longest if max_len is None else max_len
    if max_len < longest:
        raise ValueError(f"max_len {max_len} is shorter than the longest length {longest}")
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]


def to_additive(mask: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """A boolean mask (True = attend) as a float mask to add to scores: 0 or -inf."""
    if mask.dtype != torch.bool:
        raise TypeError(f"mask must be boolean, got dtype {mask.dtype}")
    return torch.zeros(mask.shape, dtype=dtype).masked_fill(~mask, float("-inf"))


# --- the softmax over keys ---------------------------------------------------------------------


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Softmax over the last axis (keys) of `scores` (..., L, S), ignoring masked keys.

    `mask` is boolean (True = attend) or float (added to the scores), broadcastable to `scores`.
    A row whose keys are all masked gets all-zero weights (not nan).
    """
    _check_tensor("scores", scores, min_dim=1)
    if mask is not None:
        _check_mask(mask, scores)
        if mask.dtype == torch.bool:
            scores = scores.masked_fill(~mask, float("-inf"))
        else:
            scores = scores + mask.to(scores.dtype)
    # Subtracting each row's max changes nothing mathematically and keeps exp() from overflowing;
    # a fully masked row has max -inf, so shift it by 0 instead and let every exp() be 0.
    row_max = scores.amax(dim=-1, keepdim=True)
    row_max = torch.where(torch.isfinite(row_max), row_max, torch.zeros_like(row_max))
    e = torch.exp(scores - row_max)
    total = e.sum(dim=-1, keepdim=True)
    return e / torch.where(total > 0, total, torch.ones_like(total))


# --- scaled dot-product attention --------------------------------------------------------------


def attention_scores(q: torch.Tensor, k: torch.Tensor, scale: float | None = None) -> torch.Tensor:
    """Dot-product scores q @ k^T * scale, shape (..., L, S); scale defaults to 1/sqrt(d).

    Why the scale: with unit-variance entries, q . k sums d products and has variance d, so the
    softmax of unscaled scores saturates (one weight near 1) as d grows, and its gradients vanish.
    """
    _check_tensor("q", q)
    _check_tensor("k", k)
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"q and k must have the same last dimension (d), got q {tuple(q.shape)}, "
            f"k {tuple(k.shape)}"
        )
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    return (q @ k.transpose(-2, -1)) * scale


def scaled_dot_product_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    mask: torch.Tensor | None = None,
    scale: float | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(q k^T / sqrt(d) + mask) v. Returns (output (..., L, d_v), weights (..., L, S)).

    q: (..., L, d) queries; k: (..., S, d) keys; v: (..., S, d_v) values; leading dimensions
    broadcast. mask: boolean (True = attend) or float (added), broadcastable to (..., L, S);
    for a causal mask use `causal_mask(L, S)`. `scale` defaults to 1/sqrt(d).
    A query with every key masked returns zeros (weights and output), like torch's SDPA.
    """
    _check_qkv(q, k, v)
    scores = attention_scores(q, k, scale)
    weights = masked_softmax(scores, mask)
    return weights @ v, weights


# --- additive attention (Bahdanau et al., 2015) ------------------------------------------------


class AdditiveAttention(nn.Module):
    """score(q, k_j) = w^T tanh(W_q q + W_k k_j): a one-hidden-layer MLP scores each key.

    query_dim, key_dim: sizes of a query and a key; hidden: the MLP's width. The keys are also
    the values (the encoder states, in Bahdanau et al.'s decoder).
    """

    def __init__(self, query_dim: int, key_dim: int, hidden: int):
        super().__init__()
        for name, n in [("query_dim", query_dim), ("key_dim", key_dim), ("hidden", hidden)]:
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ValueError(f"{name} must be a positive int, got {n!r}")
        self.query_proj = nn.Linear(query_dim, hidden, bias=False)
        self.key_proj = nn.Linear(key_dim, hidden, bias=True)
        self.w = nn.Linear(hidden, 1, bias=False)

    def scores(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        """query (B, L, query_dim), keys (B, S, key_dim) -> scores (B, L, S)."""
        _check_tensor("query", query)
        _check_tensor("keys", keys)
        if query.shape[-1] != self.query_proj.in_features:
            raise ValueError(
                f"query's last dimension must be {self.query_proj.in_features}, "
                f"got {tuple(query.shape)}"
            )
        if keys.shape[-1] != self.key_proj.in_features:
            raise ValueError(
                f"keys' last dimension must be {self.key_proj.in_features}, got {tuple(keys.shape)}"
            )
        if query.shape[-2] == 0 or keys.shape[-2] == 0:
            raise ValueError(
                f"empty sequence: need at least one query and one key, got query "
                f"{tuple(query.shape)}, keys {tuple(keys.shape)}"
            )
        # (B, L, 1, h) + (B, 1, S, h): every query meets every key.
        q, k = self.query_proj(query)[..., :, None, :], self.key_proj(keys)[..., None, :, :]
        hidden = torch.tanh(q + k)
        return self.w(hidden).squeeze(-1)

    def forward(
        self, query: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns (context (B, L, key_dim), weights (B, L, S)); mask as in masked_softmax."""
        weights = masked_softmax(self.scores(query, keys), mask)
        return weights @ keys, weights


# --- multi-head attention ----------------------------------------------------------------------


def split_heads(x: torch.Tensor, num_heads: int) -> torch.Tensor:
    """(B, T, D) -> (B, heads, T, D / heads): each head gets its own slice of the features."""
    _check_tensor("x", x, min_dim=3)
    if x.ndim != 3:
        raise ValueError(f"x must have shape (B, T, D), got {tuple(x.shape)}")
    b, t, d = x.shape
    if isinstance(num_heads, bool) or not isinstance(num_heads, int) or num_heads < 1:
        raise ValueError(f"num_heads must be a positive int, got {num_heads!r}")
    if d % num_heads:
        raise ValueError(f"num_heads ({num_heads}) must divide the width D ({d}) of x {(b, t, d)}")
    return x.view(b, t, num_heads, d // num_heads).transpose(1, 2)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """(B, heads, T, d_head) -> (B, T, heads * d_head): the inverse of split_heads."""
    _check_tensor("x", x, min_dim=4)
    if x.ndim != 4:
        raise ValueError(f"x must have shape (B, heads, T, d_head), got {tuple(x.shape)}")
    b, h, t, dh = x.shape
    return x.transpose(1, 2).reshape(b, t, h * dh)


class MultiHeadAttention(nn.Module):
    """Project to queries, keys and values, split into heads, attend in each, concatenate,
    project back (Vaswani et al., 2017).

    embed_dim D, num_heads H (must divide D). forward(query (B, L, D), key (B, S, D),
    value (B, S, D), mask) -> (output (B, L, D), weights (B, H, L, S)). mask: boolean
    (True = attend) or float, broadcastable to (B, H, L, S), e.g. causal_mask(L, S) or
    padding_mask(lengths)[:, None, None, :].
    """

    def __init__(self, embed_dim: int, num_heads: int, bias: bool = True):
        super().__init__()
        for name, n in [("embed_dim", embed_dim), ("num_heads", num_heads)]:
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ValueError(f"{name} must be a positive int, got {n!r}")
        if embed_dim % num_heads:
            raise ValueError(f"num_heads ({num_heads}) must divide embed_dim ({embed_dim})")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.q_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.k_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.v_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        for name, x in [("query", query), ("key", key), ("value", value)]:
            _check_tensor(name, x, min_dim=3)
            if x.ndim != 3 or x.shape[-1] != self.embed_dim:
                raise ValueError(
                    f"{name} must have shape (B, T, {self.embed_dim}), got {tuple(x.shape)}"
                )
        q = split_heads(self.q_proj(query), self.num_heads)  # (B, H, L, d_head)
        k = split_heads(self.k_proj(key), self.num_heads)  # (B, H, S, d_head)
        v = split_heads(self.v_proj(value), self.num_heads)
        out, weights = scaled_dot_product_attention(q, k, v, mask)
        return self.out_proj(merge_heads(out)), weights

    @classmethod
    def from_torch(cls, mha: nn.MultiheadAttention) -> MultiHeadAttention:
        """Our module with the weights of a torch nn.MultiheadAttention (same embed dims for q, k,
        v). Its in_proj_weight stacks [W_q; W_k; W_v] into one (3D, D) matrix."""
        if not isinstance(mha, nn.MultiheadAttention) or not mha._qkv_same_embed_dim:
            raise TypeError("mha must be an nn.MultiheadAttention with kdim = vdim = embed_dim")
        has_bias = mha.in_proj_bias is not None
        ours = cls(mha.embed_dim, mha.num_heads, bias=has_bias)
        ours = ours.to(dtype=mha.in_proj_weight.dtype)
        d = mha.embed_dim
        with torch.no_grad():
            for i, proj in enumerate([ours.q_proj, ours.k_proj, ours.v_proj]):
                proj.weight.copy_(mha.in_proj_weight[i * d : (i + 1) * d])
                if has_bias:
                    proj.bias.copy_(mha.in_proj_bias[i * d : (i + 1) * d])
            ours.out_proj.weight.copy_(mha.out_proj.weight)
            if has_bias:
                ours.out_proj.bias.copy_(mha.out_proj.bias)
        return ours


def entropy(weights: torch.Tensor) -> torch.Tensor:
    """Entropy in nats of each attention distribution over keys: (..., S) -> (...).

    0 for a query that looks at one key, log(S) for one that spreads evenly over S keys.
    """
    _check_tensor("weights", weights, min_dim=1)
    p = weights.clamp_min(0)
    return -(torch.where(p > 0, p * torch.log(p), torch.zeros_like(p))).sum(-1)
