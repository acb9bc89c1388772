"""FLOPs per token: our formula against PyTorch's own FLOP counter on a real forward pass."""

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from helpers.transformer.flops import flops_per_token, matmul_parameters
from helpers.transformer.gpt import GPT, GPTConfig


@pytest.mark.parametrize(
    "cfg",
    [
        GPTConfig.gpt2_style(vocab_size=50, context=16, n_layer=2, n_head=2, d_model=32),
        GPTConfig.llama_style(
            vocab_size=70, context=12, n_layer=3, n_head=4, n_kv_head=2, d_model=32, d_mlp=48
        ),
        GPTConfig.gpt2_style(vocab_size=30, context=8, n_layer=1, d_model=16, tie_weights=False),
    ],
)
def test_forward_flops_equal_torchs_count(cfg):
    cfg = GPTConfig(**{**cfg.__dict__, "attention": "ours"})  # scores and values as matmuls
    model = GPT(cfg).eval()
    B, T = 3, cfg.context
    idx = torch.randint(0, cfg.vocab_size, (B, T))
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(idx)
    count = flops_per_token(cfg)
    # our attention computes every T x T score (the mask is applied after): the full-context count
    assert counter.get_total_flops() == B * T * count.forward


def test_gpt2_small_numbers():
    cfg = GPTConfig.gpt2_style(vocab_size=50257, context=1024, n_layer=12, n_head=12, d_model=768)
    blocks = 12 * (4 * 768 * 768 + 2 * 4 * 768 * 768)  # Wqkv + Wo, and the MLP's two matrices
    assert matmul_parameters(cfg) == blocks + 768 * 50257
    count = flops_per_token(cfg)
    assert count.forward_attention == 4 * 12 * 1024 * 768
    assert count.training == 3 * (2 * (blocks + 768 * 50257) + 4 * 12 * 1024 * 768)
    assert flops_per_token(cfg, context=10).forward_attention == 4 * 12 * 10 * 768


def test_bad_input():
    with pytest.raises(TypeError, match="cfg"):
        flops_per_token({"n_layer": 2})
    with pytest.raises(ValueError, match="context"):
        flops_per_token(GPTConfig(), context=0)
