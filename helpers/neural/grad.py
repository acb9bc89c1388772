"""Backpropagation by hand: the backward pass of each layer of the NPLM, and a checker against
`torch.autograd`.

Each `*_backward` takes the gradient of the loss with respect to the layer's output (`d_out`) and
returns the gradients with respect to its inputs and parameters: the chain rule, one layer at a
time. Everything works on float64 torch tensors so that comparisons with autograd are exact to
about 1e-12.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from helpers.neural.nplm import NPLM


def linear_backward(
    d_out: torch.Tensor, x: torch.Tensor, weight: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """y = x @ weight.T + bias, with x (B, I), weight (O, I), bias (O,), d_out (B, O).

    Returns (dx (B, I), d_weight (O, I), d_bias (O,)).
    """
    return d_out @ weight, d_out.T @ x, d_out.sum(0)


def tanh_backward(d_out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """y = tanh(x); dy/dx = 1 - y**2, so the gradient needs only the output. Same shape as y."""
    return d_out * (1 - y**2)


def relu_backward(d_out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """y = max(x, 0); the derivative is 1 where x > 0 and 0 elsewhere (0 at x = 0 by convention)."""
    return d_out * (x > 0).to(d_out.dtype)


def softmax_cross_entropy(
    logits: torch.Tensor, targets: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean cross-entropy of logits (B, V) against targets (B,). Returns (loss, probs (B, V))."""
    shifted = logits - logits.max(dim=1, keepdim=True).values
    log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()
    loss = -log_probs[torch.arange(len(targets)), targets].mean()
    return loss, log_probs.exp()


def softmax_cross_entropy_backward(probs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Gradient of the mean cross-entropy w.r.t. the logits: (softmax - one_hot) / B. (B, V)."""
    d_logits = probs.clone()
    d_logits[torch.arange(len(targets)), targets] -= 1
    return d_logits / len(targets)


def embedding_backward(d_emb: torch.Tensor, idx: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """emb = table[idx], idx (B, n), d_emb (B, n, d) -> d_table (V, d).

    A row used k times receives the sum of its k gradients (index_add), not just the last one.
    """
    d_table = torch.zeros(vocab_size, d_emb.shape[-1], dtype=d_emb.dtype)
    return d_table.index_add_(0, idx.reshape(-1), d_emb.reshape(-1, d_emb.shape[-1]))


def manual_gradients(
    model: NPLM, idx: torch.Tensor, targets: torch.Tensor
) -> dict[str, torch.Tensor]:
    """The loss gradients of every NPLM parameter, by hand (dropout off). Keys as named_parameters.

    idx (B, context), targets (B,).
    """
    C = model.embedding.weight
    W1, b1 = model.hidden.weight, model.hidden.bias
    W2, b2 = model.output.weight, model.output.bias
    with torch.no_grad():
        emb = C[idx]  # (B, n, d)
        x = emb.flatten(1)  # (B, n*d)
        h = torch.tanh(x @ W1.T + b1)  # (B, H)
        logits = h @ W2.T + b2  # (B, V)
        _, probs = softmax_cross_entropy(logits, targets)
        d_logits = softmax_cross_entropy_backward(probs, targets)
        d_h, d_W2, d_b2 = linear_backward(d_logits, h, W2)
        d_pre = tanh_backward(d_h, h)
        d_x, d_W1, d_b1 = linear_backward(d_pre, x, W1)
        d_C = embedding_backward(d_x.view_as(emb), idx, C.shape[0])
    return {
        "embedding.weight": d_C,
        "hidden.weight": d_W1,
        "hidden.bias": d_b1,
        "output.weight": d_W2,
        "output.bias": d_b2,
    }


def check_backward(
    forward: Callable[..., torch.Tensor],
    backward: Callable[..., Sequence[torch.Tensor]],
    inputs: Sequence[torch.Tensor],
    seed: int = 0,
) -> list[float]:
    """Largest absolute difference between a manual backward pass and autograd, per input.

    `forward(*inputs)` computes the output with torch operations; `backward(d_out, *inputs)`
    returns one gradient per input. A random upstream gradient d_out (float64) is pushed through
    both. Inputs must be float64 tensors.
    """
    if any(t.dtype != torch.float64 for t in inputs):
        raise TypeError("inputs must be float64 tensors (float32 would hide real errors)")
    leaves = [t.detach().clone().requires_grad_(True) for t in inputs]
    out = forward(*leaves)
    generator = torch.Generator().manual_seed(seed)
    d_out = torch.randn(out.shape, dtype=torch.float64, generator=generator)
    expected = torch.autograd.grad(out, leaves, grad_outputs=d_out)
    got = backward(d_out, *[t.detach() for t in inputs])
    if len(got) != len(expected):
        raise ValueError(f"backward returned {len(got)} gradients, expected {len(expected)}")
    return [float((g - e).abs().max()) for g, e in zip(got, expected, strict=True)]


def check_model_gradients(
    model: NPLM, idx: torch.Tensor, targets: torch.Tensor
) -> dict[str, float]:
    """Largest absolute difference between `manual_gradients` and autograd, per parameter.

    The model should be float64 and in eval mode (dropout off) for an exact comparison.
    """
    model.zero_grad()
    model.loss(idx, targets).backward()
    manual = manual_gradients(model, idx, targets)
    return {
        name: float((manual[name] - p.grad).abs().max()) for name, p in model.named_parameters()
    }
