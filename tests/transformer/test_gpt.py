"""Our GPT against the real thing: Hugging Face's GPT-2 and Llama with the same random weights,
RoPE against torch.onnx's rotary_embedding, RMSNorm against torch's, and bad input."""

from __future__ import annotations

import os

import pytest
import torch
import torch.nn.functional as F

from helpers.transformer.gpt import (
    GPT,
    GPTConfig,
    RMSNorm,
    apply_rope,
    rope_angles,
    sinusoidal_positions,
)
from helpers.transformer.gpt_weights import (
    config_from_gpt2,
    config_from_llama,
    state_from_gpt2,
    state_from_llama,
)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
transformers = pytest.importorskip("transformers")


def _scale_weights(model: torch.nn.Module, factor: float, seed: int = 0) -> None:
    """Random weights, scaled up so that logits are far from uniform and differences show."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=p.dtype) * factor / p.shape[-1] ** 0.5)


def _ids(vocab: int, shape=(3, 11), seed: int = 1) -> torch.Tensor:
    return torch.randint(0, vocab, shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("attention", ["sdpa", "ours"])
def test_gpt2_style_equals_huggingface_gpt2(attention):
    hf_cfg = transformers.GPT2Config(
        vocab_size=97, n_positions=16, n_embd=48, n_layer=3, n_head=4,
        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
    )  # fmt: skip
    theirs = transformers.GPT2LMHeadModel(hf_cfg).double().eval()
    _scale_weights(theirs, 3.5)
    cfg = config_from_gpt2(hf_cfg, attention=attention)
    ours = GPT(cfg).double().eval()
    ours.load_state_dict(state_from_gpt2(theirs.state_dict(), cfg))
    idx = _ids(97)
    expected = theirs(idx).logits
    got, _ = ours(idx)
    assert expected.std() > 1.0  # not nearly uniform
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-10)
    # float32, as used in practice
    theirs32, ours32 = theirs.float(), ours.float()
    torch.testing.assert_close(ours32(idx)[0], theirs32(idx).logits, rtol=0, atol=1e-5)


@pytest.mark.parametrize("tied", [False, True])
def test_llama_style_equals_huggingface_llama(tied):
    hf_cfg = transformers.LlamaConfig(
        vocab_size=101, hidden_size=64, intermediate_size=96, num_hidden_layers=3,
        num_attention_heads=8, num_key_value_heads=2, max_position_embeddings=32,
        rms_norm_eps=1e-5, tie_word_embeddings=tied, rope_theta=500.0,
        bos_token_id=0, eos_token_id=1, pad_token_id=None,
    )  # fmt: skip
    theirs = transformers.LlamaForCausalLM(hf_cfg).double().eval()
    _scale_weights(theirs, 3.0)
    cfg = config_from_llama(hf_cfg)
    assert (cfg.n_kv_head, cfg.rope_base, cfg.tie_weights) == (2, 500.0, tied)
    ours = GPT(cfg).double().eval()
    ours.load_state_dict(state_from_llama(theirs.state_dict(), cfg))
    idx = _ids(101, (2, 29))
    expected = theirs(idx).logits
    assert expected.std() > 1.0
    # Hugging Face computes the rotary tables in float32 even in a float64 model, so float64
    # agreement stops at float32's precision of the angles.
    torch.testing.assert_close(ours(idx)[0], expected, rtol=0, atol=1e-5)
    theirs32, ours32 = theirs.float(), ours.float()
    torch.testing.assert_close(ours32(idx)[0], theirs32(idx).logits, rtol=0, atol=1e-5)


@pytest.mark.parametrize("pairing", ["half", "interleaved"])
def test_rope_equals_torch_onnx_rotary_embedding(pairing):
    B, H, T, D = 2, 3, 7, 8
    x = torch.randn(B, H, T, D, dtype=torch.float64)
    angles = rope_angles(T, D, base=10_000.0)
    ours = apply_rope(x, angles, pairing)
    positions = torch.arange(T).expand(B, T)
    theirs = torch.onnx.ops.rotary_embedding(
        x, angles.cos(), angles.sin(), positions, interleaved=pairing == "interleaved"
    )
    torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-12)


def test_rope_scores_depend_only_on_the_distance():
    D = 16
    q, k = torch.randn(D, dtype=torch.float64), torch.randn(D, dtype=torch.float64)
    angles = rope_angles(40, D)

    def score(m: int, n: int) -> float:
        qm = apply_rope(q.view(1, 1, 1, D), angles[m : m + 1])
        kn = apply_rope(k.view(1, 1, 1, D), angles[n : n + 1])
        return float((qm * kn).sum())

    assert score(5, 2) == pytest.approx(score(33, 30), abs=1e-12)
    assert score(5, 2) != pytest.approx(score(5, 3), abs=1e-6)


def test_rmsnorm_equals_torch():
    x = torch.randn(4, 5, 24, dtype=torch.float64) * 3
    norm = RMSNorm(24, eps=1e-5).double()
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5)
    expected = F.rms_norm(x, (24,), norm.weight, eps=1e-5)  # eps explicit: torch's default differs
    torch.testing.assert_close(norm(x), expected, rtol=0, atol=1e-12)


def test_sinusoidal_positions_follow_vaswani():
    table = sinusoidal_positions(50, 16)
    pos, i = 7, 3
    assert table[pos, 2 * i] == pytest.approx(torch.sin(torch.tensor(pos / 10_000 ** (2 * i / 16))))
    assert table[pos, 2 * i + 1] == pytest.approx(
        torch.cos(torch.tensor(pos / 10_000 ** (2 * i / 16)))
    )


@pytest.mark.parametrize("positions", ["learned", "sinusoidal", "rope"])
def test_our_attention_equals_sdpa_and_maps_are_causal_distributions(positions):
    torch.manual_seed(0)
    cfg = GPTConfig(vocab_size=40, context=12, n_layer=2, n_head=4, d_model=32, positions=positions)
    model = GPT(cfg).double().eval()
    ours = GPT(GPTConfig(**{**cfg.__dict__, "attention": "ours"})).double().eval()
    ours.load_state_dict(model.state_dict())
    idx = _ids(40, (2, 12))
    torch.testing.assert_close(ours(idx)[0], model(idx)[0], rtol=0, atol=1e-12)
    maps = model.attention_maps(idx)
    assert maps.shape == (2, 2, 4, 12, 12)
    torch.testing.assert_close(maps.sum(-1), torch.ones(2, 2, 4, 12, dtype=maps.dtype))
    assert (maps.triu(1) == 0).all()  # nothing attends to the future


def test_the_future_does_not_change_the_past():
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=30, context=10, n_layer=2, n_head=2, d_model=16)).eval()
    idx = _ids(30, (1, 10))
    changed = idx.clone()
    changed[0, 6:] = (changed[0, 6:] + 1) % 30
    torch.testing.assert_close(model(idx)[0][:, :6], model(changed)[0][:, :6])


def test_loss_is_cross_entropy_and_ignores_minus_100():
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=30, context=8, n_layer=1, n_head=2, d_model=16))
    idx, targets = _ids(30, (2, 8)), _ids(30, (2, 8), seed=2)
    logits, loss = model(idx, targets)
    torch.testing.assert_close(loss, F.cross_entropy(logits.flatten(0, 1), targets.flatten()))
    masked = targets.clone()
    masked[:, :4] = -100
    _, part = model(idx, masked)
    torch.testing.assert_close(
        part, F.cross_entropy(logits[:, 4:].flatten(0, 1), targets[:, 4:].flatten())
    )
    assert abs(loss.item() - torch.log(torch.tensor(30.0)).item()) < 0.5  # small init: near uniform


def test_parameter_counts_by_component():
    cfg = GPTConfig(vocab_size=100, context=16, n_layer=2, n_head=4, d_model=32)
    counts = GPT(cfg).num_parameters()
    C, V = 32, 100
    assert counts["embeddings"] == V * C and counts["positions"] == 16 * C
    assert counts["attention"] == 2 * (C * 3 * C + 3 * C + C * C + C)
    assert counts["mlp"] == 2 * (C * 4 * C + 4 * C + 4 * C * C + C)
    assert counts["head"] == 0  # tied
    assert counts["total"] == sum(p.numel() for p in GPT(cfg).parameters())
    untied = GPT(GPTConfig(**{**cfg.__dict__, "tie_weights": False})).num_parameters()
    assert untied["head"] == V * C
    gqa = GPTConfig.llama_style(vocab_size=V, n_layer=1, n_head=4, n_kv_head=1, d_model=C, d_mlp=48)
    assert GPT(gqa).num_parameters()["attention"] == C * (C + 2 * 8) + C * C


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"d_model": 30, "n_head": 4}, "must be divisible by n_head"),
        ({"n_head": 4, "n_kv_head": 3}, "must divide n_head"),
        ({"positions": "rope", "d_model": 12, "n_head": 4}, "head_dim must be even"),
        ({"norm": "batchnorm"}, "norm must be one of"),
        ({"n_layer": 0}, "n_layer must be a positive int"),
        ({"dropout": 1.0}, "dropout must be in"),
    ],
)
def test_bad_configs(kwargs, words):
    with pytest.raises(ValueError, match=words):
        GPTConfig(**kwargs)


def test_bad_input_to_forward():
    model = GPT(GPTConfig(vocab_size=30, context=8, n_layer=1, n_head=2, d_model=16))
    with pytest.raises(ValueError, match="context is 8"):
        model(_ids(30, (1, 9)))
    with pytest.raises(ValueError, match="outside the vocabulary"):
        model(torch.tensor([[1, 30]]))
    with pytest.raises(TypeError, match="integer token ids"):
        model(torch.zeros(1, 4))
    with pytest.raises(ValueError, match="shape"):
        model(torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="targets must have the shape"):
        model(_ids(30, (1, 4)), _ids(30, (1, 3)))
    with pytest.raises(ValueError, match="or -100"):
        model(_ids(30, (1, 4)), torch.tensor([[1, 2, -5, 3]]))


def test_notebook_exercise_references_agree_with_the_helpers():
    """The numpy reference solutions of notebook 06's exercises equal helpers.transformer.gpt, torch
    and Hugging Face's GPT-2 count."""
    from helpers.attention.attention import causal_mask, padding_mask
    from helpers.exercises import nb06_transformer as ref
    from helpers.transformer.gpt import Block

    for length, dim in [(50, 16), (9, 7), (3, 1)]:
        torch.testing.assert_close(
            torch.from_numpy(ref.sinusoidal_encoding(length, dim)).float(),
            sinusoidal_positions(length, dim),
            rtol=0,
            atol=1e-6,  # ours is float32
        )

    x = torch.randn(6, 8, dtype=torch.float64)
    for base in (10_000.0, 100.0):
        angles = rope_angles(20, 8, base)
        positions = torch.tensor([0, 1, 4, 9, 13, 19])
        ours = ref.rope_rotate(x.numpy(), positions.numpy(), base)
        theirs = apply_rope(x[None, None], angles[positions], "interleaved")[0, 0]
        torch.testing.assert_close(torch.from_numpy(ours), theirs, rtol=0, atol=1e-12)
        one = ref.rope_rotate(x[2].numpy(), 4, base)  # one vector, one position
        torch.testing.assert_close(torch.from_numpy(one), theirs[2], rtol=0, atol=1e-12)

    x = torch.randn(2, 3, 6, dtype=torch.float64) * 3 + 1
    gamma, beta = torch.rand(6, dtype=torch.float64) + 0.5, torch.randn(6, dtype=torch.float64)
    for eps in (1e-5, 0.1):
        ours = ref.layer_norm(x.numpy(), gamma.numpy(), beta.numpy(), eps)
        theirs = F.layer_norm(x, (6,), gamma, beta, eps=eps)
        torch.testing.assert_close(torch.from_numpy(ours), theirs, rtol=0, atol=1e-12)

    lengths, T = [5, 2, 3], 5
    mask = torch.from_numpy(ref.batch_attention_mask(lengths, T))
    assert (mask == causal_mask(T) & padding_mask(lengths, T)[:, None, :]).all()
    q, k, v = (torch.randn(3, T, 4, dtype=torch.float64) for _ in range(3))
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert not out.isnan().any()  # no query row is fully masked
    for b, n in enumerate(lengths):  # each real token sees what it would see unpadded
        alone = F.scaled_dot_product_attention(q[b, :n], k[b, :n], v[b, :n], is_causal=True)
        torch.testing.assert_close(out[b, :n], alone, rtol=0, atol=1e-12)

    for V, ctx, C, L, H in [(100, 16, 32, 2, 4), (65, 64, 48, 3, 4), (50257, 1024, 768, 12, 12)]:
        sizes = {"vocab_size": V, "context": ctx, "d_model": C, "n_layer": L, "n_head": H}
        hf_cfg = transformers.GPT2Config(
            vocab_size=V, n_positions=ctx, n_embd=C, n_layer=L, n_head=H,
            bos_token_id=0, eos_token_id=0,
        )  # fmt: skip
        with torch.device("meta"):  # counting needs no memory
            model = GPT(GPTConfig.gpt2_style(**sizes))
            hf = transformers.GPT2LMHeadModel(hf_cfg)
        total = sum(p.numel() for p in hf.parameters())  # tied: the shared matrix once
        assert ref.gpt2_parameter_count(V, ctx, C, L) == model.num_parameters()["total"] == total
    assert ref.gpt2_parameter_count(50257, 1024, 768, 12) == 124_439_808

    C, T = 8, 6
    p = ref.block_parameters(C, 4 * C, seed=5, scale=3.0)
    w = {name: torch.from_numpy(a) for name, a in p.items()}
    no_bias = torch.zeros(3 * C, dtype=torch.float64)  # the exercise's attention has no biases
    block = Block(GPTConfig.gpt2_style(n_head=1, d_model=C, context=T)).double().eval()
    block.load_state_dict({  # nn.Linear computes x @ W.T: the row-vector weights go in transposed
        "norm1.weight": w["ln1_g"], "norm1.bias": w["ln1_b"],
        "attn.qkv.weight": torch.cat([w["W_q"], w["W_k"], w["W_v"]], dim=1).T,
        "attn.qkv.bias": no_bias, "attn.proj.weight": w["W_o"].T, "attn.proj.bias": no_bias[:C],
        "norm2.weight": w["ln2_g"], "norm2.bias": w["ln2_b"],
        "mlp.fc.weight": w["W_1"].T, "mlp.fc.bias": w["b_1"],
        "mlp.proj.weight": w["W_2"].T, "mlp.proj.bias": w["b_2"],
    })  # fmt: skip
    x = torch.randn(T, C, dtype=torch.float64) * 2
    with torch.no_grad():
        expected = block(x[None], None)[0]
    got = torch.from_numpy(ref.block_forward(x.numpy(), p))
    assert (expected - x).std() > 1.0  # the block changes x by a sizeable amount
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-10)
