"""Decoding with and without the KV cache: tokens/s against sequence length, on our GPT at
nanoGPT's Shakespeare size (random weights: the work does not depend on them) and on SmolLM2-135M
(if installed); and what the cache costs in memory per token.

    python benchmarks/bench_kv_cache.py      # both models: about 2 min on a quiet 2-core CPU
    python benchmarks/bench_kv_cache.py --threads 1 --repeats 1 --smollm2-lengths 32 128

For each prompt length L, both ways first choose the same greedy tokens
(helpers.transformer.kv_cache.measure_decoding checks it), then the time of new_tokens decoding
steps is compared: without the cache each step re-reads the whole sequence (logits of the last
position only), with it each step reads one token. The cached way's one-off prefill (reading the
prompt) is shown apart.
"""

from __future__ import annotations

import argparse
import os
import platform

import torch

from helpers.device import cpu_description
from helpers.transformer import pretrained
from helpers.transformer.gpt import GPT, GPTConfig
from helpers.transformer.kv_cache import (
    LLAMA_3_70B,
    DecodingTiming,
    kv_bytes_per_token,
    measure_decoding,
)

# nanoGPT's config/train_shakespeare_char.py: 6 layers, 6 heads, width 384, context 256
SHAKESPEARE = GPTConfig.gpt2_style(vocab_size=65, context=256, n_layer=6, n_head=6, d_model=384)
FIELDS = ("uncached_s", "cached_s", "prefill_s")


def fastest(model: GPT, lengths: list[int], new_tokens: int, repeats: int) -> list[DecodingTiming]:
    """measure_decoding `repeats` times; for each length, the fastest time of each kind (the
    least disturbed by whatever else the machine runs)."""
    runs = [measure_decoding(model, lengths, new_tokens, seed=r) for r in range(repeats)]
    return [
        DecodingTiming(L, new_tokens, *(min(getattr(run[i], f) for run in runs) for f in FIELDS))
        for i, L in enumerate(lengths)
    ]


def print_table(name: str, timings: list[DecodingTiming]) -> None:
    print(f"\n{name}: {timings[0].new_tokens} greedy steps after a prompt of L tokens")
    print(f"{'L':>6s} {'no cache tok/s':>15s} {'cache tok/s':>12s} {'speed-up':>9s} "
          f"{'prefill s':>10s}")  # fmt: skip
    for t in timings:
        print(f"{t.length:>6d} {t.uncached_tokens_per_s:>15.1f} {t.cached_tokens_per_s:>12.1f} "
              f"{t.speedup:>8.1f}x {t.prefill_s:>10.3f}")  # fmt: skip


def print_memory(smollm2: GPTConfig | None) -> None:
    print("\nKV-cache memory: 2 x layers x kv_heads x head_dim x bytes per token of one sequence")
    # (model, layers, kv_heads, head_dim, bytes per number, context)
    ours = SHAKESPEARE
    rows = [("our Shakespeare GPT, float32", ours.n_layer, ours.kv_heads, ours.head_dim, 4, 256)]
    if smollm2 is not None:
        shape = (smollm2.n_layer, smollm2.kv_heads, smollm2.head_dim)
        rows += [("SmolLM2-135M, float32 (as run here)", *shape, 4, smollm2.context),
                 ("SmolLM2-135M, bfloat16", *shape, 2, smollm2.context)]  # fmt: skip
    llama = (LLAMA_3_70B["n_layer"], LLAMA_3_70B["kv_heads"], LLAMA_3_70B["head_dim"])
    rows += [
        ("Llama-3-70B, bfloat16", *llama, 2, 8192),
        ("Llama-3-70B if it had no GQA (64 kv heads)", llama[0], 64, llama[2], 2, 8192),
    ]
    print(f"{'model':>42s} {'bytes/token':>12s} {'MiB per 1k tokens':>18s} "
          f"{'GiB at full context':>20s}")  # fmt: skip
    for name, layers, heads, dim, b, context in rows:
        per_token = kv_bytes_per_token(layers, heads, dim, b)
        print(f"{name:>42s} {per_token:>12,d} {per_token * 1000 / 2**20:>18.1f} "
              f"{per_token * context / 2**30:>12.3f} ({context})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--new-tokens", type=int, default=16)
    parser.add_argument("--lengths", type=int, nargs="+", default=[16, 64, 128, 192, 240])
    parser.add_argument("--smollm2-lengths", type=int, nargs="+", default=[16, 64, 256, 512, 1024])
    parser.add_argument("--smollm2-new-tokens", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3, help="keep the fastest of this many")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"{cpu_description()}, {os.cpu_count()} CPUs ({args.threads} threads), python "
          f"{platform.python_version()}, torch {torch.__version__}; float32, batch 1")  # fmt: skip

    torch.manual_seed(0)
    ours = GPT(SHAKESPEARE).eval()
    print_table(
        f"our GPT, nanoGPT's Shakespeare size ({ours.num_parameters()['total'] / 1e6:.1f} M "
        f"parameters, random weights)",
        fastest(ours, args.lengths, args.new_tokens, args.repeats),
    )
    try:
        smol = pretrained.load_smollm2()
    except pretrained.ModelNotInstalledError as err:
        print(f"\nSmolLM2 skipped: {err}")
        smol = None
    if smol is not None:
        print_table(
            "SmolLM2-135M-Instruct",
            fastest(smol.model, args.smollm2_lengths, args.smollm2_new_tokens, args.repeats),
        )
    print_memory(smol.model.cfg if smol is not None else None)


if __name__ == "__main__":
    main()
