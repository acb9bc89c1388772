"""helpers.attention.attention against torch: scaled_dot_product_attention (boolean, float and
causal masks, queries shorter than keys, fully masked rows), nn.MultiheadAttention with copied
weights, and clear errors on bad input. float64 throughout, so the tolerances are tight."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from helpers.attention.attention import (
    AdditiveAttention,
    MultiHeadAttention,
    attention_scores,
    causal_mask,
    entropy,
    masked_softmax,
    merge_heads,
    padding_mask,
    scaled_dot_product_attention,
    split_heads,
    to_additive,
)

TOL = {"rtol": 1e-12, "atol": 1e-12}


def _qkv(b=2, h=3, L=5, S=5, d=8, dv=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(b, h, L, d, generator=g, dtype=torch.float64)
    k = torch.randn(b, h, S, d, generator=g, dtype=torch.float64)
    v = torch.randn(b, h, S, dv, generator=g, dtype=torch.float64)
    return q, k, v


def _torch_weights(q, k, mask=None, scale=None):
    """torch's attention weights: SDPA applied to the identity matrix as values."""
    eye = torch.eye(k.shape[-2], dtype=k.dtype).expand(*k.shape[:-2], -1, -1)
    return F.scaled_dot_product_attention(q, k, eye, attn_mask=mask, scale=scale)


@pytest.mark.parametrize("L,S", [(5, 5), (2, 7), (1, 9), (7, 3)])
def test_no_mask_matches_torch(L, S):
    q, k, v = _qkv(L=L, S=S)
    out, w = scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v), **TOL)
    torch.testing.assert_close(w, _torch_weights(q, k), **TOL)
    torch.testing.assert_close(w.sum(-1), torch.ones(2, 3, L, dtype=torch.float64), **TOL)


def test_custom_scale_matches_torch():
    q, k, v = _qkv()
    out, _ = scaled_dot_product_attention(q, k, v, scale=0.3)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, scale=0.3), **TOL)


@pytest.mark.parametrize("L,S", [(5, 5), (3, 8)])
def test_boolean_and_float_masks_match_torch(L, S):
    q, k, v = _qkv(L=L, S=S, seed=1)
    g = torch.Generator().manual_seed(2)
    mask = torch.rand(2, 1, L, S, generator=g) > 0.4  # broadcast over heads
    mask[..., 0] = True  # every row keeps a key (fully masked rows are tested below)
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    out, w = scaled_dot_product_attention(q, k, v, mask)
    torch.testing.assert_close(out, expected, **TOL)
    assert (w[~mask.expand_as(w)] == 0).all()
    additive = torch.randn(L, S, generator=g, dtype=torch.float64)  # a bias, not only 0 / -inf
    out, _ = scaled_dot_product_attention(q, k, v, additive)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, additive), **TOL)
    as_float = to_additive(mask, torch.float64)
    out, _ = scaled_dot_product_attention(q, k, v, as_float)
    torch.testing.assert_close(out, expected, **TOL)


def test_causal_mask_equals_is_causal_when_square():
    q, k, v = _qkv(L=6, S=6)
    out, w = scaled_dot_product_attention(q, k, v, causal_mask(6))
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, is_causal=True), **TOL)
    assert torch.equal(w[0, 0] > 0, torch.ones(6, 6, dtype=torch.bool).tril())


def test_causal_mask_is_lower_right_unlike_torch_is_causal():
    """With L < S our queries are the *last* L positions; torch's is_causal aligns top-left."""
    L, S = 2, 5
    ours = causal_mask(L, S)
    assert ours.tolist() == [[True, True, True, True, False], [True, True, True, True, True]]
    top_left = torch.ones(L, S, dtype=torch.bool).tril()
    assert top_left.tolist() == [[True] + [False] * 4, [True, True] + [False] * 3]
    q, k, v = _qkv(L=L, S=S)
    torch_causal = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    torch.testing.assert_close(torch_causal, F.scaled_dot_product_attention(q, k, v, top_left))
    ours_out, _ = scaled_dot_product_attention(q, k, v, ours)
    torch.testing.assert_close(ours_out, F.scaled_dot_product_attention(q, k, v, ours), **TOL)
    assert not torch.allclose(ours_out, torch_causal)
    # A single query at the end of a context sees everything; torch's is_causal: only key 0.
    assert causal_mask(1, 9).all()
    one, _ = scaled_dot_product_attention(q[..., -1:, :], k, v, causal_mask(1, S))
    torch.testing.assert_close(one, F.scaled_dot_product_attention(q[..., -1:, :], k, v), **TOL)
    first = F.scaled_dot_product_attention(q[..., -1:, :], k, v, is_causal=True)
    torch.testing.assert_close(first, v[..., :1, :], **TOL)
    # The lower-right block of a full causal mask is exactly our mask.
    assert torch.equal(causal_mask(S)[-L:], ours)


def test_fully_masked_rows_give_zeros_like_torch():
    q, k, v = _qkv(L=3, S=4)
    mask = torch.ones(3, 4, dtype=torch.bool)
    mask[1] = False
    out, w = scaled_dot_product_attention(q, k, v, mask)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), **TOL)
    assert (out[..., 1, :] == 0).all() and (w[..., 1, :] == 0).all()
    assert not torch.isnan(out).any()
    float_mask = to_additive(mask, torch.float64)
    out_f, _ = scaled_dot_product_attention(q, k, v, float_mask)
    torch.testing.assert_close(out_f, out, **TOL)
    torch.testing.assert_close(w[..., 0, :].sum(-1), torch.ones(2, 3, dtype=torch.float64))


def test_masked_softmax_is_stable_and_ignores_masked_keys():
    scores = torch.tensor([[1000.0, 999.0, -5.0], [-1000.0, -1001.0, 3.0]], dtype=torch.float64)
    mask = torch.tensor([[True, True, False], [True, True, False]])
    p = masked_softmax(scores, mask)
    e = math.exp(-1)
    expected = torch.tensor([[1 / (1 + e), e / (1 + e), 0.0]] * 2, dtype=torch.float64)
    torch.testing.assert_close(p, expected, **TOL)
    torch.testing.assert_close(masked_softmax(scores), torch.softmax(scores, -1), **TOL)


def test_padding_mask_and_lengths():
    m = padding_mask([3, 1, 0], max_len=4)
    assert m.tolist() == [
        [True, True, True, False],
        [True, False, False, False],
        [False, False, False, False],
    ]
    assert padding_mask(torch.tensor([2, 1])).shape == (2, 2)


def test_padding_mask_matches_multihead_key_padding_mask():
    """nn.MultiheadAttention's masks mean True = *masked*, the opposite of SDPA and ours."""
    torch.manual_seed(0)
    mha = torch.nn.MultiheadAttention(12, 3, batch_first=True, dtype=torch.float64).eval()
    ours = MultiHeadAttention.from_torch(mha)
    x = torch.randn(2, 5, 12, dtype=torch.float64)
    lengths = torch.tensor([5, 3])
    keep = padding_mask(lengths, 5)
    expected, expected_w = mha(
        x, x, x, key_padding_mask=~keep, need_weights=True, average_attn_weights=False
    )
    got, w = ours(x, x, x, keep[:, None, None, :])
    torch.testing.assert_close(got, expected, **TOL)
    torch.testing.assert_close(w, expected_w, **TOL)


@pytest.mark.parametrize("L,S", [(4, 4), (2, 6)])
def test_multihead_matches_torch_with_copied_weights(L, S):
    torch.manual_seed(1)
    mha = torch.nn.MultiheadAttention(16, 4, batch_first=True, dtype=torch.float64).eval()
    with torch.no_grad():  # torch starts the biases at 0: give them values so they are tested
        mha.in_proj_bias.normal_()
        mha.out_proj.bias.normal_()
    ours = MultiHeadAttention.from_torch(mha)
    g = torch.Generator().manual_seed(3)
    query = torch.randn(3, L, 16, generator=g, dtype=torch.float64)
    memory = torch.randn(3, S, 16, generator=g, dtype=torch.float64)
    # Cross-attention: decoder queries, encoder keys and values.
    expected, expected_w = mha(query, memory, memory, average_attn_weights=False)
    got, w = ours(query, memory, memory)
    torch.testing.assert_close(got, expected, **TOL)
    torch.testing.assert_close(w, expected_w, **TOL)
    assert w.shape == (3, 4, L, S)
    _, averaged = mha(query, memory, memory)  # torch's default: the mean over heads
    torch.testing.assert_close(w.mean(1), averaged, **TOL)
    # A causal mask: torch's attn_mask is True = masked, so pass the complement.
    mask = causal_mask(L, S)
    expected, expected_w = mha(query, memory, memory, attn_mask=~mask, average_attn_weights=False)
    got, w = ours(query, memory, memory, mask)
    torch.testing.assert_close(got, expected, **TOL)
    torch.testing.assert_close(w, expected_w, **TOL)


def test_split_and_merge_heads_are_inverse_and_match_a_reshape():
    x = torch.arange(2 * 3 * 8, dtype=torch.float64).view(2, 3, 8)
    heads = split_heads(x, 4)
    assert heads.shape == (2, 4, 3, 2)
    assert torch.equal(heads[1, 2, 0], x[1, 0, 4:6])  # head 2 holds features 4 and 5
    assert torch.equal(merge_heads(heads), x)


def test_additive_attention_matches_a_direct_computation():
    torch.manual_seed(0)
    att = AdditiveAttention(query_dim=3, key_dim=4, hidden=5).double()
    query = torch.randn(2, 1, 3, dtype=torch.float64)
    keys = torch.randn(2, 6, 4, dtype=torch.float64)
    mask = padding_mask([6, 4], 6)[:, None, :]
    context, w = att(query, keys, mask)
    Wq, Wk, bk, wv = att.query_proj.weight, att.key_proj.weight, att.key_proj.bias, att.w.weight[0]
    for b in range(2):
        scores = torch.stack(
            [wv @ torch.tanh(Wq @ query[b, 0] + Wk @ keys[b, j] + bk) for j in range(6)]
        )
        n = [6, 4][b]
        p = torch.softmax(scores[:n], 0)
        torch.testing.assert_close(w[b, 0, :n], p, **TOL)
        torch.testing.assert_close(context[b, 0], p @ keys[b, :n], **TOL)
    assert (w[1, 0, 4:] == 0).all()


def test_scores_variance_grows_with_d_and_the_scale_undoes_it():
    g = torch.Generator().manual_seed(0)
    for d in (4, 64, 256):
        q = torch.randn(20_000, d, generator=g, dtype=torch.float64)
        k = torch.randn(20_000, d, generator=g, dtype=torch.float64)
        raw = (q * k).sum(-1)
        assert raw.var().item() == pytest.approx(d, rel=0.05)
        scaled = attention_scores(q[:, None], k[:, None]).flatten()
        assert scaled.var().item() == pytest.approx(1.0, rel=0.05)


def test_entropy():
    w = torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.25] * 4], dtype=torch.float64)
    torch.testing.assert_close(entropy(w), torch.tensor([0.0, math.log(4)], dtype=torch.float64))


def test_bad_input_names_the_argument_and_shapes():
    q, k, v = _qkv(L=3, S=4)
    with pytest.raises(
        ValueError, match=r"q and k must have the same last dimension.*q \(2, 3, 3, 8\)"
    ):
        scaled_dot_product_attention(q, k[..., :5], v)
    with pytest.raises(
        ValueError, match=r"k and v must have the same number of keys.*v \(2, 3, 3, 6\)"
    ):
        scaled_dot_product_attention(q, k, v[..., :3, :])
    with pytest.raises(ValueError, match="do not broadcast"):
        scaled_dot_product_attention(q, k[:1].expand(3, -1, -1, -1), v)
    with pytest.raises(ValueError, match="empty sequence"):
        scaled_dot_product_attention(q[..., :0, :], k, v)
    with pytest.raises(ValueError, match="empty sequence"):
        scaled_dot_product_attention(q, k[..., :0, :], v[..., :0, :])
    with pytest.raises(TypeError, match=r"q must be a torch\.Tensor, got list"):
        scaled_dot_product_attention([[1.0]], k, v)
    with pytest.raises(TypeError, match="floating-point"):
        scaled_dot_product_attention(q.long(), k, v)
    with pytest.raises(TypeError, match="share a dtype"):
        scaled_dot_product_attention(q.float(), k, v)
    with pytest.raises(TypeError, match=r"mask must be boolean .* got dtype torch.int64"):
        scaled_dot_product_attention(q, k, v, torch.ones(3, 4, dtype=torch.long))
    with pytest.raises(
        ValueError, match=r"mask of shape \(4, 3\) does not broadcast.*\(2, 3, 3, 4\)"
    ):
        scaled_dot_product_attention(q, k, v, torch.ones(4, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match="must not exceed num_keys"):
        causal_mask(5, 3)
    with pytest.raises(ValueError, match="num_queries must be a positive int"):
        causal_mask(0)
    with pytest.raises(ValueError, match=r"num_heads \(3\) must divide the width D \(8\)"):
        split_heads(torch.zeros(1, 2, 8), 3)
    with pytest.raises(ValueError, match=r"num_heads \(3\) must divide embed_dim \(8\)"):
        MultiHeadAttention(8, 3)
    with pytest.raises(ValueError, match=r"key must have shape \(B, T, 8\), got \(1, 2, 4\)"):
        MultiHeadAttention(8, 2)(torch.zeros(1, 2, 8), torch.zeros(1, 2, 4), torch.zeros(1, 2, 8))
    with pytest.raises(ValueError, match="max_len 2 is shorter"):
        padding_mask([3], 2)
    with pytest.raises(TypeError, match="lengths must be a 1-d sequence of ints"):
        padding_mask([1.5])
    with pytest.raises(ValueError, match="query's last dimension must be 3"):
        AdditiveAttention(3, 4, 5)(torch.zeros(1, 1, 4), torch.zeros(1, 2, 4))
    with pytest.raises(ValueError, match="empty sequence"):
        AdditiveAttention(3, 4, 5)(torch.zeros(1, 1, 3), torch.zeros(1, 0, 4))


def test_notebook_exercise_references_agree_with_the_helpers():
    """The numpy reference solutions of notebook 05's exercises equal helpers.attention's."""
    from helpers.exercises import nb05_attention as ref

    q, k, v = _qkv(b=1, h=2, L=3, S=6, seed=4)
    mask = torch.rand(1, 1, 3, 6, generator=torch.Generator().manual_seed(0)) > 0.4
    mask[..., 1, :] = False  # one fully masked row
    n = {name: t.numpy() for name, t in [("q", q), ("k", k), ("v", v), ("mask", mask)]}
    np_scores = ref.attention_scores(n["q"], n["k"])
    torch.testing.assert_close(torch.from_numpy(np_scores), attention_scores(q, k), **TOL)
    torch.testing.assert_close(
        torch.from_numpy(ref.masked_softmax(np_scores, n["mask"])),
        masked_softmax(attention_scores(q, k), mask),
        **TOL,
    )
    out, _ = scaled_dot_product_attention(q[0, 0], k[0, 0], v[0, 0], mask[0, 0])
    np_out = ref.attention(n["q"][0, 0], n["k"][0, 0], n["v"][0, 0], n["mask"][0, 0])
    torch.testing.assert_close(torch.from_numpy(np_out), out, **TOL)
    for L, S in [(1, 1), (3, 3), (2, 7)]:
        assert (ref.causal_mask(L, S) == causal_mask(L, S).numpy()).all()
    x = torch.randn(2, 5, 12, dtype=torch.float64)
    assert (ref.split_heads(x.numpy(), 3) == split_heads(x, 3).numpy()).all()
    torch.manual_seed(0)
    att = AdditiveAttention(3, 4, 5).double()
    with torch.no_grad():
        att.key_proj.bias.zero_()  # the exercise's formula has no bias
        query, keys = torch.randn(3, dtype=torch.float64), torch.randn(6, 4, dtype=torch.float64)
        ours = att.scores(query[None, None], keys[None])[0, 0]
        np_add = ref.additive_scores(
            query.numpy(),
            keys.numpy(),
            att.query_proj.weight.numpy(),
            att.key_proj.weight.numpy(),
            att.w.weight[0].numpy(),
        )
    torch.testing.assert_close(torch.from_numpy(np_add), ours, **TOL)
    r = np.random.default_rng(5)
    for T, D, heads, causal in [(5, 8, 2, True), (4, 12, 3, False), (3, 4, 1, True)]:
        x_np = r.normal(size=(T, D))
        weights = [r.normal(size=(D, D)) / np.sqrt(D) for _ in range(4)]
        layer = MultiHeadAttention(D, heads, bias=False).double()
        with torch.no_grad():
            for proj, W in zip(
                [layer.q_proj, layer.k_proj, layer.v_proj, layer.out_proj], weights
            ):
                proj.weight.copy_(torch.from_numpy(W.T))  # nn.Linear computes x @ weight.T
            x = torch.from_numpy(x_np)[None]
            mha, _ = layer(x, x, x, causal_mask(T) if causal else None)
        np_mha = ref.multi_head_attention(x_np, *weights, heads, causal)
        torch.testing.assert_close(torch.from_numpy(np_mha), mha[0], **TOL)
