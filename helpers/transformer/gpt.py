"""A decoder-only Transformer (GPT), small and readable, in the spirit of nanoGPT's model.py.

    cfg = GPTConfig.gpt2_style(vocab_size=65, context=64, n_layer=4, n_head=4, d_model=128)
    model = GPT(cfg)
    logits, loss = model(idx, targets)          # idx, targets: (B, T) token ids
    maps = model.attention_maps(idx)            # (B, layers, heads, T, T)
    cache = model.new_cache(B, max_len)         # for generation (helpers.transformer.kv_cache)
    logits, _ = model(new_ids, cache=cache)     # reads only new_ids (B, T_new), after the cache

One configuration covers the two families most published checkpoints belong to:
- GPT-2 style: learned positions, LayerNorm, GELU MLP, biases, tied embeddings;
- Llama style: rotary positions (RoPE), RMSNorm, SwiGLU MLP, no biases, grouped-query attention.
Each block is pre-norm: x + attn(norm(x)), then x + mlp(norm(x)).

Proven equal to Hugging Face's GPT2LMHeadModel and LlamaForCausalLM in tests/transformer/test_gpt.py
(the weight layouts are translated in helpers.transformer.gpt_weights).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from helpers.attention import attention
from helpers.transformer.kv_cache import KVCache

Positions = Literal["learned", "sinusoidal", "rope"]


@dataclass(frozen=True)
class GPTConfig:
    """The shape and the recipe of a GPT. Defaults are GPT-2's choices at a small size."""

    vocab_size: int = 256
    context: int = 128  # the longest sequence the model reads (GPT-2: 1024)
    n_layer: int = 4
    n_head: int = 4
    d_model: int = 128
    n_kv_head: int | None = None  # fewer key/value heads: grouped-query attention; None = n_head
    d_mlp: int | None = None  # the MLP's hidden width; None = 4 * d_model
    positions: Positions = "learned"
    rope_base: float = 10_000.0
    rope_pairing: Literal["half", "interleaved"] = "half"  # which coordinates RoPE rotates together
    norm: Literal["layernorm", "rmsnorm"] = "layernorm"
    norm_eps: float = 1e-5
    mlp: Literal["gelu", "swiglu"] = "gelu"
    bias: bool = True
    tie_weights: bool = True  # the output layer reuses the token embedding matrix
    dropout: float = 0.0
    attention: Literal["sdpa", "ours"] = "sdpa"  # torch's fused kernel, or helpers.attention
    causal: bool = True  # False: an encoder (BERT-style), every position attends to all others

    def __post_init__(self) -> None:
        for name in ("vocab_size", "context", "n_layer", "n_head", "d_model"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if self.d_model % self.n_head:
            raise ValueError(
                f"d_model ({self.d_model}) must be divisible by n_head ({self.n_head})"
            )
        if self.n_head % self.kv_heads:
            raise ValueError(
                f"n_kv_head ({self.n_kv_head}) must divide n_head ({self.n_head}): each key/value "
                "head serves a whole group of query heads"
            )
        if self.positions == "rope" and self.head_dim % 2:
            raise ValueError(f"RoPE rotates pairs: head_dim must be even, got {self.head_dim}")
        choices = {
            "positions": ("learned", "sinusoidal", "rope"),
            "rope_pairing": ("half", "interleaved"),
            "norm": ("layernorm", "rmsnorm"),
            "mlp": ("gelu", "swiglu"),
            "attention": ("sdpa", "ours"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_head

    @property
    def kv_heads(self) -> int:
        return self.n_head if self.n_kv_head is None else self.n_kv_head

    @property
    def hidden(self) -> int:
        return 4 * self.d_model if self.d_mlp is None else self.d_mlp

    @classmethod
    def gpt2_style(cls, **overrides: object) -> GPTConfig:
        """Learned positions, LayerNorm, GELU (tanh approximation), biases, tied embeddings."""
        return replace(cls(), **overrides)

    @classmethod
    def llama_style(cls, **overrides: object) -> GPTConfig:
        """RoPE, RMSNorm, SwiGLU, no biases: the recipe of Llama, SmolLM2 and most open models."""
        base = cls(positions="rope", norm="rmsnorm", mlp="swiglu", bias=False, norm_eps=1e-5)
        return replace(base, **overrides)


class RMSNorm(nn.Module):
    """x / sqrt(mean(x^2) + eps) * weight over the last axis (Zhang & Sennrich, 2019): LayerNorm
    without the mean subtraction and the bias."""

    def __init__(self, dim: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def make_norm(cfg: GPTConfig) -> nn.Module:
    if cfg.norm == "rmsnorm":
        return RMSNorm(cfg.d_model, cfg.norm_eps)
    return nn.LayerNorm(cfg.d_model, eps=cfg.norm_eps, bias=cfg.bias)


def sinusoidal_positions(length: int, dim: int, base: float = 10_000.0) -> torch.Tensor:
    """Vaswani et al.'s fixed encodings, shape (length, dim): sin at even, cos at odd columns,
    wavelengths from 2*pi to base*2*pi."""
    position = torch.arange(length, dtype=torch.float64)[:, None]
    frequency = base ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)
    table = torch.zeros(length, dim, dtype=torch.float64)
    table[:, 0::2] = torch.sin(position * frequency)
    table[:, 1::2] = torch.cos(position * frequency)[:, : dim // 2]
    return table.float()


def rope_angles(length: int, head_dim: int, base: float = 10_000.0) -> torch.Tensor:
    """The rotation angle of each position and pair, shape (length, head_dim / 2):
    position * base^(-2i / head_dim) (Su et al., 2021)."""
    frequency = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    return torch.arange(length, dtype=torch.float64)[:, None] * frequency


def apply_rope(x: torch.Tensor, angles: torch.Tensor, pairing: str = "half") -> torch.Tensor:
    """Rotate each pair of coordinates of x (B, H, T, head_dim) by its position's angle.

    pairing "half" rotates coordinate i with i + head_dim/2 (Hugging Face's Llama, GPT-NeoX);
    "interleaved" rotates 2i with 2i + 1 (the RoFormer paper, Meta's original Llama, ggml).
    angles: (T, head_dim / 2), from rope_angles.
    """
    cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)
    if pairing == "half":
        a, b = x.chunk(2, dim=-1)
        return torch.cat([a * cos - b * sin, b * cos + a * sin], dim=-1)
    a, b = x[..., 0::2], x[..., 1::2]
    return torch.stack([a * cos - b * sin, b * cos + a * sin], dim=-1).flatten(-2)


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention in which each position sees itself and the positions before it
    (with cfg.causal False, as in an encoder such as BERT, every position sees all of them).

    With n_kv_head < n_head (grouped-query attention, Ainslie et al. 2023), each key/value head
    is shared by n_head / n_kv_head query heads: a smaller KV cache, nearly the same quality.
    """

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.cfg = cfg
        kv_dim = cfg.kv_heads * cfg.head_dim
        self.qkv = nn.Linear(cfg.d_model, cfg.d_model + 2 * kv_dim, bias=cfg.bias)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model, bias=cfg.bias)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(
        self,
        x: torch.Tensor,
        angles: torch.Tensor | None,
        record: list | None = None,
        cache: tuple[KVCache, int] | None = None,
    ) -> torch.Tensor:
        """x (B, T, C) -> (B, T, C). If `record` is a list, append the weights (B, H, T, T).

        cache (a KVCache, this layer's index): x holds the T positions after the cache's
        `length`; their keys and values are stored, and the queries attend to every stored key
        (angles must then be those of the new positions)."""
        cfg, (B, T, C) = self.cfg, x.shape
        kv_dim = cfg.kv_heads * cfg.head_dim
        q, k, v = self.qkv(x).split([C, kv_dim, kv_dim], dim=-1)
        q = q.view(B, T, cfg.n_head, cfg.head_dim).transpose(1, 2)  # (B, H, T, hd)
        k = k.view(B, T, cfg.kv_heads, cfg.head_dim).transpose(1, 2)  # (B, H_kv, T, hd)
        v = v.view(B, T, cfg.kv_heads, cfg.head_dim).transpose(1, 2)
        if angles is not None:
            q, k = apply_rope(q, angles, cfg.rope_pairing), apply_rope(k, angles, cfg.rope_pairing)
        if cache is not None:  # keys as rotated; only the kv_heads are stored (GQA's saving)
            k, v = cache[0].store(cache[1], k, v)  # (B, H_kv, S, hd), S = stored + T
        S = k.shape[2]
        group = cfg.n_head // cfg.kv_heads
        k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
        p = cfg.dropout if self.training else 0.0
        # The T queries are the last T of the S keys: causal_mask aligns them lower-right (torch's
        # is_causal aligns top-left, which is the same only when S == T).
        if cfg.attention == "sdpa" and record is None:
            mask = None if S == T or not cfg.causal else attention.causal_mask(T, S).to(x.device)
            causal = cfg.causal and S == T
            y = F.scaled_dot_product_attention(q, k, v, mask, dropout_p=p, is_causal=causal)
        else:
            scores = attention.attention_scores(q, k)
            mask = attention.causal_mask(T, S) if cfg.causal else torch.ones(T, S, dtype=torch.bool)
            weights = attention.masked_softmax(scores, mask.to(x.device))
            if record is not None:
                record.append(weights.detach())
            y = F.dropout(weights, p) @ v
        y = y.transpose(1, 2).reshape(B, T, C)  # heads side by side again
        return self.dropout(self.proj(y))


class MLP(nn.Module):
    """Feed-forward: GELU (GPT-2), or SwiGLU: silu(x W_gate) * (x W_up); Shazeer 2020."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.swiglu = cfg.mlp == "swiglu"
        width = 2 * cfg.hidden if self.swiglu else cfg.hidden  # SwiGLU: gate and up side by side
        self.fc = nn.Linear(cfg.d_model, width, bias=cfg.bias)
        self.proj = nn.Linear(cfg.hidden, cfg.d_model, bias=cfg.bias)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.fc(x)
        if self.swiglu:
            gate, up = h.chunk(2, dim=-1)
            h = F.silu(gate) * up
        else:
            h = F.gelu(h, approximate="tanh")  # GPT-2's GELU
        return self.dropout(self.proj(h))


class Block(nn.Module):
    """One Transformer block, pre-norm: the residual stream x passes through untouched, and each
    sub-layer adds what it computed to it."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.norm1, self.attn = make_norm(cfg), CausalSelfAttention(cfg)
        self.norm2, self.mlp = make_norm(cfg), MLP(cfg)

    def forward(
        self,
        x: torch.Tensor,
        angles: torch.Tensor | None,
        record: list | None = None,
        cache: tuple[KVCache, int] | None = None,
    ) -> torch.Tensor:
        x = x + self.attn(self.norm1(x), angles, record, cache)
        return x + self.mlp(self.norm2(x))


class GPT(nn.Module):
    """Token embedding (+ positions) -> n_layer blocks -> final norm -> logits over the vocab."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.pos_emb = (
            nn.Embedding(cfg.context, cfg.d_model) if cfg.positions == "learned" else None
        )
        if cfg.positions == "sinusoidal":
            self.register_buffer("sinusoids", sinusoidal_positions(cfg.context, cfg.d_model), False)
        if cfg.positions == "rope":
            angles = rope_angles(cfg.context, cfg.head_dim, cfg.rope_base)
            self.register_buffer("rope", angles, persistent=False)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.norm = make_norm(cfg)
        self.head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        if cfg.tie_weights:
            self.head.weight = self.tok_emb.weight
        self.apply(self._init_weights)
        for name, p in self.named_parameters():
            if name.endswith("proj.weight"):  # GPT-2: residual branches scaled by depth
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear | nn.Embedding):
            nn.init.normal_(module.weight, 0.0, 0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def _check_ids(self, idx: object, name: str = "idx") -> torch.Tensor:
        if not isinstance(idx, torch.Tensor) or idx.dtype not in (torch.long, torch.int):
            raise TypeError(f"{name} must be a tensor of integer token ids, got {idx!r:.60}")
        if idx.ndim != 2:
            raise ValueError(f"{name} must have shape (B, T), got {tuple(idx.shape)}")
        if idx.shape[1] > self.cfg.context:
            raise ValueError(
                f"{name} has {idx.shape[1]} positions but the model's context is "
                f"{self.cfg.context}: crop it to the last {self.cfg.context} tokens"
            )
        if idx.numel() and (idx.min() < 0 or idx.max() >= self.cfg.vocab_size):
            raise ValueError(
                f"{name} holds ids outside the vocabulary [0, {self.cfg.vocab_size}): "
                f"min {int(idx.min())}, max {int(idx.max())}"
            )
        return idx

    def _check_targets(self, targets: object, idx: torch.Tensor) -> None:
        if not isinstance(targets, torch.Tensor) or targets.dtype not in (torch.long, torch.int):
            raise TypeError(f"targets must be a tensor of integer token ids, got {targets!r:.60}")
        if targets.shape != idx.shape:
            raise ValueError(
                f"targets must have the shape of idx {tuple(idx.shape)}, got {tuple(targets.shape)}"
            )
        bad = (targets != -100) & ((targets < 0) | (targets >= self.cfg.vocab_size))
        if bad.any():
            raise ValueError(
                f"targets must be ids in [0, {self.cfg.vocab_size}) or -100 (ignored), got "
                f"{int(targets[bad][0])}"
            )

    def embed(self, idx: torch.Tensor, start: int = 0) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Token ids (B, T) at positions start .. start + T - 1 -> (the residual stream entering
        the first block (B, T, C), dropout applied; RoPE's angles (T, head_dim / 2) or None)."""
        T = idx.shape[1]
        x = self.tok_emb(idx)
        if self.pos_emb is not None:
            x = x + self.pos_emb(torch.arange(start, start + T, device=idx.device))
        if self.cfg.positions == "sinusoidal":
            x = x + self.sinusoids[start : start + T]
        angles = self.rope[start : start + T] if self.cfg.positions == "rope" else None
        return self.drop(x), angles

    def _residual_stream(
        self, idx: torch.Tensor, record: list | None, cache: KVCache | None = None
    ) -> torch.Tensor:
        """(B, T) ids -> (B, T, C) final-normed hidden states. With a cache, idx holds positions
        cache.length .. cache.length + T - 1, and their keys and values are added to it."""
        x, angles = self.embed(idx, 0 if cache is None else cache.length)
        for i, block in enumerate(self.blocks):
            x = block(x, angles, record, None if cache is None else (cache, i))
        if cache is not None:
            cache.advance(idx.shape[1])
        return self.norm(x)

    def forward(
        self,
        idx: torch.Tensor,
        targets: torch.Tensor | None = None,
        *,
        cache: KVCache | None = None,
        only_last: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """idx (B, T) -> (logits (B, T, vocab), mean cross-entropy against targets (B, T) or None).

        Targets of -100 are ignored (as in torch's cross_entropy), for loss masking.
        cache (from new_cache): idx holds only the positions after the ones the cache holds; it
        stores theirs, and the logits are theirs. only_last: logits of the last position only,
        (B, 1, vocab), all that generation needs (the output layer is a large share of the work)."""
        self._check_ids(idx)
        if only_last and targets is not None:
            raise ValueError("only_last gives one position's logits: pass targets=None")
        if cache is not None:
            if not isinstance(cache, KVCache):
                raise TypeError(f"cache must be a KVCache (new_cache), got {type(cache).__name__}")
            cache.check_fits(self.cfg, idx)
        x = self._residual_stream(idx, None, cache)
        logits = self.head(x[:, -1:] if only_last else x)
        if targets is None:
            return logits, None
        self._check_targets(targets, idx)
        loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=-100)
        return logits, loss

    def new_cache(self, batch_size: int, max_len: int | None = None) -> KVCache:
        """An empty KV cache for batch_size sequences of up to max_len positions (default: the
        context), in the model's dtype and on its device."""
        if not self.cfg.causal:
            raise ValueError("an encoder (causal=False) has no KV cache: it reads a whole text")
        cfg, w = self.cfg, self.tok_emb.weight
        max_len = cfg.context if max_len is None else max_len
        if isinstance(max_len, bool) or not isinstance(max_len, int):
            raise ValueError(f"max_len must be an int, got {max_len!r}")
        if not 1 <= max_len <= cfg.context:
            raise ValueError(f"max_len must be in [1, context = {cfg.context}], got {max_len}")
        return KVCache(
            n_layer=cfg.n_layer, kv_heads=cfg.kv_heads, head_dim=cfg.head_dim,
            batch_size=batch_size, max_len=max_len, dtype=w.dtype, device=w.device, model_key=cfg,
        )  # fmt: skip

    @torch.no_grad()
    def attention_maps(self, idx: torch.Tensor) -> torch.Tensor:
        """Every layer's attention weights, shape (B, layers, heads, T, T): row i of a map is how
        query position i spreads its attention over positions 0..i. Computed with our own
        attention (torch's fused kernel does not return weights), dropout off."""
        was_training = self.training
        self.eval()
        record: list[torch.Tensor] = []
        self._residual_stream(self._check_ids(idx), record)
        self.train(was_training)
        return torch.stack(record, dim=1)

    def num_parameters(self) -> dict[str, int]:
        """Parameters by component: embeddings, positions, attention, mlp, norms, head (untied
        only), and the total (a tied matrix counted once)."""
        parts = {"embeddings": 0, "positions": 0, "attention": 0, "mlp": 0, "norms": 0, "head": 0}
        for name, p in self.named_parameters():  # a tied matrix is listed once, as tok_emb
            if name.startswith("tok_emb"):
                parts["embeddings"] += p.numel()
            elif name.startswith("pos_emb"):
                parts["positions"] += p.numel()
            elif ".attn." in name:
                parts["attention"] += p.numel()
            elif ".mlp." in name:
                parts["mlp"] += p.numel()
            elif name.startswith("head"):
                parts["head"] += p.numel()
            else:
                parts["norms"] += p.numel()
        parts["total"] = sum(parts.values())
        return parts
