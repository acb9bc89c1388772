"""Test-only reference: myopic training by its definition, one backward pass per position.

Pass t runs the model's own blocks as usual, except that at every attention layer the inputs of
all positions other than t are detached; only the loss at t is used. Summing the gradients of the
T passes gives the myopic gradient (Wu, Morris & Levine 2024), which helpers.pretraining.myopic
computes in one pass. Not part of the package; do not import it elsewhere.
"""

from __future__ import annotations

import torch


def stream_for_position(
    blocks, x: torch.Tensor, angles: torch.Tensor | None, t: int
) -> torch.Tensor:
    """The residual stream (B, T, C) after `blocks` (helpers.transformer.gpt.Block), from
    x (B, T, C), with every position but t detached at the input of each attention layer."""
    only_t = (torch.arange(x.shape[1]) == t)[None, :, None]
    for block in blocks:
        a = block.norm1(x)
        a = torch.where(only_t, a, a.detach())
        x = x + block.attn(a, angles)
        x = x + block.mlp(block.norm2(x))
    return x


def grads(model: torch.nn.Module, loss: torch.Tensor) -> dict[str, torch.Tensor]:
    """Every parameter's gradient of `loss`, by name."""
    model.zero_grad(set_to_none=True)
    loss.backward()
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


def summed_grads(model: torch.nn.Module, loss_at, T: int) -> dict[str, torch.Tensor]:
    """The sum over t < T of the gradients of loss_at(t) (a scalar built with
    stream_for_position)."""
    total: dict[str, torch.Tensor] = {}
    for t in range(T):
        for name, g in grads(model, loss_at(t)).items():
            total[name] = total.get(name, 0) + g
    return total
