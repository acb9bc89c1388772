"""Myopic training: cut every gradient path from the loss at position t into the computation of
earlier positions (Wu, Morris & Levine 2024, "Do Language Models Plan Ahead for Future Tokens?").

    loss = myopic_loss(model, x, y)        # x, y: (B, T) token ids; a drop-in loss_fn
    loss.backward()                         # the gradients of myopic training

A vanilla Transformer is trained on the sum of the losses at every position, and the loss at t
reaches back through attention into the keys and values of positions s < t, and from there into
everything that computed them. So the weights are tuned to make position s compute features that
help *later* predictions ("pre-caching"). Myopic training keeps the forward pass exactly as it is
and removes those gradient paths: each position is trained only for its own prediction. Whatever
a myopic model computes that is useful later is there by accident ("breadcrumbs").

How, in each attention layer with normed input h (B, T, C):
- the keys and values of positions s < t are recomputed from h.detach() with the *live* weights:
  W_K and W_V still learn how to read the past, but nothing flows into the past's computation;
- the diagonal (position t attending to itself) uses the live h_t, as it is position t's own
  computation.
This equals summing T separate backward passes, pass t using only the loss at t with every other
position's attention inputs detached (proven in tests/pretraining/test_myopic.py).

Merely detaching K and V of the other positions (`past="detach"`) is *not* the same: W_K and W_V
then get no gradient through the past keys and values at all, only through the diagonal.

The module walks the model's own submodules (qkv, proj, norms, MLPs), so the weights are the
model's and the forward values equal `model(idx)`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from helpers.transformer.gpt import GPT, Block, CausalSelfAttention, apply_rope

Past = Literal["recompute", "detach"]
PASTS = ("recompute", "detach")


def _check_past(past: object) -> None:
    if past not in PASTS:
        raise ValueError(
            f"past must be 'recompute' (myopic: past keys/values from detached inputs, live "
            f"weights) or 'detach' (the naive variant: past keys/values detached), got {past!r}"
        )


def myopic_attention(
    attn: CausalSelfAttention, h: torch.Tensor, angles: torch.Tensor | None, past: Past
) -> torch.Tensor:
    """Causal self-attention of `attn` on its normed input h (B, T, C) -> (B, T, C), with the
    same values as `attn(h, angles)` and myopic gradients (see the module docstring).

    past="recompute": keys/values of other positions computed from h.detach() with live weights
    (myopic training); past="detach": the keys/values themselves detached (W_K, W_V lose their
    gradient through the past; shown for contrast).
    """
    _check_past(past)
    cfg, (B, T, C) = attn.cfg, h.shape
    kv_dim = cfg.kv_heads * cfg.head_dim
    q, k, v = attn.qkv(h).split([C, kv_dim, kv_dim], dim=-1)
    if past == "recompute":  # only the key/value rows of the weight: the queries are not needed
        bias = None if attn.qkv.bias is None else attn.qkv.bias[C:]
        k_past, v_past = F.linear(h.detach(), attn.qkv.weight[C:], bias).split(kv_dim, dim=-1)
    else:
        k_past, v_past = k.detach(), v.detach()

    def heads(z: torch.Tensor, n: int) -> torch.Tensor:  # (B, T, n * hd) -> (B, n, T, hd)
        return z.view(B, T, n, cfg.head_dim).transpose(1, 2)

    q = heads(q, cfg.n_head)
    k, v, k_past, v_past = (heads(z, cfg.kv_heads) for z in (k, v, k_past, v_past))
    if angles is not None:
        q, k, k_past = (apply_rope(z, angles, cfg.rope_pairing) for z in (q, k, k_past))
    group = cfg.n_head // cfg.kv_heads
    k, v, k_past, v_past = (z.repeat_interleave(group, dim=1) for z in (k, v, k_past, v_past))

    # Query t attends over 2T keys: the detached-input past (s < t) and its own live key (s = t).
    # The softmax runs over both at once, so the weights are the vanilla ones.
    past_keys = torch.ones(T, T, dtype=torch.bool, device=h.device).tril(-1)
    own_key = torch.eye(T, dtype=torch.bool, device=h.device)
    y = F.scaled_dot_product_attention(
        q,
        torch.cat([k_past, k], dim=2),
        torch.cat([v_past, v], dim=2),
        attn_mask=torch.cat([past_keys, own_key], dim=1),  # (T, 2T), True = attend
        dropout_p=cfg.dropout if attn.training else 0.0,
    )
    y = y.transpose(1, 2).reshape(B, T, C)
    return attn.dropout(attn.proj(y))


def myopic_blocks(
    blocks: Iterable[Block], x: torch.Tensor, angles: torch.Tensor | None, past: Past
) -> torch.Tensor:
    """Run pre-norm Transformer blocks (helpers.transformer.gpt.Block) on the residual stream
    x (B, T, C) with myopic attention; return the stream after the last block, (B, T, C). Norms
    and MLPs act on each position alone, so attention is the only place where positions meet."""
    for block in blocks:
        x = x + myopic_attention(block.attn, block.norm1(x), angles, past)
        x = x + block.mlp(block.norm2(x))
    return x


def gpt_logits(model: GPT, idx: torch.Tensor, past: Past = "recompute") -> torch.Tensor:
    """Logits (B, T, vocab) of our GPT for token ids idx (B, T): the values of `model(idx)[0]`,
    the gradients of myopic training (past="recompute") or of the naive variant ("detach")."""
    if not isinstance(model, GPT):
        raise TypeError(f"model must be a helpers.transformer.gpt.GPT, got {type(model).__name__}")
    _check_past(past)
    idx = model._check_ids(idx)
    x, angles = model.embed(idx)
    x = myopic_blocks(model.blocks, x, angles, past)
    return model.head(model.norm(x))


def _loss(model: GPT, x: torch.Tensor, y: torch.Tensor, past: Past) -> torch.Tensor:
    logits = gpt_logits(model, x, past)
    model._check_targets(y, x)
    return F.cross_entropy(logits.flatten(0, 1), y.flatten(), ignore_index=-100)


def myopic_loss(model: GPT, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of our GPT on ids x (B, T) against targets y (B, T) (-100 ignored):
    the value of `model(x, y)[1]`, with the gradients of myopic training. Usable as the GPT
    trainer's `loss_fn(model, x, y)`."""
    return _loss(model, x, y, "recompute")


def detached_kv_loss(model: GPT, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Like myopic_loss, but the naive variant: past keys and values simply detached, so W_K
    and W_V learn only from each position attending to itself. Not myopic training."""
    return _loss(model, x, y, "detach")


@torch.no_grad()
def loss_by_position(
    model: nn.Module, tokens: torch.Tensor, context: int, batch_size: int = 64
) -> torch.Tensor:
    """Mean cross-entropy (nats) at each position of a window, shape (context,), over the
    non-overlapping windows tokens[i*context : (i+1)*context + 1] of a 1-d id tensor (N,) (the
    last partial window is dropped). Position 0 predicts from one token, position context-1
    from the whole window. `model(x)` must return (logits, ...) as helpers.transformer.gpt.GPT
    does."""
    if not isinstance(tokens, torch.Tensor) or tokens.ndim != 1 or tokens.is_floating_point():
        raise TypeError(f"tokens must be a 1-d tensor of ids, got {tokens!r:.60}")
    if isinstance(context, bool) or not isinstance(context, int) or context < 1:
        raise ValueError(f"context must be a positive int, got {context!r}")
    windows = (len(tokens) - 1) // context
    if windows < 1:
        raise ValueError(f"tokens must hold more than context={context} ids, got {len(tokens)}")
    x = tokens[: windows * context].view(windows, context)
    y = tokens[1 : windows * context + 1].view(windows, context)
    was_training = model.training
    model.eval()
    total = torch.zeros(context, dtype=torch.float64)
    for start in range(0, windows, batch_size):
        xb, yb = x[start : start + batch_size], y[start : start + batch_size]
        logits = model(xb)[0]
        nll = F.cross_entropy(logits.transpose(1, 2), yb, reduction="none")  # (b, T)
        total += nll.sum(0).double()
    model.train(was_training)
    return total / windows
