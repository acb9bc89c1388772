"""The KV cache: a forward over new tokens after a cache gives the logits the full forward gives
(every position type, GQA, both attention paths, chunks of any size), greedy decoding with it
equals Hugging Face's cached generate, its memory is the formula's, and bad input is refused."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest
import torch

from helpers.transformer.gpt import GPT, GPTConfig, apply_rope
from helpers.transformer.gpt_weights import (
    config_from_gpt2,
    config_from_llama,
    state_from_gpt2,
    state_from_llama,
)
from helpers.transformer.kv_cache import LLAMA_3_70B, KVCache, kv_bytes_per_token, measure_decoding

from random_gpts import CONFIGS, random_model

os.environ.setdefault("HF_HUB_OFFLINE", "1")

def _ids(cfg: GPTConfig, shape: tuple[int, int], seed: int = 1) -> torch.Tensor:
    return torch.randint(0, cfg.vocab_size, shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("attention", ["sdpa", "ours"])
@pytest.mark.parametrize("name", list(CONFIGS))
def test_cached_forward_in_chunks_equals_the_full_forward(name, attention):
    cfg = replace(CONFIGS[name], attention=attention)
    model = random_model(cfg)
    idx = _ids(cfg, (3, cfg.context))
    full, _ = model(idx)
    assert full.std() > 1.0  # far from uniform
    for chunks in ([cfg.context], [5, 1, 1, 7, 10], [1] * cfg.context):
        cache = model.new_cache(3)
        pieces, start = [], 0
        for size in chunks:
            logits, _ = model(idx[:, start : start + size], cache=cache)
            pieces.append(logits)
            start += size
        assert cache.length == cfg.context
        torch.testing.assert_close(torch.cat(pieces, dim=1), full, rtol=0, atol=1e-5)
        # the last position alone, as generation asks for it
        last, _ = model(idx[:, -1:], cache=cache_at(model, idx, cfg.context - 1), only_last=True)
        torch.testing.assert_close(last, full[:, -1:], rtol=0, atol=1e-5)


def cache_at(model: GPT, idx: torch.Tensor, length: int) -> KVCache:
    """A cache holding idx[:, :length]."""
    cache = model.new_cache(idx.shape[0])
    model(idx[:, :length], cache=cache)
    return cache


def test_cached_forward_equals_the_full_forward_in_float64():
    cfg = CONFIGS["rope-gqa"]
    model = random_model(cfg).double()
    idx = _ids(cfg, (2, 20))
    full, _ = model(idx)
    cache = model.new_cache(2, 20)
    steps = [model(idx[:, :9], cache=cache)[0]] + [
        model(idx[:, t : t + 1], cache=cache)[0] for t in range(9, 20)
    ]
    assert cache.keys.dtype == torch.float64
    torch.testing.assert_close(torch.cat(steps, dim=1), full, rtol=0, atol=1e-12)


def test_a_wrong_position_offset_would_be_caught():
    """The equality above is no accident: the same step read as position 0 differs."""
    for name in ("learned", "sinusoidal", "rope"):
        model = random_model(CONFIGS[name])
        idx = _ids(model.cfg, (1, 6))
        full, _ = model(idx)
        alone, _ = model(idx[:, -1:], cache=model.new_cache(1))  # position 0, no past
        assert (alone[0, 0] - full[0, -1]).abs().max() > 0.1, name


def test_the_cache_stores_kv_heads_rotated_keys_and_can_be_cropped():
    cfg = CONFIGS["rope-gqa"]
    model = random_model(cfg)
    idx = _ids(cfg, (2, 10))
    cache = cache_at(model, idx, 10)
    assert cache.keys.shape == (cfg.n_layer, 2, cfg.kv_heads, cfg.context, cfg.head_dim)
    # layer 0's keys are Wk x, rotated by RoPE at their positions
    x = model.blocks[0].norm1(model.tok_emb(idx))
    k = model.blocks[0].attn.qkv(x)[..., cfg.d_model : cfg.d_model + cfg.kv_heads * cfg.head_dim]
    k = k.view(2, 10, cfg.kv_heads, cfg.head_dim).transpose(1, 2)
    expected = apply_rope(k, model.rope[:10], cfg.rope_pairing)
    torch.testing.assert_close(cache.keys[0, :, :, :10], expected, rtol=0, atol=1e-6)
    # crop to a prefix, then read another continuation of it
    other = torch.cat([idx[:, :4], _ids(cfg, (2, 6), seed=7)], dim=1)
    cache.crop(4)
    logits, _ = model(other[:, 4:], cache=cache)
    torch.testing.assert_close(logits, model(other)[0][:, 4:], rtol=0, atol=1e-5)


@pytest.mark.parametrize("family", ["gpt2", "llama-gqa"])
def test_cached_greedy_decoding_equals_huggingface_generate(family):
    transformers = pytest.importorskip("transformers")
    if family == "gpt2":
        hf_cfg = transformers.GPT2Config(
            vocab_size=61, n_positions=40, n_embd=32, n_layer=2, n_head=4,
            resid_pdrop=0, embd_pdrop=0, attn_pdrop=0, bos_token_id=None, eos_token_id=None,
        )  # fmt: skip
        theirs = transformers.GPT2LMHeadModel(hf_cfg).eval()
        cfg, translate = config_from_gpt2(hf_cfg), state_from_gpt2
    else:
        hf_cfg = transformers.LlamaConfig(
            vocab_size=61, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=40,
            rope_theta=500.0, tie_word_embeddings=False,
        )  # fmt: skip
        theirs = transformers.LlamaForCausalLM(hf_cfg).eval()
        cfg, translate = config_from_llama(hf_cfg), state_from_llama
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 2.0 / p.shape[-1] ** 0.5)
    ours = GPT(cfg).eval()
    ours.load_state_dict(translate(theirs.state_dict(), cfg))
    prompt = _ids(cfg, (2, 5))
    expected = theirs.generate(
        prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=30, do_sample=False,
        use_cache=True, pad_token_id=0, eos_token_id=None,
    )  # fmt: skip
    cache = ours.new_cache(2, 5 + 30 - 1)
    seq, new = prompt, prompt
    for _ in range(30):
        logits, _ = ours(new, cache=cache, only_last=True)
        new = logits[:, -1].argmax(-1, keepdim=True)
        seq = torch.cat([seq, new], dim=1)
    assert all(len(set(row[5:].tolist())) > 3 for row in seq)  # not one token repeated
    assert torch.equal(seq, expected)


def test_memory_per_token_is_the_formula():
    cfg = CONFIGS["rope-gqa"]
    model = random_model(cfg)
    cache = model.new_cache(3, 10)
    measured = (cache.keys.nbytes + cache.values.nbytes) / (3 * 10)
    assert measured == kv_bytes_per_token(cfg.n_layer, cfg.kv_heads, cfg.head_dim, 4) == 256
    # SmolLM2-135M (30 layers, 3 key/value heads of 64 dims), and Llama-3-70B in bfloat16
    assert kv_bytes_per_token(30, 3, 64, 4) == 46_080
    assert kv_bytes_per_token(**LLAMA_3_70B, bytes_per_value=2) == 327_680  # 320 KiB
    # without GQA, Llama-3-70B's 64 heads would need 8 times more
    assert kv_bytes_per_token(80, 64, 128, 2) == 8 * 327_680
    with pytest.raises(ValueError, match="kv_heads"):
        kv_bytes_per_token(30, 0, 64, 4)
    with pytest.raises(ValueError, match="bytes_per_value"):
        kv_bytes_per_token(30, 3, 64, 2.5)


def test_measure_decoding_times_equal_work():
    model = random_model(CONFIGS["learned"])
    timings = measure_decoding(model, [1, 8, 20], new_tokens=4, progress=False)
    assert [t.length for t in timings] == [1, 8, 20]
    for t in timings:
        assert t.new_tokens == 4 and min(t.uncached_s, t.cached_s, t.prefill_s) > 0
        assert t.speedup == t.uncached_s / t.cached_s
        assert t.cached_tokens_per_s == 4 / t.cached_s
    with pytest.raises(ValueError, match="lengths"):
        measure_decoding(model, [21], new_tokens=4)  # 21 + 4 > context 24
    with pytest.raises(ValueError, match="new_tokens"):
        measure_decoding(model, [3], new_tokens=0)


def test_measure_decoding_notices_a_broken_cache(monkeypatch):
    model = random_model(CONFIGS["rope"])
    monkeypatch.setattr(KVCache, "advance", lambda self, new: None)  # forgets what it stored
    with pytest.raises(RuntimeError, match="different tokens"):
        measure_decoding(model, [6], new_tokens=6, progress=False)


def test_bad_cache_input():
    model = random_model(CONFIGS["learned"])
    idx = _ids(model.cfg, (2, 5))
    with pytest.raises(TypeError, match="KVCache"):
        model(idx, cache=object())
    with pytest.raises(ValueError, match="another configuration"):
        model(idx, cache=random_model(CONFIGS["rope"]).new_cache(2))
    with pytest.raises(ValueError, match="batch of 2 sequences but the cache was made for 3"):
        model(idx, cache=model.new_cache(3))
    with pytest.raises(ValueError, match="max_len of 4"):
        model(idx, cache=model.new_cache(2, 4))
    cache = model.new_cache(2)
    model(torch.cat([idx] * 4, dim=1), cache=cache)  # 20 of 24 positions
    with pytest.raises(ValueError, match="holds 20 positions and idx adds 5"):
        model(idx, cache=cache)
    assert cache.length == 20  # a refused forward leaves the cache as it was
    with pytest.raises(ValueError, match="max_len"):
        model.new_cache(1, 25)
    with pytest.raises(ValueError, match="batch_size"):
        model.new_cache(0)
    with pytest.raises(ValueError, match="length"):
        cache.crop(-1)
    with pytest.raises(ValueError, match="only_last"):
        model(idx, idx, only_last=True)
