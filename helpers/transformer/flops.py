"""How much arithmetic a GPT does per token: the 6N rule and the attention term.

    count = flops_per_token(cfg)            # FlopCount for the model's full context
    count.training                          # FLOPs to train on one token (forward + backward)

A forward pass costs 2 FLOPs (a multiply and an add) per weight that multiplies the token's
activations (Kaplan et al., 2020, table 1), plus attention: for a token that attends over T
positions, its T scores q.k and the weighted sum of T values cost 2 * T * d_model FLOPs each, per
layer, so 4 * n_layer * T * d_model (as Hoffmann et al. 2022, appendix F, and nanoGPT's MFU
estimate count it; Kaplan's table lists only the scores). The backward pass costs about twice
the forward, so training costs 3x the forward: 6N per token plus 12 * n_layer * T * d_model.
The unembedding (the d_model x vocab matrix that makes the logits) is counted, as Hoffmann et al.
do: at small sizes it is a large part. Embedding lookups, norms, softmaxes and bias additions are
not matrix products and are left out (a few per cent at most).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from helpers.transformer.gpt import GPT, GPTConfig


@dataclass(frozen=True)
class FlopCount:
    """FLOPs per token. `matmul_params`: the weights a token's activations are multiplied by
    (the weight matrices of attention and MLP, and the unembedding)."""

    matmul_params: int
    forward_matmul: int  # 2 * matmul_params
    forward_attention: int  # 4 * n_layer * context * d_model: scores and weighted values
    context: int

    @property
    def forward(self) -> int:
        return self.forward_matmul + self.forward_attention

    @property
    def training(self) -> int:
        """Forward + backward, about 3 x forward: 6 N + 12 n_layer T d_model."""
        return 3 * self.forward


def matmul_parameters(cfg: GPTConfig) -> int:
    """The weight matrices of every block's attention and MLP, plus the unembedding (counted even
    when it is tied to the embedding: the product is done either way)."""
    with torch.device("meta"):  # count without allocating: works for billion-parameter configs
        model = GPT(cfg)
    return sum(m.weight.numel() for m in model.modules() if isinstance(m, nn.Linear))


def flops_per_token(cfg: GPTConfig, context: int | None = None) -> FlopCount:
    """The FLOPs of one token attending over `context` positions (default: the model's context).

    Attention is counted as if every position saw all `context` positions (Kaplan et al.'s
    convention); with a causal mask a position sees on average about half of them, but the usual
    kernels compute the masked scores anyway.
    """
    if not isinstance(cfg, GPTConfig):
        raise TypeError(f"cfg must be a GPTConfig, got {type(cfg).__name__}")
    context = cfg.context if context is None else context
    if isinstance(context, bool) or not isinstance(context, int) or context < 1:
        raise ValueError(f"context must be a positive int, got {context!r}")
    n = matmul_parameters(cfg)
    attention = 4 * cfg.n_layer * context * cfg.d_model
    return FlopCount(n, 2 * n, attention, context)
