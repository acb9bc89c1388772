"""Pretraining a GPT (helpers/transformer/gpt.py) on one long stream of token ids.

    model = GPT(GPTConfig.gpt2_style(vocab_size=77, context=64))
    history = train_gpt(model, train_ids, valid_ids, TrainConfig(tokens=1_000_000, lr=3e-3))
    evaluate_tokens(model, valid_ids, context=64)      # mean nats per token on the whole split

Each step reads a batch of windows at random places in the training stream and learns to predict
every next token in them. The recipe is GPT-2's, as in nanoGPT: AdamW with decay on the weight
matrices only, a linear warmup then a cosine decay of the learning rate to a floor, gradient
clipping by global norm. Optionally Muon (Jordan et al. 2024) updates the hidden matrices.
The budget is a number of tokens (deterministic) or of seconds (machine-dependent); evaluation
runs at intervals, and a checkpoint file makes a run resumable exactly, bit for bit.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from helpers.neural.train import History
from helpers.pretraining.checkpoints import load_training_state, save_training_state
from helpers.pretraining.muon import Muon
from helpers.transformer.gpt import GPT

LossFn = Callable[[GPT, torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class TrainConfig:
    """A training recipe. Defaults are nanoGPT's CPU recipe for Shakespeare (train.py + README)."""

    batch_size: int = 12
    context: int = 64  # tokens per window; at most the model's context
    tokens: int | None = 1_536_000  # token budget: steps = ceil(tokens / (batch_size * context))
    seconds: float | None = None  # time budget for the steps (evaluations not counted)
    lr: float = 1e-3  # peak learning rate (AdamW's)
    min_lr: float = 1e-4  # the floor the cosine decays to
    warmup: int = 100  # steps of linear warmup
    weight_decay: float = 0.1
    betas: tuple[float, float] = (0.9, 0.99)
    grad_clip: float | None = 1.0  # max global gradient norm; None: no clipping
    optimizer: Literal["adamw", "muon"] = "adamw"  # muon: Muon for hidden matrices, AdamW rest
    muon_lr: float = 0.02  # Muon's peak learning rate, scaled by the same schedule
    # Newton-Schulz's precision: "auto" is float32 on a CPU (bfloat16 is ~100x slower on CPUs
    # without bfloat16 instructions, as most laptops are) and bfloat16 on a GPU
    muon_precision: Literal["auto", "float32", "bfloat16"] = "auto"
    eval_every: int = 250  # steps between evaluations (and at the last step)
    eval_tokens: int | None = 32_768  # tokens of each split per evaluation; None: whole splits
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("batch_size", "context", "eval_every"):
            _check_positive_int(name, getattr(self, name))
        if self.tokens is None and self.seconds is None:
            raise ValueError("give a budget: tokens or seconds (or both; the first reached ends)")
        if self.tokens is not None:
            _check_positive_int("tokens", self.tokens, "the token budget")
        if self.seconds is not None and not self.seconds > 0:
            raise ValueError(f"seconds (the time budget) must be > 0, got {self.seconds!r}")
        if self.eval_tokens is not None:
            _check_positive_int("eval_tokens", self.eval_tokens)
        if not 0 <= self.min_lr <= self.lr or not self.muon_lr > 0:
            raise ValueError(f"need 0 <= min_lr <= lr and muon_lr > 0, got {self}")
        if self.warmup < 0 or self.weight_decay < 0:
            raise ValueError("warmup and weight_decay must be >= 0")
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise ValueError(f"grad_clip must be None or > 0, got {self.grad_clip}")
        if self.optimizer not in ("adamw", "muon"):
            raise ValueError(f"optimizer must be 'adamw' or 'muon', got {self.optimizer!r}")
        if self.muon_precision not in ("auto", "float32", "bfloat16"):
            raise ValueError(
                f"muon_precision must be 'auto', 'float32' or 'bfloat16', got "
                f"{self.muon_precision!r}"
            )

    @property
    def steps(self) -> int | None:
        """Steps of the token budget (None if only a time budget is set)."""
        if self.tokens is None:
            return None
        return math.ceil(self.tokens / (self.batch_size * self.context))


def _check_ids(name: str, tokens: object) -> None:
    if not isinstance(tokens, torch.Tensor) or tokens.ndim != 1 or tokens.dtype != torch.long:
        raise TypeError(f"{name} must be a 1-D torch.long tensor of ids")


def _check_positive_int(name: str, value: object, what: str = "") -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        label = f"{name} ({what})" if what else name
        raise ValueError(f"{label} must be a positive int, got {value!r}")


@dataclass
class GPTHistory(History):
    """helpers.neural.train.History (losses at evaluations) plus what a pretraining run measures.

    train_loss and valid_loss are estimated at each evaluation on fixed random windows of each
    split (`eval_tokens` tokens each, the same windows every time); final_valid_loss is the whole
    validation split (evaluate_tokens)."""

    tokens: list[int] = field(default_factory=list)  # tokens seen at each evaluation
    batch_loss: list[float] = field(default_factory=list)  # every step's training-batch loss
    seconds: float = 0.0  # wall time of the training steps, evaluations excluded
    tokens_seen: int = 0
    final_valid_loss: float = math.nan


def random_windows(
    tokens: torch.Tensor, batch_size: int, context: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of windows at uniformly random places in `tokens` (N,): inputs x and targets y,
    each (batch_size, context), where y is x shifted by one (y[b, t] = tokens[start_b + t + 1])."""
    _check_ids("tokens", tokens)
    _check_positive_int("batch_size", batch_size)
    _check_positive_int("context", context)
    if len(tokens) <= context:
        raise ValueError(f"tokens ({len(tokens)}) must be longer than context ({context})")
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
    starts = torch.randint(0, len(tokens) - context, (batch_size, 1), generator=generator)
    positions = starts + torch.arange(context)  # (B, T)
    return tokens[positions], tokens[positions + 1]


def lr_at(step: int, total_steps: int, warmup: int, lr: float, min_lr: float) -> float:
    """The learning rate of step `step` (counted from 0) of `total_steps`.

    Steps 0..warmup-1 rise linearly to lr (step s gets lr * (s + 1) / warmup); then a cosine
    falls from lr at step `warmup` to min_lr at the last step, total_steps - 1, and stays there.
    """
    if step < 0 or total_steps < 1 or warmup < 0:
        raise ValueError(
            f"need step >= 0, total_steps >= 1, warmup >= 0; got {step}, {total_steps}, {warmup}"
        )
    if not 0 <= min_lr <= lr:
        raise ValueError(f"need 0 <= min_lr <= lr, got min_lr={min_lr}, lr={lr}")
    if step < warmup:
        return lr * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total_steps - 1 - warmup))
    return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * progress))


def split_parameters(model: nn.Module) -> dict[str, dict[str, nn.Parameter]]:
    """The model's parameters by how they are optimised, name -> parameter in each group:

    - "matrices": weights of the linear layers inside the blocks (decayed; Muon's, if chosen);
    - "head": the output layer's weight when it is not tied to the embeddings (decayed, AdamW);
    - "other": embeddings (and a tied head), norms and biases: not decayed (as in GPT-2's and
      nanoGPT's recipes, decay would pull scales and offsets toward zero for no benefit).
    """
    embeddings = {id(m.weight) for m in model.modules() if isinstance(m, nn.Embedding)}
    linear = {id(m.weight) for m in model.modules() if isinstance(m, nn.Linear)}
    groups: dict[str, dict[str, nn.Parameter]] = {"matrices": {}, "head": {}, "other": {}}
    for name, p in model.named_parameters():  # a tied matrix is listed once
        if id(p) in embeddings or id(p) not in linear:
            groups["other"][name] = p
        elif name.startswith("head."):
            groups["head"][name] = p
        else:
            groups["matrices"][name] = p
    return groups


def make_optimizers(model: nn.Module, cfg: TrainConfig) -> list[torch.optim.Optimizer]:
    """AdamW over parameter groups (decay on matrices only); with cfg.optimizer == "muon", Muon
    takes the hidden matrices and AdamW the rest. Each group remembers its peak lr."""
    groups = split_parameters(model)
    decayed = list(groups["head"].values())
    optimizers = []
    if cfg.optimizer == "muon":
        # Muon replaces each matrix's momentum by about the nearest orthogonal matrix, every
        # direction at the same step size, scaled to the RMS of an AdamW update (helpers.
        # pretraining.muon). q, k and v are one fused (3C, C) matrix here, orthogonalised together.
        precision = {"auto": "auto", "float32": torch.float32, "bfloat16": torch.bfloat16}
        muon = Muon(
            list(groups["matrices"].values()),
            lr=cfg.muon_lr,
            weight_decay=cfg.weight_decay,
            ns_dtype=precision[cfg.muon_precision],
        )
        optimizers.append(muon)
    else:
        decayed += list(groups["matrices"].values())
    adamw = torch.optim.AdamW(
        [
            {"params": decayed, "weight_decay": cfg.weight_decay},
            {"params": list(groups["other"].values()), "weight_decay": 0.0},
        ],
        lr=cfg.lr,
        betas=cfg.betas,
        foreach=True,
    )
    optimizers.append(adamw)
    for opt in optimizers:
        for group in opt.param_groups:
            group["initial_lr"] = group["lr"]
    return optimizers


def clip_gradients(parameters: list[nn.Parameter], max_norm: float) -> float:
    """Scale all gradients by one factor so their global L2 norm is at most max_norm.

    The global norm is sqrt(sum of every gradient entry squared), over all parameters together:
    clipping keeps the update's direction and only shortens it. Returns the norm before clipping.
    """
    if not max_norm > 0:
        raise ValueError(f"max_norm must be > 0, got {max_norm}")
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return 0.0
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
    scale = torch.clamp(max_norm / (norm + 1e-6), max=1.0)  # 1e-6 as torch: no 0/0
    for g in grads:
        g.mul_(scale)
    return float(norm)


def _check_context(model: GPT, context: int) -> None:
    _check_positive_int("context", context)
    if context > model.cfg.context:
        raise ValueError(
            f"context {context} is longer than the model's context ({model.cfg.context}): "
            f"use context <= {model.cfg.context} or a model built with a longer one"
        )


@torch.no_grad()
def _loss_sum(model: GPT, x: torch.Tensor, y: torch.Tensor, batch_size: int = 64) -> float:
    """Summed cross-entropy (nats) of model on windows x, y (W, T), in chunks of batch_size,
    in eval mode (dropout off); the model's mode is restored."""
    was_training = model.training
    model.eval()
    total = 0.0
    for start in range(0, len(x), batch_size):
        logits, _ = model(x[start : start + batch_size])
        loss = F.cross_entropy(
            logits.flatten(0, 1), y[start : start + batch_size].flatten(), reduction="sum"
        )
        total += float(loss)
    model.train(was_training)
    return total


def evaluate_tokens(model: GPT, tokens: torch.Tensor, context: int, batch_size: int = 64) -> float:
    """Mean loss in nats per token of `model` predicting every token of `tokens` (N,) but the
    first, i.e. over the WHOLE split.

    The stream is cut into non-overlapping windows of `context` tokens (the last one shorter),
    each read from its own start: a token early in a window sees less context than it could, so
    this is a little above a sliding-window evaluation, but every token is scored exactly once.
    Runs in eval mode (dropout off) and restores the model's mode.
    """
    _check_ids("tokens", tokens)
    if len(tokens) < 2:
        raise ValueError(f"tokens must hold at least 2 ids to predict one, got {len(tokens)}")
    _check_context(model, context)
    _check_positive_int("batch_size", batch_size)
    n = len(tokens) - 1  # predictions
    full = n // context * context
    total = _loss_sum(
        model, tokens[:full].view(-1, context), tokens[1 : full + 1].view(-1, context), batch_size
    )
    if full < n:  # the remainder, one shorter window
        total += _loss_sum(model, tokens[full:-1][None], tokens[full + 1 :][None])
    return total / n


def _fixed_windows(tokens: torch.Tensor, n_tokens: int | None, context: int, seed: int):
    """The windows one evaluation reads: n_tokens // context random ones, the same every time."""
    if n_tokens is None:
        return None
    generator = torch.Generator().manual_seed(seed)
    return random_windows(tokens, max(1, n_tokens // context), context, generator)


def _estimate(model: GPT, tokens: torch.Tensor, windows, context: int) -> float:
    if windows is None:
        return evaluate_tokens(model, tokens, context)
    x, y = windows
    return _loss_sum(model, x, y) / y.numel()


def _default_loss(model: GPT, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return model(x, y)[1]


def train_gpt(
    model: GPT,
    train_tokens: torch.Tensor,
    valid_tokens: torch.Tensor,
    config: TrainConfig,
    *,
    on_eval: Callable[[GPTHistory], None] | None = None,
    progress: bool = True,
    loss_fn: LossFn | None = None,
    checkpoint: str | Path | None = None,
    stop_after: int | None = None,
    final_eval: bool = True,
) -> GPTHistory:
    """Train `model` on random windows of `train_tokens` (N,) for the budget of `config`.

    - loss_fn(model, x, y) -> scalar replaces the plain next-token cross-entropy (x, y: (B, T));
    - on_eval(history) runs after each evaluation (a helpers.neural.train.LiveLossPlot, a sampler);
    - checkpoint: a file path. If it exists the run resumes from it exactly; the state is saved
      there at every evaluation and at the end;
    - stop_after: stop after this many steps with the schedule unchanged (to split a run);
    - final_eval: score the whole validation split at the end (history.final_valid_loss; NaN
      when False or when stopped by stop_after). Costs a forward pass over the split.
    Seeds torch's global generator (dropout) and the window generator with config.seed; the
    model's initialisation is the caller's. Deterministic for a seed and a thread count with a
    token budget; a time budget ends, and shapes the schedule, by the clock. Returns the
    GPTHistory; the model is left in eval mode.
    """
    _check_inputs(model, train_tokens, valid_tokens, config)
    loss_fn = loss_fn or _default_loss
    torch.manual_seed(config.seed)  # dropout masks
    generator = torch.Generator().manual_seed(config.seed)
    optimizers = make_optimizers(model, config)
    params = [p for g in split_parameters(model).values() for p in g.values()]
    history, step = GPTHistory(), 0
    if checkpoint is not None and Path(checkpoint).exists():
        extra = load_training_state(
            checkpoint, model, optimizers, generator, train_config=asdict(config)
        )
        history, step = GPTHistory(**extra["history"]), extra["step"]
    windows = [
        _fixed_windows(t, config.eval_tokens, config.context, config.seed + 1)
        for t in (train_tokens, valid_tokens)
    ]

    def finished() -> bool:
        out_of_tokens = config.steps is not None and step >= config.steps
        return out_of_tokens or (config.seconds is not None and history.seconds >= config.seconds)

    last = config.steps if stop_after is None else min(stop_after, config.steps or stop_after)
    bar = tqdm(total=last, initial=step, disable=not progress, desc="training", leave=False)
    model.train()
    while not finished() and (last is None or step < last):
        started = time.perf_counter()
        _set_lr(optimizers, _lr_factor(config, step, history.seconds))
        x, y = random_windows(train_tokens, config.batch_size, config.context, generator)
        loss = loss_fn(model, x, y)
        for opt in optimizers:
            opt.zero_grad(set_to_none=True)
        loss.backward()
        if config.grad_clip is not None:
            clip_gradients(params, config.grad_clip)
        for opt in optimizers:
            opt.step()
        step += 1
        history.batch_loss.append(loss.item())
        history.seconds += time.perf_counter() - started
        history.tokens_seen = step * config.batch_size * config.context
        bar.update(1)
        bar.set_postfix(loss=f"{history.batch_loss[-1]:.3f}", refresh=False)
        if step % config.eval_every == 0 or finished():
            _record_eval(model, history, step, (train_tokens, valid_tokens), windows, config)
            if on_eval is not None:
                on_eval(history)
        if checkpoint is not None and (step % config.eval_every == 0 or finished() or step == last):
            save_training_state(
                checkpoint,
                model,
                optimizers,
                generator,
                step=step,
                train_config=asdict(config),
                history=asdict(history),
            )
    bar.close()
    if final_eval and finished():
        history.final_valid_loss = evaluate_tokens(model, valid_tokens, config.context)
    model.eval()
    return history


def _check_inputs(model: GPT, train_tokens, valid_tokens, config: TrainConfig) -> None:
    if not isinstance(model, GPT):
        raise TypeError(f"model must be a helpers.transformer.gpt.GPT, got {type(model).__name__}")
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    _check_context(model, config.context)
    for name, tokens in (("train_tokens", train_tokens), ("valid_tokens", valid_tokens)):
        _check_ids(name, tokens)
        if len(tokens) <= config.context:
            raise ValueError(f"{name} ({len(tokens)} ids) must be longer than the context")


def _lr_factor(config: TrainConfig, step: int, elapsed: float) -> float:
    """The schedule's learning rate at `step` as a fraction of the peak. With a time budget the
    run's length is extrapolated from the pace so far (the steps that fit in the time left)."""
    total = config.steps
    if config.seconds is not None and step > 0:
        paced = math.ceil(step * config.seconds / elapsed)
        total = paced if total is None else min(total, paced)
    total = max(total or 1, step + 1)
    return lr_at(step, total, config.warmup, 1.0, config.min_lr / config.lr)


def _set_lr(optimizers: list[torch.optim.Optimizer], factor: float) -> None:
    for opt in optimizers:
        for group in opt.param_groups:
            group["lr"] = group["initial_lr"] * factor


def _record_eval(model: GPT, history: GPTHistory, step: int, splits, windows, config) -> None:
    history.steps.append(step)
    history.tokens.append(history.tokens_seen)
    train, valid = (
        _estimate(model, t, w, config.context) for t, w in zip(splits, windows, strict=True)
    )
    history.train_loss.append(train)
    history.valid_loss.append(valid)
    if history.valid_loss[-1] < history.best_valid_loss:
        history.best_valid_loss, history.best_step = history.valid_loss[-1], step
