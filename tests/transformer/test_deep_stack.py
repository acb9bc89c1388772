"""The five wirings of a deep stack, its three initialisations, and the gradients and activations
that reach its blocks."""

import pytest
import torch

from helpers.transformer.deep_stack import INITS, VARIANTS, StackBlock, initialise, stack_profile
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
    plain = stack_profile("plain", n_layer=24, seeds=(0,))
    # GPT's std 0.02 without a skip path: the forward signal itself dies, then the gradient.
    assert plain.activations[-1] == 0 and plain.activations[0] < 1e-4
    assert plain.gradients[0] == 0 and (plain.gradients == 0).sum() >= 12  # underflow
    for variant in ("residual", "residual + pre-norm", "residual + post-norm"):
        profile = stack_profile(variant, n_layer=24, seeds=(0,)).gradients
        assert (profile > 0).all(), variant
        assert profile.max() / profile.min() < 10, variant  # within an order of magnitude


def test_the_initialisation_decides_how_a_plain_stack_fails():
    lecun = stack_profile("plain", init="lecun", seeds=(0,)).gradients
    assert (lecun > 0).all() and torch.isfinite(lecun).all()  # nothing underflows
    per_block = lecun[:-1] / lecun[1:]  # what one block multiplies the gradient by, going down
    assert 0.3 < per_block.median() < 0.7  # vanishing, geometrically
    he = stack_profile("plain", init="he", seeds=(0,))
    assert he.activations[-1] > 1e6 and he.gradients.isnan().any()  # exploding, to NaN
    skip = stack_profile("residual + pre-norm", init="he", seeds=(0,)).gradients
    assert torch.isfinite(skip).all() and skip.max() / skip.min() < 30


def test_initialise_draws_the_stds_it_promises():
    torch.manual_seed(0)
    layer = torch.nn.Linear(400, 300)
    for init, std in [("gpt", 0.02), ("lecun", 400**-0.5), ("he", (2 / 400) ** 0.5)]:
        initialise(layer, init)
        assert abs(layer.weight.std().item() / std - 1) < 0.02, init
        assert layer.bias.abs().max() == 0
    assert set(INITS) == {"gpt", "lecun", "he"}


def test_profile_is_the_gradient_of_each_block_output():
    # two blocks: the last entry is the gradient reaching the final layer's input
    profile = stack_profile("residual", n_layer=2, seeds=(3,))
    assert profile.gradients.shape == profile.activations.shape == (2,)
    assert torch.isfinite(profile.gradients).all()
    again = stack_profile("residual", n_layer=2, seeds=(3,))
    assert again.gradients.equal(profile.gradients)  # seeded


def test_bad_input():
    with pytest.raises(ValueError, match="variant"):
        StackBlock(CFG, "resnet")
    with pytest.raises(ValueError, match="variant"):
        stack_profile("pre-norm")
    with pytest.raises(ValueError, match="n_layer"):
        stack_profile("plain", n_layer=0)
    with pytest.raises(ValueError, match="init"):
        stack_profile("plain", init="xavier")
    with pytest.raises(ValueError, match="init"):
        initialise(torch.nn.Linear(2, 2), "zeros")
