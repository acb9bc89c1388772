"""Why Transformers have residual connections and normalisation: signals through a deep stack.

    profile = stack_profile("residual + pre-norm", n_layer=24)   # at GPT's initialisation
    profile.gradients, profile.activations                       # (24,) each, one per block

A stack of Transformer blocks (our attention and MLP from helpers.transformer.gpt) wired five ways:
- "plain": x = f(x), each sub-layer feeding the next, as in a plain deep network;
- "post-norm": x = norm(f(x)), normalised but with no skip path;
- "residual": x = x + f(x), a skip path but no normalisation;
- "residual + post-norm": x = norm(x + f(x)), the original Transformer (Vaswani et al., 2017);
- "residual + pre-norm": x = x + f(norm(x)), GPT-2 and nearly every model since.

and initialised three ways (`init`):
- "gpt": every weight normal with std 0.02, as GPT._init_weights does (the GPT itself also
  scales the residual projections by 1/sqrt(2 n_layer), which this module leaves out). Meant for
  residual networks: each block adds a small update to an identity path. Without that path, a
  linear layer of width 64 with std 0.02 scales a signal by about 0.02 sqrt(64) = 0.16, and a
  block by about 1e-3, so the forward signal itself dies within a few blocks;
- "lecun": std 1/sqrt(fan_in), which keeps a linear layer's output as large as its input
  (LeCun et al., 1998): the variance-preserving choice;
- "he": std sqrt(2/fan_in) (He et al., 2015), which preserves the variance through a ReLU that
  halves it; with no ReLU to halve it, every layer doubles it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from helpers.transformer.gpt import MLP, CausalSelfAttention, GPTConfig, make_norm

VARIANTS = ("plain", "post-norm", "residual", "residual + post-norm", "residual + pre-norm")
INITS = ("gpt", "lecun", "he")


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


@dataclass(frozen=True)
class StackProfile:
    """What reaches each block of a stack at initialisation, averaged over seeds.

    gradients: (n_layer,) the norm of dLoss/dh_l, h_l the output of block l (the input of block
    l + 1; the last is what the final layer reads); exactly 0 where it underflowed, nan where the
    signal overflowed. activations: (n_layer,) the root-mean-square of h_l."""

    gradients: torch.Tensor
    activations: torch.Tensor


def initialise(module: nn.Module, init: str) -> None:
    """Draw the weights of every linear layer and embedding in `module` as `init` says (see the
    module docstring); biases 0. Norms keep their gain 1 and shift 0."""
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    for m in module.modules():
        if isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.Linear):
            fan_in = m.weight.shape[1]
            std = {"gpt": 0.02, "lecun": 1 / math.sqrt(fan_in), "he": math.sqrt(2 / fan_in)}
            nn.init.normal_(m.weight, 0.0, std[init])
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def stack_profile(
    variant: str,
    n_layer: int = 24,
    init: str = "gpt",
    d_model: int = 64,
    seeds: tuple[int, ...] = (0, 1, 2),
    batch: int = 8,
    length: int = 32,
    vocab_size: int = 65,
) -> StackProfile:
    """The gradient and the activation that reach each block at initialisation, for a next-token
    cross-entropy on random tokens, averaged over `seeds`: what the very first training step
    sees. Embeddings are drawn with std 0.02 under every `init`."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    if isinstance(n_layer, bool) or not isinstance(n_layer, int) or n_layer < 1:
        raise ValueError(f"n_layer must be a positive int, got {n_layer!r}")
    cfg = GPTConfig(vocab_size=vocab_size, context=length, n_layer=n_layer, d_model=d_model)
    gradients, activations = torch.zeros(n_layer), torch.zeros(n_layer)
    for seed in seeds:
        torch.manual_seed(seed)
        embed, head = nn.Embedding(vocab_size, d_model), nn.Linear(d_model, vocab_size)
        blocks = nn.ModuleList(StackBlock(cfg, variant) for _ in range(n_layer))
        for module in (embed, head, blocks):
            initialise(module, init)
        idx = torch.randint(0, vocab_size, (batch, length))
        targets = torch.randint(0, vocab_size, (batch, length))
        x, outputs = embed(idx), []
        for block in blocks:
            x = block(x)
            x.retain_grad()  # keep the gradient of this intermediate tensor for the profile
            outputs.append(x)
        F.cross_entropy(head(x).flatten(0, 1), targets.flatten()).backward()
        gradients += torch.stack([h.grad.norm() for h in outputs])
        activations += torch.stack([h.detach().square().mean().sqrt() for h in outputs])
    return StackProfile(gradients / len(seeds), activations / len(seeds))
