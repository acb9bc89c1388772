"""Pretraining speed, side by side: nanoGPT's CPU recipe in our code against our fastest
configuration, on our Shakespeare training split, both scored on the whole validation split.

    python benchmarks/bench_pretrain.py                 # about 4 minutes on 2 idle cores
    python benchmarks/bench_pretrain.py --no-ablation   # the two main runs only

Goal (issue 13): "fast" reaches nanogpt-cpu's validation loss in at most half its wall time.
Throughput is reported as tokens/s and as achieved GFLOP/s, training FLOPs per token
(helpers.transformer.flops: 6 x matmul weights, unembedding included, + 12 x layers x context x
width for attention) times tokens/s, against the fp32 matrix-multiply ceiling of this machine
measured in the same run with the same thread count (the best of square GEMMs of 1024 and 2048): a
model-FLOPs utilisation (MFU). The header prints the CPU's vector extensions and a 512 x 512
product in float32 and in bfloat16: without bfloat16 instructions (AVX2-only CPUs, most laptops)
bfloat16 is about 100x slower, which is why our Muon (helpers.pretraining.muon) runs
Newton-Schulz in float32 on a CPU; an ablation row measures torch's bfloat16 way. Wall time counts
the training steps only
(helpers.pretraining.trainer's `seconds`): the final evaluation is the same for both. The ablation
removes one of fast's changes at a time, at fast's own budget, to say which change bought what.
Timings are noisy on a shared machine: the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace

import torch

from helpers.device import cpu_description
from helpers.pretraining.recipes import Recipe, recipe
from helpers.pretraining.trainer import train_gpt
from helpers.tokens.char_tokens import shakespeare_tokens
from helpers.transformer.flops import flops_per_token
from helpers.transformer.gpt import GPT, GPTConfig


def gemm_rate(n: int, dtype: torch.dtype = torch.float32, repeats: int = 5) -> float:
    """The best rate (GFLOP/s) of `repeats` n x n matrix products in `dtype`, after a warm-up."""
    a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
    a @ b
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = max(best, 2 * n**3 / (time.perf_counter() - start) / 1e9)
    return best


def gemm_ceiling() -> float:
    """The best fp32 matrix-multiply rate (GFLOP/s) of square products of 1024 and 2048."""
    return max(gemm_rate(n) for n in (1024, 2048))


def gemm_rates(n: int = 512) -> dict[torch.dtype, float]:
    """GFLOP/s of an n x n product in float32 and in bfloat16: the sizes of Muon's Newton-Schulz
    products, on CPUs with and without bfloat16 instructions."""
    return {dtype: gemm_rate(n, dtype, repeats=3) for dtype in (torch.float32, torch.bfloat16)}


def run(r: Recipe, train_ids: torch.Tensor, valid_ids: torch.Tensor) -> dict[str, float]:
    """Train one recipe (no evaluations on the way) and measure it."""
    cfg = replace(r.train, eval_every=10**9)  # only the final whole-split evaluation
    torch.manual_seed(cfg.seed)
    model = GPT(r.model)
    history = train_gpt(model, train_ids, valid_ids, cfg, progress=False)
    tokens_per_s = history.tokens_seen / history.seconds
    flops = flops_per_token(r.model, cfg.context).training
    return {
        "val": history.final_valid_loss,
        "seconds": history.seconds,
        "tokens": history.tokens_seen,
        "tokens_per_s": tokens_per_s,
        "gflops": flops * tokens_per_s / 1e9,
        "params": model.num_parameters()["total"],
    }


def ablations(fast: Recipe, nano: Recipe) -> dict[str, Recipe]:
    """fast with one of its changes undone at a time (the rest kept, the token budget kept), and
    two changes it does not make."""
    m, t = fast.model, fast.train
    llama = GPTConfig.llama_style(
        vocab_size=m.vocab_size,
        context=m.context,
        n_layer=m.n_layer,
        n_head=m.n_head,
        d_model=m.d_model,
    )
    return {
        "- Muon (AdamW for every matrix, lr 3e-3)": replace(
            fast, train=replace(t, optimizer="adamw", lr=3e-3, min_lr=3e-4)
        ),
        "- high lr (embeddings, norms at nanoGPT's 1e-3)": replace(
            fast, train=replace(t, lr=nano.train.lr, min_lr=nano.train.min_lr)
        ),
        "- batch 32 (nanoGPT's 12, 2.7x the steps)": replace(
            fast, train=replace(t, batch_size=nano.train.batch_size)
        ),
        "- 1 layer (nanoGPT's 4)": replace(fast, model=replace(m, n_layer=nano.model.n_layer)),
        "+ Llama blocks (RoPE, RMSNorm, SwiGLU)": replace(fast, model=llama),
        "+ Newton-Schulz in bfloat16 (torch.optim.Muon's)": replace(
            fast, train=replace(t, muon_precision="bfloat16")
        ),
        "+ a second layer, 600k tokens": replace(
            fast, model=replace(m, n_layer=2), train=replace(t, tokens=600_000)
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-ablation", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(
        f"{cpu_description()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
        f"{args.threads} threads; load average {os.getloadavg()[0]:.1f}"
    )
    train_ids, valid_ids = shakespeare_tokens("train"), shakespeare_tokens("valid")
    ceiling = gemm_ceiling()
    rates = gemm_rates()
    ratio = rates[torch.float32] / rates[torch.bfloat16]
    verdict = (
        f"bfloat16 {ratio:.0f}x slower: no bfloat16 instructions" if ratio > 1.5
        else f"bfloat16 {1 / ratio:.1f}x as fast: this CPU computes bfloat16 in hardware"
    )  # fmt: skip
    print(
        f"fp32 GEMM ceiling: {ceiling:.0f} GFLOP/s; 512 x 512 products: float32 "
        f"{rates[torch.float32]:.1f} GFLOP/s, bfloat16 {rates[torch.bfloat16]:.1f} GFLOP/s "
        f"({verdict})"
    )
    runs = {"nanogpt-cpu": recipe("nanogpt-cpu"), "fast": recipe("fast")}
    # Comparable losses: the same split, scored with windows of the same length.
    assert runs["fast"].train.context == runs["nanogpt-cpu"].train.context
    if not args.no_ablation:
        runs |= ablations(runs["fast"], runs["nanogpt-cpu"])
    results = {}
    header = f"{'run':56} {'val':>6} {'seconds':>8} {'tokens':>10} {'tok/s':>7} {'GFLOP/s':>8} MFU"
    print(header)
    for name, r in runs.items():
        res = results[name] = run(r, train_ids, valid_ids)
        print(
            f"{name:56} {res['val']:6.3f} {res['seconds']:8.1f} {res['tokens']:10,} "
            f"{res['tokens_per_s']:7.0f} {res['gflops']:8.1f} {res['gflops'] / ceiling:4.0%}",
            flush=True,
        )
    nano, fast = results["nanogpt-cpu"], results["fast"]
    ratio = nano["seconds"] / fast["seconds"]
    reached = fast["val"] <= nano["val"]
    print(
        f"fast vs nanogpt-cpu: {ratio:.2f}x less wall time, val {fast['val']:.3f} vs "
        f"{nano['val']:.3f} ({'reached' if reached else 'NOT reached'}); goal: >= 2x and reached "
        f"-> {'met' if ratio >= 2 and reached else 'NOT met'}"
    )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
