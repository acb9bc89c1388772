"""Published weight layouts translated into our GPT: Hugging Face's GPT-2 and Llama.

The functions take a state dict and a config object with Hugging Face's attribute names (duck
typed: transformers itself is never imported here), and return our config and state dict:

    cfg = config_from_llama(hf.config)
    model = GPT(cfg)
    model.load_state_dict(state_from_llama(hf.state_dict(), cfg))
"""

from __future__ import annotations

from typing import Any

import torch

from helpers.transformer.gpt import GPTConfig

State = dict[str, torch.Tensor]


def _require(state: State, key: str) -> torch.Tensor:
    if key not in state:
        raise KeyError(f"the state dict has no {key!r}: is it the right architecture?")
    return state[key]


def config_from_gpt2(hf: Any, **overrides: object) -> GPTConfig:
    """Our GPT-2-style config from a GPT2Config (n_embd, n_layer, n_head, n_positions, ...)."""
    if getattr(hf, "activation_function", "gelu_new") not in ("gelu_new", "gelu_pytorch_tanh"):
        raise ValueError(f"only GPT-2's tanh GELU is supported, got {hf.activation_function!r}")
    return GPTConfig.gpt2_style(
        vocab_size=hf.vocab_size, context=hf.n_positions, n_layer=hf.n_layer, n_head=hf.n_head,
        d_model=hf.n_embd, d_mlp=hf.n_inner, norm_eps=hf.layer_norm_epsilon,
        tie_weights=hf.tie_word_embeddings, **overrides,
    )  # fmt: skip


def state_from_gpt2(state: State, cfg: GPTConfig) -> State:
    """GPT-2's Conv1D layers store weights as (in, out); torch's Linear wants (out, in)."""
    state = {k.removeprefix("transformer."): v for k, v in state.items()}
    ours = {"tok_emb.weight": _require(state, "wte.weight"),
            "pos_emb.weight": _require(state, "wpe.weight"),
            "norm.weight": state["ln_f.weight"], "norm.bias": state["ln_f.bias"]}  # fmt: skip
    for i in range(cfg.n_layer):
        h, b = f"h.{i}.", f"blocks.{i}."
        for theirs, mine in [("ln_1", "norm1"), ("ln_2", "norm2")]:
            ours[b + mine + ".weight"] = _require(state, h + theirs + ".weight")
            ours[b + mine + ".bias"] = state[h + theirs + ".bias"]
        for theirs, mine in [("attn.c_attn", "attn.qkv"), ("attn.c_proj", "attn.proj"),
                             ("mlp.c_fc", "mlp.fc"), ("mlp.c_proj", "mlp.proj")]:  # fmt: skip
            ours[b + mine + ".weight"] = _require(state, h + theirs + ".weight").t()
            ours[b + mine + ".bias"] = state[h + theirs + ".bias"]
    ours["head.weight"] = state.get("lm_head.weight", ours["tok_emb.weight"])
    return {k: v.detach().clone() for k, v in ours.items()}


def config_from_llama(hf: Any, **overrides: object) -> GPTConfig:
    """Our Llama-style config from a LlamaConfig (hidden_size, num_attention_heads, ...)."""
    rope = getattr(hf, "rope_parameters", None) or {}
    base = rope.get("rope_theta", getattr(hf, "rope_theta", 10_000.0))
    if rope.get("rope_type", "default") != "default":
        raise ValueError(f"only plain RoPE is supported, got rope_type {rope['rope_type']!r}")
    return GPTConfig.llama_style(
        vocab_size=hf.vocab_size, context=hf.max_position_embeddings,
        n_layer=hf.num_hidden_layers, n_head=hf.num_attention_heads, d_model=hf.hidden_size,
        n_kv_head=hf.num_key_value_heads, d_mlp=hf.intermediate_size, rope_base=float(base),
        norm_eps=hf.rms_norm_eps, tie_weights=hf.tie_word_embeddings, **overrides,
    )  # fmt: skip


def state_from_llama(state: State, cfg: GPTConfig) -> State:
    """Llama keeps q, k, v and gate, up as separate matrices; ours are stacked (qkv, fc)."""
    state = {k.removeprefix("model."): v for k, v in state.items()}
    ours = {"tok_emb.weight": _require(state, "embed_tokens.weight"),
            "norm.weight": _require(state, "norm.weight")}  # fmt: skip
    for i in range(cfg.n_layer):
        h, b = f"layers.{i}.", f"blocks.{i}."
        attn, mlp = h + "self_attn.", h + "mlp."
        ours[b + "attn.qkv.weight"] = torch.cat(
            [_require(state, attn + f"{x}_proj.weight") for x in "qkv"]
        )
        ours[b + "attn.proj.weight"] = state[attn + "o_proj.weight"]
        ours[b + "mlp.fc.weight"] = torch.cat(
            [state[mlp + "gate_proj.weight"], state[mlp + "up_proj.weight"]]
        )
        ours[b + "mlp.proj.weight"] = state[mlp + "down_proj.weight"]
        ours[b + "norm1.weight"] = state[h + "input_layernorm.weight"]
        ours[b + "norm2.weight"] = state[h + "post_attention_layernorm.weight"]
    ours["head.weight"] = state.get("lm_head.weight", ours["tok_emb.weight"])
    return {k: v.detach().clone() for k, v in ours.items()}
