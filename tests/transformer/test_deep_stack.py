"""The five wirings of a deep stack, and the gradients that reach its blocks."""

import pytest
import torch

from helpers.transformer.deep_stack import VARIANTS, StackBlock, gradient_profile
from helpers.transformer.gpt import Block, GPTConfig

CFG = GPTConfig(vocab_size=20, context=8, n_layer=1, n_head=2, d_model=16)


def _pair(variant):
    torch.manual_seed(0)
    block = StackBlock(CFG, variant)
    for p in block.parameters():  # away from the identity-like init, so wirings differ
        p.data.normal_(0, 0.5)
    return block, torch.randn(2, 8, 16)


def test_pre_norm_residual_is_our_gpt_block():
    stack, x = _pair("residual + pre-norm")
    block = Block(CFG)
    block.load_state_dict(stack.state_dict())
    torch.testing.assert_close(stack(x), block(x, None), rtol=0, atol=1e-6)


def _by_hand(block, x, variant):
    def attn(h):
        return block.attn(h, None)

    n1, n2, mlp = block.norm1, block.norm2, block.mlp
    if variant == "plain":
        return mlp(attn(x))
    if variant == "post-norm":
        return n2(mlp(n1(attn(x))))
    if variant == "residual":
        h = x + attn(x)
        return h + mlp(h)
    if variant == "residual + post-norm":
        h = n1(x + attn(x))
        return n2(h + mlp(h))
    h = x + attn(n1(x))
    return h + mlp(n2(h))


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_wiring(variant):
    block, x = _pair(variant)
    torch.testing.assert_close(block(x), _by_hand(block, x, variant), rtol=0, atol=1e-6)


def test_plain_stack_loses_its_gradient_and_skips_keep_it():
    plain = gradient_profile("plain", n_layer=24, seeds=(0,))
    assert plain[0] == 0 and (plain == 0).sum() >= 12  # underflow, not merely small
    for variant in ("residual", "residual + pre-norm", "residual + post-norm"):
        profile = gradient_profile(variant, n_layer=24, seeds=(0,))
        assert (profile > 0).all(), variant
        assert profile.max() / profile.min() < 10, variant  # within an order of magnitude


def test_profile_is_the_gradient_of_each_block_output():
    # two blocks: the last entry is the gradient reaching the final layer's input
    profile = gradient_profile("residual", n_layer=2, seeds=(3,))
    assert profile.shape == (2,) and torch.isfinite(profile).all()
    assert gradient_profile("residual", n_layer=2, seeds=(3,)).equal(profile)  # seeded


def test_bad_input():
    with pytest.raises(ValueError, match="variant"):
        StackBlock(CFG, "resnet")
    with pytest.raises(ValueError, match="variant"):
        gradient_profile("pre-norm")
    with pytest.raises(ValueError, match="n_layer"):
        gradient_profile("plain", n_layer=0)
