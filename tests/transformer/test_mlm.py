"""Masked language modelling and the encoder (causal=False) configuration of our GPT."""

import pytest
import torch

from helpers.transformer import mlm
from helpers.transformer.gpt import GPT, GPTConfig

V, MASK = 30, 29


def _encoder(attention="sdpa", seed=0):
    torch.manual_seed(seed)
    cfg = GPTConfig.gpt2_style(
        vocab_size=V, context=12, n_layer=2, n_head=2, d_model=16, causal=False, attention=attention
    )
    return GPT(cfg).eval()


def test_encoder_sees_both_sides_and_both_attention_paths_agree():
    enc, ours = _encoder("sdpa"), _encoder("ours")
    ours.load_state_dict(enc.state_dict())
    ids = torch.randint(0, V, (2, 12))
    torch.testing.assert_close(enc(ids)[0], ours(ids)[0], rtol=0, atol=1e-5)
    later = ids.clone()
    later[:, -1] = (later[:, -1] + 1) % V
    with torch.no_grad():
        assert (enc(ids)[0][:, 0] - enc(later)[0][:, 0]).abs().max() > 1e-4  # sees the future
        maps = enc.attention_maps(ids)
    assert (maps[..., 0, 1:] > 0).all()  # the first query attends to every key
    decoder = GPT(GPTConfig(**{**enc.cfg.__dict__, "causal": True})).eval()
    decoder.load_state_dict(enc.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(decoder(ids)[0][:, 0], decoder(later)[0][:, 0])
    with pytest.raises(ValueError, match="encoder"):
        enc.new_cache(1)


def test_mask_tokens_follows_berts_recipe():
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, MASK, (400, 500), generator=g)
    inputs, targets = mlm.mask_tokens(ids, MASK, V, g)
    chosen = targets != -100
    assert targets[chosen].equal(ids[chosen])  # targets are the originals, where chosen
    assert inputs[~chosen].equal(ids[~chosen])  # the rest is untouched
    assert abs(chosen.float().mean() - 0.15) < 0.005
    masked = (inputs == MASK) & chosen
    kept = (inputs == ids) & chosen
    assert abs(masked.sum() / chosen.sum() - 0.8) < 0.01
    # kept: the 10% left alone plus random replacements that drew the same id (1/V of 10%)
    assert abs(kept.sum() / chosen.sum() - (0.1 + 0.1 / V)) < 0.01
    assert not (inputs[~chosen] == MASK).any()


def test_masked_lm_loss_is_cross_entropy_on_masked_positions():
    enc = _encoder()
    x = torch.randint(0, MASK, (3, 12))
    loss = mlm.masked_lm_loss(MASK, V, torch.Generator().manual_seed(5), rate=0.5)(enc, x, x)
    inputs, targets = mlm.mask_tokens(x, MASK, V, torch.Generator().manual_seed(5), rate=0.5)
    logits, _ = enc(inputs)
    chosen = targets != -100
    expected = torch.nn.functional.cross_entropy(logits[chosen], targets[chosen])
    torch.testing.assert_close(loss, expected)


def test_blank_guesses_and_fill_blank_against_a_loop():
    enc = _encoder()
    windows = torch.randint(0, MASK, (20, 9))
    guesses = mlm.blank_guesses(enc, windows, MASK)
    for window, guess in zip(windows.tolist(), guesses.tolist()):
        probs = mlm.fill_blank(enc, window[:4], window[5:], MASK)
        assert probs.shape == (V,) and abs(float(probs.sum()) - 1) < 1e-5
        assert guess == int(probs.argmax())
    decoder = GPT(GPTConfig(**{**enc.cfg.__dict__, "causal": True})).eval()
    guesses = mlm.blank_guesses(decoder, windows)
    for window, guess in zip(windows.tolist(), guesses.tolist()):
        assert guess == int(mlm.next_token_probs(decoder, window[:4]).argmax())


def test_bad_input():
    ids = torch.zeros(2, 3, dtype=torch.long)
    with pytest.raises(ValueError, match="rate"):
        mlm.mask_tokens(ids, MASK, V, torch.Generator(), rate=0)
    with pytest.raises(ValueError, match="mask_id"):
        mlm.mask_tokens(ids, V, V, torch.Generator())
    with pytest.raises(ValueError, match="windows"):
        mlm.blank_guesses(_encoder(), torch.zeros(5, dtype=torch.long))
