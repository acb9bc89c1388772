"""The KV cache: the keys and values of every position a GPT has read, kept so that generating the
next token costs one position's work instead of re-reading the whole sequence.

    cache = model.new_cache(batch_size=1, max_len=T + n)
    logits, _ = model(prompt, cache=cache)          # prefill: reads T positions, stores their k, v
    logits, _ = model(next_token, cache=cache)      # one step: reads 1 position, attends to T + 1

Why it is correct: in a causal Transformer, position i's keys and values in every layer depend only
on tokens 0..i, so they never change when tokens are appended. A new token needs its own query,
key and value, and the keys and values of everything before it, which the cache already holds.
Positions are offset by what the cache holds (learned and sinusoidal tables, RoPE angles); keys
are stored after RoPE has rotated them. With grouped-query attention only the kv_heads key/value
heads are stored, not n_head: that is the point of GQA (a cache n_head / kv_heads times smaller).

Its cost is memory: 2 (keys and values) x layers x kv_heads x head_dim numbers per token, for
every token of every sequence being generated (Pope et al., 2022, Efficiently Scaling Transformer
Inference). `kv_bytes_per_token` computes it; `measure_decoding` times decoding with and without
the cache (benchmarks/bench_kv_cache.py prints the table, notebook 08 plots a small version).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

# Llama-3-70B (Dubey et al. 2024, The Llama 3 Herd of Models, Table 3; and the config.json of
# meta-llama/Meta-Llama-3-70B on Hugging Face): 80 layers, width 8192, 64 query heads of 128
# dims, 8 key/value heads; weights and cache in bfloat16 (2 bytes).
LLAMA_3_70B = {"n_layer": 80, "kv_heads": 8, "head_dim": 128}


def kv_bytes_per_token(n_layer: int, kv_heads: int, head_dim: int, bytes_per_value: int) -> int:
    """Memory the KV cache needs per token of one sequence: 2 x layers x kv_heads x head_dim x bytes
    (a key and a value vector per layer and key/value head). E.g. SmolLM2-135M in float32:
    2 x 30 x 3 x 64 x 4 = 46,080 bytes; Llama-3-70B in bfloat16: 2 x 80 x 8 x 128 x 2 = 327,680."""
    for name, n in [("n_layer", n_layer), ("kv_heads", kv_heads), ("head_dim", head_dim),
                    ("bytes_per_value", bytes_per_value)]:  # fmt: skip
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"{name} must be a positive int, got {n!r}")
    return 2 * n_layer * kv_heads * head_dim * bytes_per_value


class KVCache:
    """Keys and values of every layer for the first `length` positions of a batch of sequences.

    keys, values: (n_layer, B, kv_heads, max_len, head_dim), allocated once (no copying as the
    sequence grows); positions length..max_len-1 are free. The cache knows only these sizes;
    `model_key` is whatever identifies the model it belongs to (GPT.new_cache passes its
    GPTConfig), so that a cache is never read by another model of the same shape.
    """

    def __init__(
        self,
        *,
        n_layer: int,
        kv_heads: int,
        head_dim: int,
        batch_size: int,
        max_len: int,
        dtype: torch.dtype = torch.float32,
        device: torch.device | str = "cpu",
        model_key: object = None,
    ):
        for name, n in [("n_layer", n_layer), ("kv_heads", kv_heads), ("head_dim", head_dim),
                        ("batch_size", batch_size), ("max_len", max_len)]:  # fmt: skip
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ValueError(f"{name} must be a positive int, got {n!r}")
        self.model_key = model_key
        shape = (n_layer, batch_size, kv_heads, max_len, head_dim)
        self.keys = torch.zeros(shape, dtype=dtype, device=device)
        self.values = torch.zeros(shape, dtype=dtype, device=device)
        self.length = 0  # positions stored so far, in every layer

    @property
    def batch_size(self) -> int:
        return self.keys.shape[1]

    @property
    def max_len(self) -> int:
        return self.keys.shape[3]

    def check_fits(self, model_key: object, idx: torch.Tensor) -> None:
        """Raise unless self is the cache of the model model_key identifies, with room for idx
        (B, T)."""
        if self.model_key != model_key:
            raise ValueError("the cache was made for a model of another configuration")
        B, T = idx.shape
        if self.batch_size != B:
            raise ValueError(
                f"idx has a batch of {B} sequences but the cache was made for {self.batch_size}"
            )
        if self.length + T > self.max_len:
            raise ValueError(
                f"the cache holds {self.length} positions and idx adds {T}: past its max_len of "
                f"{self.max_len}"
            )

    def store(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Write the new positions' k, v (B, kv_heads, T, head_dim) of one layer after the
        `length` stored ones; return every position's keys and values (B, kv_heads, length + T,
        head_dim). `length` itself moves on only in advance(), once every layer has stored."""
        end = self.length + k.shape[2]
        self.keys[layer, :, :, self.length : end] = k
        self.values[layer, :, :, self.length : end] = v
        return self.keys[layer, :, :, :end], self.values[layer, :, :, :end]

    def advance(self, new: int) -> None:
        """Count `new` positions as stored (called by the GPT after its last layer)."""
        self.length += new

    def crop(self, length: int) -> None:
        """Forget every position from `length` on: the cache then holds the prefix 0..length-1,
        ready to read a different continuation of it."""
        if isinstance(length, bool) or not isinstance(length, int) or length < 0:
            raise ValueError(f"length must be an int >= 0, got {length!r}")
        self.length = min(length, self.length)


@dataclass(frozen=True)
class DecodingTiming:
    """Greedy decoding after a prompt of `length` tokens: the time of `new_tokens` steps, each
    reading a sequence of length + 1 .. length + new_tokens tokens, with and without the cache."""

    length: int  # prompt length
    new_tokens: int
    uncached_s: float  # each step a forward over the whole sequence
    cached_s: float  # each step a forward over its one new token
    prefill_s: float  # the cached way's first forward over the prompt (in neither of the above)

    @property
    def uncached_tokens_per_s(self) -> float:
        return self.new_tokens / self.uncached_s

    @property
    def cached_tokens_per_s(self) -> float:
        return self.new_tokens / self.cached_s

    @property
    def speedup(self) -> float:
        return self.uncached_s / self.cached_s


def _greedy_next(
    model: torch.nn.Module, ids: torch.Tensor, cache: KVCache | None = None
) -> torch.Tensor:
    """The most likely next token (B, 1) after ids (B, T), which follow the cache's positions."""
    return model(ids, cache=cache, only_last=True)[0][:, -1].argmax(-1, keepdim=True)


@torch.no_grad()
def measure_decoding(
    model: torch.nn.Module,
    lengths: Sequence[int],
    new_tokens: int = 8,
    seed: int = 0,
    progress: bool = True,
) -> list[DecodingTiming]:
    """Time greedy decoding steps with and without the KV cache, for each prompt length.

    model: a helpers.transformer.gpt.GPT (random weights are fine: the work does not depend on
    them). For each length L, a random prompt (1, L) gives a first token (the cached way's prefill,
    timed apart), then new_tokens steps are timed both ways. Without the cache a step is one forward
    over the whole sequence (logits of the last position only: the fairest baseline); with it, a
    forward over the one new token. Both ways must choose the same tokens (RuntimeError if not).
    """
    cfg = model.cfg
    if isinstance(new_tokens, bool) or not isinstance(new_tokens, int) or new_tokens < 1:
        raise ValueError(f"new_tokens must be a positive int, got {new_tokens!r}")
    for L in lengths:
        if isinstance(L, bool) or not isinstance(L, int) or not 1 <= L <= cfg.context - new_tokens:
            raise ValueError(
                f"lengths must be ints in [1, context - new_tokens] = [1, "
                f"{cfg.context - new_tokens}], got {L!r}"
            )
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    g = torch.Generator().manual_seed(seed)
    warm = torch.zeros(1, 2, dtype=torch.long, device=device)  # first calls allocate, time none
    _greedy_next(model, warm, model.new_cache(1, 2))
    timings = []
    for L in tqdm(lengths, desc="prompt lengths", disable=not progress):
        prompt = torch.randint(0, cfg.vocab_size, (1, L), generator=g).to(device)
        seq = torch.cat([prompt, _greedy_next(model, prompt)], dim=1)
        start = time.perf_counter()
        for _ in range(new_tokens):  # re-read the whole sequence at every step
            seq = torch.cat([seq, _greedy_next(model, seq)], dim=1)
        uncached_s = time.perf_counter() - start

        cache = model.new_cache(1, L + new_tokens)
        start = time.perf_counter()
        tokens = [_greedy_next(model, prompt, cache)]  # the prefill
        prefill_s = time.perf_counter() - start
        start = time.perf_counter()
        for _ in range(new_tokens):  # read only the newest token
            tokens.append(_greedy_next(model, tokens[-1], cache))
        cached_s = time.perf_counter() - start
        if not torch.equal(torch.cat(tokens, dim=1), seq[:, L:]):
            raise RuntimeError(f"cached and uncached decoding chose different tokens at L={L}")
        timings.append(DecodingTiming(L, new_tokens, uncached_s, cached_s, prefill_s))
    model.train(was_training)
    return timings
