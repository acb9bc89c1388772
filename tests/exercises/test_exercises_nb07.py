"""The reference solutions of notebook 07's exercises equal the real things: torch's cross-entropy
and clip_grad_norm_, the GPT trainer's lr_at, random_windows and clip_gradients,
helpers.transformer.flops, and helpers.pretraining.myopic (itself proven against myopic training's
definition), whose definition the myopic-attention reference also meets directly."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers.exercises import nb07_pretraining as ref
from helpers.pretraining.myopic import myopic_attention
from helpers.pretraining.trainer import clip_gradients, lr_at, random_windows
from helpers.transformer.flops import flops_per_token
from helpers.transformer.gpt import CausalSelfAttention, GPTConfig


@pytest.mark.parametrize("seed", range(4))
def test_next_token_loss_is_torchs_shifted_cross_entropy(seed):
    g = torch.Generator().manual_seed(seed)
    B, T, V = 4, 9, 11
    logits = torch.randn(B, T, V, dtype=torch.float64, generator=g) * 3
    tokens = torch.randint(0, V, (B, T), generator=g)
    lengths = torch.tensor([9, 1, 5, 2])  # right padding with -1; row 1 predicts nothing
    tokens[torch.arange(T)[None, :] >= lengths[:, None]] = -1
    theirs = F.cross_entropy(logits[:, :-1].flatten(0, 1), tokens[:, 1:].flatten(), ignore_index=-1)
    ours = ref.next_token_loss(logits.numpy(), tokens.numpy())
    assert ours == pytest.approx(float(theirs), rel=1e-12)
    big = ref.next_token_loss(logits.numpy() + 1e4, tokens.numpy())  # log-sum-exp: no overflow
    assert big == pytest.approx(float(theirs), rel=1e-9)


def test_sample_windows_draws_the_trainers_windows():
    tokens = np.arange(40) * 3  # ids that give their position away
    rng = np.random.default_rng(0)
    x, y = ref.sample_windows(tokens, 5000, 8, rng)
    starts = x[:, 0] // 3
    assert x.shape == y.shape == (5000, 8)
    assert (x == tokens[starts[:, None] + np.arange(8)]).all() and (y[:, :-1] == x[:, 1:]).all()
    replay = np.random.default_rng(0).integers(0, 40 - 8, size=5000)  # the documented call
    assert (starts == replay).all()
    ids = torch.from_numpy(tokens)
    x_t, _ = random_windows(ids, 5000, 8, torch.Generator().manual_seed(0))
    # both draw every start that fits, uniformly, and none that does not
    assert set(starts.tolist()) == set((x_t[:, 0] // 3).tolist()) == set(range(40 - 8))


@pytest.mark.parametrize(
    "total, warmup, lr, min_lr",
    [
        (100, 10, 1e-3, 1e-4),
        (50, 0, 3e-3, 0.0),
        (7, 7, 1e-2, 1e-3),
        (1, 0, 1.0, 0.5),
        (20, 3, 2, 2),
    ],
)
def test_learning_rate_is_the_trainers_lr_at(total, warmup, lr, min_lr):
    for step in range(total + 10):  # past the end too
        want = lr_at(step, total, warmup, lr, min_lr)
        assert ref.learning_rate(step, total, warmup, lr, min_lr) == pytest.approx(want, rel=1e-15)


@pytest.mark.parametrize("max_norm", [1e-6, 0.3, 1.0, 100.0])
@pytest.mark.parametrize("scale", [0.0, 1e-6, 0.05, 1.0])
def test_clip_by_global_norm_is_torchs_clip_grad_norm(max_norm, scale):
    g = torch.Generator().manual_seed(3)
    shapes = [(3, 4), (5,), (2, 3, 2)]
    grads = [torch.randn(s, dtype=torch.float64, generator=g) * scale for s in shapes]
    for clip in (torch.nn.utils.clip_grad_norm_, clip_gradients):
        params = [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in shapes]
        for p, grad in zip(params, grads, strict=True):
            p.grad = grad.clone()
        norm = float(clip(params, max_norm))
        ours, our_norm = ref.clip_by_global_norm([x.numpy() for x in grads], max_norm)
        assert our_norm == pytest.approx(norm, rel=1e-12, abs=0)
        for p, mine in zip(params, ours, strict=True):
            np.testing.assert_allclose(mine, p.grad.numpy(), rtol=1e-12, atol=0)


@pytest.mark.parametrize(
    "L, d, T, V, heads",
    [(1, 8, 4, 10, 1), (4, 128, 64, 77, 4), (6, 384, 256, 65, 6), (12, 768, 1024, 50257, 12)],
)
def test_training_flops_per_token_is_helpers_flops(L, d, T, V, heads):
    cfg = GPTConfig.gpt2_style(n_layer=L, d_model=d, context=T, vocab_size=V, n_head=heads)
    assert ref.training_flops_per_token(L, d, T, V) == flops_per_token(cfg).training


def _inputs(T, C, seed):
    g = torch.Generator().manual_seed(seed)
    h = torch.randn(T, C, dtype=torch.float64, generator=g).requires_grad_()
    weights = [(torch.randn(C, C, dtype=torch.float64, generator=g) / C**0.5).requires_grad_()]
    weights += [(torch.randn(C, C, dtype=torch.float64, generator=g) / C**0.5).requires_grad_()]
    weights += [(torch.randn(C, C, dtype=torch.float64, generator=g) / C**0.5).requires_grad_()]
    R = torch.randn(T, C, dtype=torch.float64, generator=g)
    return h, *weights, R


def _grads(output, R, inputs):
    """The gradients of sum(output * R) with respect to each input (zero where unused)."""
    grads = torch.autograd.grad((output * R).sum(), inputs, allow_unused=True)
    return [torch.zeros_like(x) if g is None else g for x, g in zip(inputs, grads, strict=True)]


def _helpers_myopic(h, W_q, W_k, W_v, R, past):
    """helpers.pretraining.myopic on a one-head, bias-free attention holding W_q, W_k, W_v and an
    identity output projection: its output and the gradients of sum(output * R) with respect to h,
    W_q, W_k, W_v (nn.Linear's weight is our row-vector weights side by side, transposed)."""
    T, C = h.shape
    cfg = GPTConfig.gpt2_style(n_head=1, d_model=C, context=T, bias=False)
    attn = CausalSelfAttention(cfg).double()
    with torch.no_grad():
        attn.qkv.weight.copy_(torch.cat([W_q, W_k, W_v], dim=1).T)
        attn.proj.weight.copy_(torch.eye(C))
    h = h.detach().clone().requires_grad_()
    out = myopic_attention(attn, h[None], None, past)[0]
    (out * R).sum().backward()
    return out, (h.grad, *attn.qkv.weight.grad.T.split(C, dim=1))


@pytest.mark.parametrize("T, C, seed", [(1, 3, 0), (4, 4, 1), (9, 6, 2)])
def test_myopic_attention_equals_helpers_myopic_and_its_definition(T, C, seed):
    h, W_q, W_k, W_v, R = _inputs(T, C, seed)
    inputs = (h, W_q, W_k, W_v)
    ours = ref.myopic_attention(*inputs)
    our_grads = _grads(ours, R, inputs)

    vanilla = F.scaled_dot_product_attention(h @ W_q, h @ W_k, h @ W_v, is_causal=True)
    torch.testing.assert_close(ours, vanilla, rtol=0, atol=1e-12)  # the values: vanilla's
    helper_out, helper_grads = _helpers_myopic(h, W_q, W_k, W_v, R, "recompute")
    torch.testing.assert_close(ours, helper_out, rtol=0, atol=1e-12)
    for mine, theirs in zip(our_grads, helper_grads, strict=True):
        torch.testing.assert_close(mine, theirs, rtol=0, atol=1e-12)

    # the definition: the loss at t alone, every other position's input detached, summed over t
    brute = [torch.zeros_like(x) for x in inputs]
    for t in range(T):
        only_t = (torch.arange(T) == t)[:, None]
        h_t = torch.where(only_t, h, h.detach())
        out = F.scaled_dot_product_attention(h_t @ W_q, h_t @ W_k, h_t @ W_v, is_causal=True)
        for total, grad in zip(brute, _grads(out[t], R[t], inputs), strict=True):
            total += grad
    for mine, theirs in zip(our_grads, brute, strict=True):
        torch.testing.assert_close(mine, theirs, rtol=0, atol=1e-12)

    # the gradient mistakes the checker names: the same values, other gradients; the naive one
    # (past keys and values detached) is helpers.pretraining.myopic's past="detach"
    variants = ref._myopic_variants(*inputs)
    for compute, _, tells in variants:
        wrong = compute()
        if tells == "gradients":
            torch.testing.assert_close(wrong, ours, rtol=0, atol=1e-12)
            differs = [
                not torch.allclose(a, b)
                for a, b in zip(_grads(wrong, R, inputs), our_grads, strict=True)
            ]
            assert any(differs) or T == 1
        else:
            assert not torch.allclose(wrong, ours) or T == 1
    _, naive_helper = _helpers_myopic(h, W_q, W_k, W_v, R, "detach")
    naive_grads = _grads(variants[1][0](), R, inputs)
    for mine, theirs in zip(naive_grads, naive_helper, strict=True):
        torch.testing.assert_close(mine, theirs, rtol=0, atol=1e-12)
    if T > 1:
        assert not torch.allclose(naive_grads[2], our_grads[2])  # W_k learns less
