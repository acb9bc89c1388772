"""The protocol of notebook 07's miniature scaling study, and one run of it.

Character-level Shakespeare, evaluated on whole held-out plays (the validation split); context
64; five model sizes from about 10k to 310k non-embedding parameters (Llama-style blocks); token
budgets of 2^20, 2^21 and 2^22 tokens ("1M, 2M, 4M"); **each run has its own warmup + cosine
schedule decayed to its own budget**; the learning rate of each size is the best of a small sweep
at the smallest budget. scripts/scaling_study.py runs the whole grid into
assets/scaling_study.json; `run_point` re-runs any one point, e.g. live in the notebook:

    record = run_point("xs", tokens=2**20, lr=0.01)     # about 5-10 s on one thread
    record["valid_loss"]                                # equal to the JSON's, for the same lr
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from helpers.pretraining.scaling import non_embedding_parameters
from helpers.pretraining.trainer import TrainConfig, evaluate_tokens, train_gpt
from helpers.tokens.char_tokens import shakespeare_tokens
from helpers.transformer.flops import flops_per_token
from helpers.transformer.gpt import GPT, GPTConfig

CONTEXT = 64
BATCH_SIZE = 32  # windows per step: 2,048 tokens
BUDGETS = (2**20, 2**21, 2**22)  # tokens: 512, 1024 and 2048 steps
LEARNING_RATES = (2.5e-3, 5e-3, 1e-2)  # the sweep, at the smallest budget
WARMUP = 50  # steps (about 100k tokens) for every budget
SEED = 0

# name: (n_layer, d_model, n_head, d_mlp); d_mlp ~ 8/3 d_model, so N ~ 12 n_layer d_model^2
SIZES: dict[str, tuple[int, int, int, int]] = {
    "xs": (2, 20, 2, 52),
    "s": (3, 24, 2, 64),
    "m": (4, 32, 4, 84),
    "l": (5, 48, 4, 128),
    "xl": (5, 72, 6, 192),
}


def model_config(size: str) -> GPTConfig:
    """The GPTConfig of a named size: RoPE, RMSNorm, SwiGLU, no biases, tied embeddings."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {list(SIZES)}, got {size!r}")
    n_layer, d_model, n_head, d_mlp = SIZES[size]
    return GPTConfig.llama_style(
        vocab_size=77, context=CONTEXT, n_layer=n_layer, n_head=n_head, d_model=d_model,
        d_mlp=d_mlp,
    )  # fmt: skip


def train_config(
    tokens: int, lr: float, eval_every: int | None = None, seed: int = SEED
) -> TrainConfig:
    """The recipe of one run: AdamW (decay 0.1 on matrices), warmup then cosine to lr / 10 at
    the end of *this* budget, gradient clipping at 1. `seed` draws the training windows."""
    steps = -(-tokens // (BATCH_SIZE * CONTEXT))
    return TrainConfig(
        batch_size=BATCH_SIZE,
        context=CONTEXT,
        tokens=tokens,
        lr=lr,
        min_lr=lr / 10,
        warmup=WARMUP,
        weight_decay=0.1,
        betas=(0.9, 0.99),
        grad_clip=1.0,
        optimizer="adamw",
        eval_every=eval_every or steps,
        eval_tokens=32_768,
        seed=seed,
    )


def run_point(
    size: str,
    tokens: int,
    lr: float,
    checkpoints: Sequence[int] = (),
    progress: bool = False,
    seed: int = SEED,
) -> dict[str, object]:
    """Train one size for one token budget and learning rate; return its record: the config,
    N (non-embedding parameters), training FLOPs (helpers.transformer.flops, x tokens seen),
    training seconds and "valid_loss", nats per character on the whole validation split.

    `checkpoints`: token counts (whole steps, below `tokens`) at which the whole-split
    validation loss is also measured mid-run ("valid_loss_at"): the pitfall of reading a longer
    run's mid-point instead of a run decayed to that budget. `seed` sets the initial weights
    and the training windows: the study uses SEED; other seeds measure how much a loss moves by
    chance alone (the seed-to-seed spread).
    """
    cfg = model_config(size)
    if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 1:
        raise ValueError(f"tokens (the budget) must be a positive int, got {tokens!r}")
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}")
    per_step = BATCH_SIZE * CONTEXT
    bad = [c for c in checkpoints if c % per_step or not 0 < c < tokens]
    if bad:
        raise ValueError(f"checkpoints must be multiples of {per_step} below tokens, got {bad}")
    train_ids, valid_ids = shakespeare_tokens("train"), shakespeare_tokens("valid")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an int, got {seed!r}")
    torch.manual_seed(seed)
    model = GPT(cfg)
    mid_run: dict[int, float] = {}

    def measure(history) -> None:  # runs at every evaluation; whole split only at checkpoints
        if history.tokens_seen in checkpoints:
            mid_run[history.tokens_seen] = evaluate_tokens(model, valid_ids, CONTEXT)

    every = math.gcd(*(c // per_step for c in checkpoints)) if checkpoints else None
    history = train_gpt(
        model, train_ids, valid_ids, train_config(tokens, lr, every, seed), on_eval=measure,
        progress=progress,
    )  # fmt: skip
    flops = flops_per_token(cfg).training  # attention and the unembedding included
    n_layer, d_model, n_head, d_mlp = SIZES[size]
    return {
        "size": size,
        "n_layer": n_layer,
        "d_model": d_model,
        "n_head": n_head,
        "d_mlp": d_mlp,
        "params": non_embedding_parameters(cfg),
        "lr": lr,
        **({"seed": seed} if seed != SEED else {}),
        "tokens": history.tokens_seen,
        "steps": history.steps[-1],
        "flops_per_token": flops,
        "flops": flops * history.tokens_seen,
        "seconds": history.seconds,
        "valid_loss": history.final_valid_loss,
        "valid_loss_at": {str(t): loss for t, loss in sorted(mid_run.items())},
    }
