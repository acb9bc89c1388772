"""Myopic training proven against its definition: T separate backward passes, pass t using only
the loss at t with every other position's attention inputs detached. The naive variant (detach
past keys and values) is shown to differ, and the forward pass to be the vanilla model's."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from myopic_reference import grads, stream_for_position, summed_grads

from helpers.pretraining.myopic import (
    detached_kv_loss,
    gpt_logits,
    loss_by_position,
    myopic_attention,
    myopic_loss,
)
from helpers.transformer.gpt import GPT, GPTConfig

CONFIGS = {
    "gpt2": GPTConfig.gpt2_style(vocab_size=23, context=9, n_layer=3, n_head=2, d_model=8),
    "llama-gqa": GPTConfig.llama_style(
        vocab_size=23, context=9, n_layer=2, n_head=4, n_kv_head=2, d_model=16, d_mlp=24
    ),
    "sinusoidal-untied": GPTConfig.gpt2_style(
        vocab_size=23, context=9, n_layer=2, n_head=2, d_model=8, positions="sinusoidal",
        tie_weights=False,
    ),
}  # fmt: skip


def _model(name: str, seed: int = 0) -> GPT:
    torch.manual_seed(seed)
    model = GPT(CONFIGS[name]).double()
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():  # larger than GPT-2's init, so attention is far from uniform
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=g, dtype=p.dtype) * 0.5)
    return model


def _batch(vocab: int, B: int = 3, T: int = 9, seed: int = 2):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, vocab, (B, T + 1), generator=g)
    return ids[:, :-1], ids[:, 1:]


def _brute_force_loss_at(model: GPT, x: torch.Tensor, y: torch.Tensor, t: int) -> torch.Tensor:
    """The loss at position t alone (scaled as in the mean over (B, T)), every other position
    detached at each attention input: the model's own modules, not helpers.pretraining.myopic."""
    B, T = x.shape
    h = model.tok_emb(x)
    if model.pos_emb is not None:
        h = h + model.pos_emb(torch.arange(T))
    if model.cfg.positions == "sinusoidal":
        h = h + model.sinusoids[:T]
    angles = model.rope[:T] if model.cfg.positions == "rope" else None
    logits = model.head(model.norm(stream_for_position(model.blocks, h, angles, t)))
    return F.cross_entropy(logits[:, t], y[:, t], reduction="sum") / (B * T)


def _brute_force_grads(model: GPT, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
    return summed_grads(model, lambda t: _brute_force_loss_at(model, x, y, t), x.shape[1])


@pytest.mark.parametrize("name", list(CONFIGS))
def test_myopic_gradients_equal_the_brute_force_definition(name):
    model = _model(name)
    x, y = _batch(model.cfg.vocab_size)
    expected = _brute_force_grads(model, x, y)
    got = grads(model, myopic_loss(model, x, y))
    vanilla = grads(model, model(x, y)[1])
    assert got.keys() == expected.keys()
    for n in expected:
        torch.testing.assert_close(got[n], expected[n], rtol=0, atol=1e-10, msg=n)
    # Not trivially so: myopia changes the gradient of every attention and MLP weight below the
    # top layer's MLP (which only its own position's loss ever reaches).
    changed = [n for n in expected if (vanilla[n] - expected[n]).abs().max() > 1e-3]
    assert any(".attn.qkv" in n for n in changed) and any("tok_emb" in n for n in changed)
    assert "blocks.0.mlp.fc.weight" in changed
    top = f"blocks.{model.cfg.n_layer - 1}.mlp."
    assert not any(n.startswith(top) for n in changed)


def test_brute_force_pass_at_t0_is_the_vanilla_gradient_of_the_loss_at_t0():
    """A sanity check of the reference itself: at t = 0 there is no past, so pass 0 is the
    vanilla gradient of the loss at position 0."""
    model = _model("gpt2")
    x, y = _batch(model.cfg.vocab_size)
    logits, _ = model(x)
    vanilla0 = F.cross_entropy(logits[:, 0], y[:, 0], reduction="sum") / y.numel()
    expected = grads(model, vanilla0)
    got = grads(model, _brute_force_loss_at(model, x, y, 0))
    for n in expected:
        torch.testing.assert_close(got[n], expected[n], rtol=0, atol=1e-12, msg=n)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_forward_values_equal_the_vanilla_model(name):
    model = _model(name).float()
    x, y = _batch(model.cfg.vocab_size)
    logits, loss = model(x, y)
    for past in ("recompute", "detach"):
        torch.testing.assert_close(gpt_logits(model, x, past), logits, rtol=0, atol=1e-5)
    torch.testing.assert_close(myopic_loss(model, x, y), loss, rtol=0, atol=1e-6)
    torch.testing.assert_close(detached_kv_loss(model, x, y), loss, rtol=0, atol=1e-6)


def test_naively_detaching_past_keys_and_values_differs_in_w_k_and_w_v():
    model = _model("gpt2")
    x, y = _batch(model.cfg.vocab_size)
    myopic = grads(model, myopic_loss(model, x, y))
    naive = grads(model, detached_kv_loss(model, x, y))
    C = model.cfg.d_model
    for layer in range(model.cfg.n_layer):
        w = f"blocks.{layer}.attn.qkv.weight"
        # rows [0, C) are W_Q, [C, 3C) are W_K and W_V
        torch.testing.assert_close(naive[w][:C], myopic[w][:C], rtol=0, atol=1e-10)
        assert (naive[w][C:] - myopic[w][C:]).abs().max() > 1e-2
    # Everything else is the same: only W_K and W_V (and their biases) read the past.
    for n in myopic:
        if ".attn.qkv." not in n:
            torch.testing.assert_close(naive[n], myopic[n], rtol=0, atol=1e-10, msg=n)


def test_myopic_attention_in_eval_mode_ignores_dropout():
    cfg = GPTConfig.gpt2_style(
        vocab_size=11, context=6, n_layer=1, n_head=2, d_model=8, dropout=0.5
    )
    model = GPT(cfg).eval()
    h = torch.randn(2, 6, 8)
    out = myopic_attention(model.blocks[0].attn, h, None, "recompute")
    torch.testing.assert_close(out, model.blocks[0].attn(h, None), rtol=0, atol=1e-6)


def test_loss_by_position_averages_to_the_whole_split_loss():
    model = _model("gpt2").float()
    tokens = torch.randint(0, 23, (9 * 7 + 4,), generator=torch.Generator().manual_seed(5))
    per_position = loss_by_position(model, tokens, context=9, batch_size=2)
    assert per_position.shape == (9,)
    x = tokens[: 9 * 7].view(7, 9)
    y = tokens[1 : 9 * 7 + 1].view(7, 9)
    logits, loss = model(x, y)
    torch.testing.assert_close(per_position.mean().float(), loss, rtol=0, atol=1e-6)
    at_3 = F.cross_entropy(logits[:, 3], y[:, 3])
    torch.testing.assert_close(per_position[3].float(), at_3, rtol=0, atol=1e-6)


def test_bad_input():
    model = _model("gpt2")
    x, y = _batch(model.cfg.vocab_size)
    with pytest.raises(ValueError, match="past must be"):
        gpt_logits(model, x, "future")
    with pytest.raises(TypeError, match="model must be"):
        myopic_loss(torch.nn.Linear(2, 2), x, y)
    with pytest.raises(ValueError, match="context"):
        myopic_loss(
            model, torch.zeros(1, 10, dtype=torch.long), torch.zeros(1, 10, dtype=torch.long)
        )
    with pytest.raises(ValueError, match="targets"):
        myopic_loss(model, x, y[:, :-1])
    with pytest.raises(TypeError, match="tokens"):
        loss_by_position(model, torch.zeros(3, 3), context=2)
    with pytest.raises(ValueError, match="more than context"):
        loss_by_position(model, torch.zeros(5, dtype=torch.long), context=9)
