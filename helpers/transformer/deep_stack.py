"""Why Transformers have residual connections and normalisation: gradients through a deep stack.

    profile = gradient_profile("residual + pre-norm", n_layer=24)   # (24,) one norm per block

A stack of Transformer blocks (our attention and MLP from helpers.transformer.gpt) wired five ways:
- "plain": x = f(x), each sub-layer feeding the next, as in a plain deep network;
- "post-norm": x = norm(f(x)), normalised but with no skip path;
- "residual": x = x + f(x), a skip path but no normalisation;
- "residual + post-norm": x = norm(x + f(x)), the original Transformer (Vaswani et al., 2017);
- "residual + pre-norm": x = x + f(norm(x)), GPT-2 and nearly every model since.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from helpers.transformer.gpt import GPT, MLP, CausalSelfAttention, GPTConfig, make_norm

VARIANTS = ("plain", "post-norm", "residual", "residual + post-norm", "residual + pre-norm")


class StackBlock(nn.Module):
    """Attention then MLP, each wired as `variant` says (see the module docstring)."""

    def __init__(self, cfg: GPTConfig, variant: str):
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
        self.residual = variant.startswith("residual")
        self.norm_at = "pre" if "pre-norm" in variant else "post" if "post" in variant else None
        self.attn, self.mlp = CausalSelfAttention(cfg), MLP(cfg)
        self.norm1, self.norm2 = make_norm(cfg), make_norm(cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, T, C) -> (B, T, C)."""
        for sublayer, norm in ((lambda h: self.attn(h, None), self.norm1), (self.mlp, self.norm2)):
            y = sublayer(norm(x) if self.norm_at == "pre" else x)
            x = x + y if self.residual else y
            if self.norm_at == "post":
                x = norm(x)
        return x


def gradient_profile(
    variant: str,
    n_layer: int = 24,
    d_model: int = 64,
    seeds: tuple[int, ...] = (0, 1, 2),
    batch: int = 8,
    length: int = 32,
    vocab_size: int = 65,
) -> torch.Tensor:
    """The gradient that reaches each block at initialisation, shape (n_layer,).

    Entry l is the norm of dLoss/dh_l, h_l the output of block l (the input of block l + 1; the
    last is what the final layer reads), for a next-token cross-entropy on random tokens, averaged
    over `seeds`. The weights are
    initialised as our GPT initialises them (normal, std 0.02), so the numbers describe the very
    first training step.
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    if isinstance(n_layer, bool) or not isinstance(n_layer, int) or n_layer < 1:
        raise ValueError(f"n_layer must be a positive int, got {n_layer!r}")
    cfg = GPTConfig(vocab_size=vocab_size, context=length, n_layer=n_layer, d_model=d_model)
    total = torch.zeros(n_layer)
    for seed in seeds:
        torch.manual_seed(seed)
        embed, head = nn.Embedding(vocab_size, d_model), nn.Linear(d_model, vocab_size)
        blocks = nn.ModuleList(StackBlock(cfg, variant) for _ in range(n_layer))
        for module in (embed, head, *blocks.modules()):
            GPT._init_weights(module)
        idx = torch.randint(0, vocab_size, (batch, length))
        targets = torch.randint(0, vocab_size, (batch, length))
        x, outputs = embed(idx), []
        for block in blocks:
            x = block(x)
            x.retain_grad()  # keep the gradient of this intermediate tensor for the profile
            outputs.append(x)
        F.cross_entropy(head(x).flatten(0, 1), targets.flatten()).backward()
        total += torch.stack([h.grad.norm() for h in outputs])
    return total / len(seeds)
