"""Small GPTs of every position type and attention layout, with random weights, shared by the
tests of the KV cache, generation and degeneration measures."""

from __future__ import annotations

import torch

from helpers.transformer.gpt import GPT, GPTConfig

CONFIGS = {
    "learned": GPTConfig.gpt2_style(
        vocab_size=50, context=24, n_layer=2, n_head=4, d_model=32, tie_weights=False
    ),
    "sinusoidal": GPTConfig.gpt2_style(
        vocab_size=50, context=24, n_layer=2, n_head=4, d_model=32, positions="sinusoidal",
        tie_weights=False,
    ),
    "rope": GPTConfig.llama_style(vocab_size=50, context=24, n_layer=2, n_head=4, d_model=32),
    "rope-gqa": GPTConfig.llama_style(
        vocab_size=50, context=24, n_layer=2, n_head=4, n_kv_head=2, d_model=32
    ),
    "rope-interleaved-mqa": GPTConfig.llama_style(
        vocab_size=50, context=24, n_layer=2, n_head=4, n_kv_head=1, d_model=32,
        rope_pairing="interleaved",
    ),
}  # fmt: skip


def random_model(cfg: GPTConfig, seed: int = 0) -> GPT:
    """Random weights scaled up, so that logits are far from uniform and any mistake shows."""
    torch.manual_seed(seed)
    model = GPT(cfg).eval()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 3.0 / p.shape[-1] ** 0.5)
    return model
