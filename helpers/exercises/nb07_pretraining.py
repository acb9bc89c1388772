"""Exercises and review questions of notebook 07, pretraining (numpy versions of the pieces of
helpers.pretraining.trainer and helpers.transformer.flops: the shifted next-token loss, a batch of
random windows, the warmup + cosine schedule, gradient clipping, FLOPs per token; and, in torch, the
myopic attention step of helpers.pretraining.myopic).

Each diagnosis recomputes the typical mistakes on the failing case and names the one the
learner's answer matches, so the advice is about what they actually did. torch is imported
inside the functions that need it: `import helpers` loads every exercise module and must stay
cheap.
"""

from __future__ import annotations

import copy
import inspect
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from helpers.exercises.checking import (
    Case,
    Exercise,
    MultipleChoice,
    NumericAnswer,
    Result,
    Variant,
    describe_mismatch,
    short_repr,
)


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _same(want: Any, got: Any) -> bool:
    """Whether `got` equals a typical mistake's result `want`; a nan or inf result (an overflow)
    matches any other non-finite number."""
    if isinstance(want, float) and not math.isfinite(want):
        try:
            return not math.isfinite(float(got))
        except (TypeError, ValueError):
            return False
    return describe_mismatch(want, got) is None


def _first_match(expected: Any, got: Any, variants: list[Variant]) -> str | None:
    """The advice of the first typical mistake whose result equals `got` (and differs from the
    right answer `expected` on this case, so it can explain the difference)."""
    for compute, advice in variants:
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # e.g. the mean of an empty row, in a mistake
                want = compute()
                if _same(want, got) and not _same(want, expected):
                    return advice
        except Exception:
            continue
    return None


# 07.1 · the shifted next-token loss ------------------------------------------------------------


def next_token_loss(logits, tokens):
    logits, targets = logits[:, :-1], tokens[:, 1:]  # position t predicts token t + 1
    z = logits - logits.max(axis=-1, keepdims=True)  # log-sum-exp trick: no overflow in exp
    log_probs = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))  # (B, T-1, V)
    real = targets != -1  # (B, T-1): padded targets do not count
    picked = np.take_along_axis(log_probs, np.where(real, targets, 0)[..., None], axis=-1)
    return float(-picked[..., 0][real].mean())


def _loss_cases() -> list[Case]:
    r = _rng(71)

    def tokens(lengths, T, V):
        ids = r.integers(0, V, size=(len(lengths), T))
        ids[np.arange(T)[None, :] >= np.asarray(lengths)[:, None]] = -1  # right padding
        return ids

    return [
        Case(
            (r.normal(size=(1, 2, 3)), np.array([[0, 2]])),
            label="logits (1, 2, 3), tokens [[0, 2]] (one prediction)",
        ),
        Case(
            (np.zeros((2, 4, 5)), tokens([4, 4], 4, 5)),
            label="logits all 0 (2, 4, 5), tokens (2, 4) with no padding",
        ),
        Case(
            (r.normal(size=(2, 5, 6)) * 2, tokens([5, 5], 5, 6)),
            label="logits (2, 5, 6), tokens (2, 5) with no padding",
        ),
        Case(
            (r.normal(size=(3, 6, 7)) * 2, tokens([6, 3, 4], 6, 7)),
            label="logits (3, 6, 7), tokens (3, 6) of lengths 6, 3, 4 (the rest is -1)",
        ),
        Case(
            (r.normal(size=(2, 5, 4)) * 3, tokens([5, 1], 5, 4)),
            label="logits (2, 5, 4), tokens (2, 5) of lengths 5 and 1 (row 1 predicts nothing)",
        ),
        Case(
            (r.normal(size=(2, 4, 6)) * 20 + 800, tokens([4, 2], 4, 6)),
            label="logits (2, 4, 6) around 800 (exp overflows), tokens of lengths 4 and 2",
        ),
    ]


def _loss_variants(logits, tokens) -> list[Variant]:
    def log_softmax(z, axis=-1, stable=True):
        if stable:
            z = z - z.max(axis=axis, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))

    def nll(log_probs, targets):  # -log p of each target, a target of -1 picking the last id
        return -np.take_along_axis(log_probs, targets[..., None], axis=-1)[..., 0]

    def per_prediction(log_probs=None, targets=None):
        log_probs = log_softmax(logits[:, :-1]) if log_probs is None else log_probs
        return nll(log_probs, tokens[:, 1:] if targets is None else targets)

    losses, real = per_prediction(), tokens[:, 1:] != -1
    return [
        (
            lambda: float(per_prediction(targets=tokens[:, :-1])[tokens[:, :-1] != -1].mean()),
            "no shift: logits[:, t] predicts the NEXT token, tokens[:, t + 1]; use "
            "logits[:, :-1] with targets tokens[:, 1:].",
        ),
        (
            lambda: float(
                nll(log_softmax(logits), np.where(tokens == -1, 0, tokens))[tokens != -1].mean()
            ),
            "no shift: logits[:, t] predicts the NEXT token, tokens[:, t + 1]; use "
            "logits[:, :-1] with targets tokens[:, 1:].",
        ),
        (
            lambda: float(nll(log_softmax(logits[:, 1:]), tokens[:, :-1]).mean()),
            "shifted the wrong way: logits[:, t] predicts tokens[:, t + 1], so drop the LAST "
            "logits (logits[:, :-1]) and the FIRST tokens (tokens[:, 1:]).",
        ),
        (
            lambda: float(losses.mean()),
            "the padded targets were counted: a target of -1 indexes the last entry of the "
            "vocabulary. Keep only the predictions whose target is not -1.",
        ),
        (
            lambda: float(losses[tokens[:, :-1] != -1].mean()),
            "you masked by the input token; mask by the target (tokens[:, 1:] != -1): the last "
            "real token of a row has a padded target.",
        ),
        (
            lambda: float((losses * real).sum() / real.size),
            "you divided by all B * (T - 1) predictions, padded ones included; divide by the "
            "number of real targets.",
        ),
        (
            lambda: float(
                np.mean([row[keep].mean() for row, keep in zip(losses, real, strict=True)])
            ),
            "that is the mean of each sequence's mean: a short sequence weighs as much as a long "
            "one. Average over all real predictions of the batch at once.",
        ),
        (
            lambda: float(losses[real].sum()),
            "that is the sum; return the mean over the real predictions.",
        ),
        (
            lambda: float(per_prediction(log_softmax(logits, axis=1)[:, :-1])[real].mean()),
            "the softmax ran over the positions (axis 1); it must run over the vocabulary, the "
            "last axis (axis=-1).",
        ),
        (
            lambda: float(per_prediction(log_softmax(logits[:, :-1], axis=1))[real].mean()),
            "the softmax ran over the positions (axis 1); it must run over the vocabulary, the "
            "last axis (axis=-1).",
        ),
        (
            lambda: float(per_prediction(log_softmax(logits[:, :-1], stable=False))[real].mean()),
            "exp overflowed: subtract each row's maximum logit before exp (log-sum-exp); "
            "log_softmax(z) = z - max - log(sum(exp(z - max))).",
        ),
    ]


def _diagnose_loss(case: Case, expected, got) -> str | None:
    return _first_match(expected, got, _loss_variants(*case.args))


# 07.2 · a batch of random windows --------------------------------------------------------------


def sample_windows(tokens, batch_size, context, rng):
    starts = rng.integers(0, len(tokens) - context, size=batch_size)  # (B,)
    positions = starts[:, None] + np.arange(context)  # (B, context)
    return tokens[positions], tokens[positions + 1]  # y is x shifted by one


def _windows_cases() -> list[Case]:
    r = _rng(72)
    return [
        Case((np.arange(20), 1, 4, _rng(1)), label="tokens arange(20), batch 1, context 4, seed 1"),
        Case(
            (np.arange(30) * 10, 4, 8, _rng(2)),
            label="tokens [0, 10, ..., 290], batch 4, context 8, seed 2",
        ),
        Case(
            (r.integers(0, 77, 200), 8, 16, _rng(3)),
            label="200 random ids, batch 8, context 16, seed 3",
        ),
        Case(
            (np.arange(7) + 100, 3, 6, _rng(4)),
            label="tokens [100, ..., 106] (7 ids), batch 3, context 6: only one window fits",
        ),
        Case(
            (np.arange(12), 64, 5, _rng(5)),
            label="tokens arange(12), batch 64, context 5, seed 5: the last start that fits, 6, "
            "is drawn (its y ends at the last token)",
        ),
    ]


def _windows_variants(tokens, batch_size, context, rng) -> list[Variant]:
    n = len(tokens)

    def windows(high=n - context, x_shift=0, y_shift=1, twice=False):
        generator = copy.deepcopy(rng)  # replay the same draws
        x_starts = generator.integers(0, high, size=batch_size)
        y_starts = generator.integers(0, high, size=batch_size) if twice else x_starts
        span = np.arange(context)
        x = tokens[x_starts[:, None] + span + x_shift]
        y = tokens[y_starts[:, None] + span + y_shift]
        return x, y

    return [
        (
            lambda: windows(y_shift=0),
            "y equals x: the target of x[b, t] is the token after it, so y[b, t] = "
            "tokens[start + t + 1].",
        ),
        (
            lambda: windows(x_shift=1, y_shift=0),
            "x and y are swapped: x starts at the drawn start, y one token later.",
        ),
        (
            lambda: windows(high=n - context + 1),
            "the upper bound is off by one: rng.integers(0, len(tokens) - context) (the high end "
            "is excluded), so that y, one token further, still fits.",
        ),
        (
            lambda: windows(high=n - context - 1),
            "the upper bound is one too small: the last window that fits starts at "
            "len(tokens) - context - 1, and rng.integers excludes its high end, so pass "
            "len(tokens) - context.",
        ),
        (
            lambda: windows(twice=True),
            "you drew the starts twice (once for x, once for y): draw them once and take x and y "
            "from the same starts.",
        ),
    ]


def _diagnose_windows(case: Case, expected, got) -> str | None:
    return _first_match(expected, got, _windows_variants(*case.args))


# 07.3 · warmup and cosine decay ----------------------------------------------------------------


def learning_rate(step, total_steps, warmup, lr, min_lr):
    if step < warmup:
        return lr * (step + 1) / warmup  # linear warmup: step warmup - 1 reaches lr
    progress = min(1.0, (step - warmup) / max(1, total_steps - 1 - warmup))  # 0 -> 1, then 1
    return min_lr + 0.5 * (lr - min_lr) * (1 + np.cos(np.pi * progress))


def _lr_cases() -> list[Case]:
    def case(step, total, warmup, lr=1e-3, min_lr=1e-4, note=""):
        label = f"step {step} of {total}, warmup {warmup}, lr {lr:g}, min_lr {min_lr:g}{note}"
        return Case((step, total, warmup, lr, min_lr), label=label)

    return [
        case(10, 100, 10, note=" (the first step after warmup)"),
        case(0, 100, 0, note=" (no warmup)"),
        case(55, 101, 10, note=" (half way through the decay)"),
        case(30, 100, 0, min_lr=0.0),
        case(3, 100, 10),
        case(0, 100, 10, note=" (the first step)"),
        case(40, 100, 10),
        case(99, 100, 10, note=" (the last step)"),
        case(120, 100, 10, note=" (past the end)"),
        case(9, 100, 10, lr=3e-3, min_lr=3e-4, note=" (the last warmup step)"),
    ]


def _lr_variants(step, total_steps, warmup, lr, min_lr) -> list[Variant]:
    def cosine(progress, floor=min_lr):
        return floor + 0.5 * (lr - floor) * (1 + math.cos(math.pi * progress))

    def schedule(decay, warm=lambda s: lr * (s + 1) / warmup, last=warmup):
        return warm(step) if step < last else decay

    progress = min(1.0, (step - warmup) / max(1, total_steps - 1 - warmup))
    return [
        (
            lambda: schedule(cosine(progress), warm=lambda s: lr * s / warmup),
            "the warmup starts at 0: step 0 would not move the weights at all. Step s of the "
            "warmup gets lr * (s + 1) / warmup, so step warmup - 1 reaches lr.",
        ),
        (
            lambda: schedule(cosine(progress), warm=lambda s: lr * (s + 1) / (warmup + 1)),
            "the warmup reaches lr only at step warmup; step s < warmup gets lr * (s + 1) / "
            "warmup, which is lr at step warmup - 1.",
        ),
        (
            lambda: schedule(cosine(progress), last=warmup + 1),
            "step `warmup` is the first step of the cosine (lr itself): warm up only while "
            "step < warmup.",
        ),
        (
            lambda: schedule(cosine(progress, floor=0.0)),
            "the cosine falls to 0; it must fall to min_lr: min_lr + 0.5 (lr - min_lr) (1 + "
            "cos(pi progress)).",
        ),
        (
            lambda: schedule(cosine(min(1.0, step / max(1, total_steps - 1)))),
            "the cosine runs over all total_steps; it starts after the warmup: progress = (step "
            "- warmup) / (total_steps - 1 - warmup).",
        ),
        (
            lambda: schedule(cosine(min(1.0, (step - warmup) / (total_steps - warmup)))),
            "the decay ends one step late: it reaches min_lr at the last step, total_steps - 1, "
            "so progress = (step - warmup) / (total_steps - 1 - warmup).",
        ),
        (
            lambda: schedule(lr - (lr - min_lr) * progress),
            "that is a linear decay; it follows half a cosine: min_lr + 0.5 (lr - min_lr) (1 + "
            "cos(pi progress)).",
        ),
        (
            lambda: schedule(cosine((step - warmup) / max(1, total_steps - 1 - warmup))),
            "past the last step the cosine came back up: clip the progress at 1 (min(1.0, ...)) "
            "so the rate stays at min_lr.",
        ),
    ]


def _diagnose_lr(case: Case, expected, got) -> str | None:
    return _first_match(expected, got, _lr_variants(*case.args))


# 07.4 · clipping gradients by their global norm ------------------------------------------------


def clip_by_global_norm(grads, max_norm):
    total_norm = np.sqrt(sum(np.sum(g**2) for g in grads))  # one norm over every entry
    scale = max_norm / (total_norm + 1e-6)  # torch's rule: the 1e-6 avoids 0 / 0
    if scale < 1:
        return [g * scale for g in grads], float(total_norm)
    return [g.copy() for g in grads], float(total_norm)


def _clip_cases() -> list[Case]:
    r = _rng(74)
    return [
        Case(([np.array([0.3, -0.4])], 1.0), label="one gradient [0.3, -0.4] (norm 0.5), max 1"),
        Case(([np.array([3.0, 4.0])], 1.0), label="one gradient [3, 4] (norm 5), max 1"),
        Case(
            ([np.array([[0.1, 0.2], [0.0, -0.2]]), np.array([0.1, -0.1])], 1.0),
            label="two gradients, each small and together small (global norm 0.34), max 1",
        ),
        Case(
            ([np.array([0.6, 0.6]), np.full((2, 2), 0.35), np.array([-0.5])], 1.0),
            label="three gradients, each of norm < 1 but global norm 1.25, max 1",
        ),
        Case(
            ([r.normal(size=(3, 4)) * 0.1, r.normal(size=5) * 0.1], 2.0),
            label="two gradients (3, 4) and (5,), global norm 0.46, max 2",
        ),
        Case(
            ([r.normal(size=(4, 3)), r.normal(size=(2, 3, 2)), r.normal(size=3)], 0.5),
            label="three random gradients (4, 3), (2, 3, 2), (3,), global norm 5.2, max 0.5",
        ),
        Case(
            ([np.array([2e-6, -1e-6]), np.array([2e-6])], 1e-6),
            label="tiny gradients, global norm 3e-6, max 1e-6 (the 1e-6 in the rule matters)",
        ),
        Case(([np.zeros(3), np.zeros((2, 2))], 1.0), label="all-zero gradients, max 1"),
    ]


def _clip_variants(grads, max_norm) -> list[Variant]:
    def norm(gs, order=2):
        if order == "max":
            return float(max(np.abs(g).max() for g in gs))
        if order == "sum of norms":
            return float(sum(np.sqrt(np.sum(g**2)) for g in gs))
        squares = float(sum(np.sum(g**2) for g in gs))
        return squares if order == "squared" else math.sqrt(squares)

    def clip(total, eps=1e-6, always=False, report=None):
        scale = max_norm / (total + eps)
        clipped = [g * scale for g in grads] if always or scale < 1 else [g for g in grads]
        return clipped, total if report is None else report(clipped)

    def per_tensor():
        pieces = [clip_by_global_norm([g], max_norm) for g in grads]
        return [p[0][0] for p in pieces], norm(grads)

    total = norm(grads)
    return [
        (
            per_tensor,
            "you clipped each gradient by its own norm; the rule uses one global norm over all "
            "of them together (the square root of the sum of every entry squared), and one scale "
            "for all, so the update keeps its direction.",
        ),
        (
            lambda: clip(total, always=True),
            "you always rescaled to max_norm, which also scales small gradients UP; clip only "
            "when the scale max_norm / (norm + 1e-6) is below 1.",
        ),
        (
            lambda: clip(norm(grads, "max")),
            "that norm is the largest |entry| (the max norm); use the L2 norm: the square root "
            "of the sum of every entry squared.",
        ),
        (
            lambda: clip(norm(grads, "sum of norms")),
            "you added up the gradients' norms; the global norm is sqrt(sum of their squared "
            "norms), as if all gradients were one long vector.",
        ),
        (
            lambda: clip(norm(grads, "squared")),
            "the norm is the square root of the sum of squares: take np.sqrt.",
        ),
        (
            lambda: clip(total, eps=0.0),
            "the scale is max_norm / (norm + 1e-6), as in torch.nn.utils.clip_grad_norm_; "
            "without the 1e-6 it differs for tiny norms (and divides by 0 for zero gradients).",
        ),
        (
            lambda: clip(total, report=norm),
            "return the norm BEFORE clipping (it is what you log to watch for spikes); you "
            "returned the norm of the clipped gradients.",
        ),
    ]


def _diagnose_clip(case: Case, expected, got) -> str | None:
    return _first_match(expected, got, _clip_variants(*case.args))


# 07.5 · training FLOPs per token ---------------------------------------------------------------


def training_flops_per_token(n_layer, d_model, context, vocab_size):
    blocks = 12 * n_layer * d_model**2  # per block 4 d^2 (q, k, v, out) + 8 d^2 (MLP 4x)
    unembedding = d_model * vocab_size  # the logits: a d_model x vocab matrix product
    attention = 12 * n_layer * context * d_model  # scores q.k and the weighted sum of values
    return 6 * (blocks + unembedding) + attention  # forward 2 per weight, backward 4


def _flops_cases() -> list[Case]:
    def case(L, d, T, V, note=""):
        return Case((L, d, T, V), label=f"n_layer {L}, d_model {d}, context {T}, vocab {V}{note}")

    return [
        case(1, 8, 4, 10),
        case(2, 32, 16, 77),
        case(4, 128, 64, 77, " (nanoGPT's CPU recipe)"),
        case(6, 384, 256, 65, " (nanoGPT's Shakespeare GPU recipe)"),
        case(12, 768, 1024, 50257, " (GPT-2 small)"),
    ]


def _flops_variants(n_layer, d_model, context, vocab_size) -> list[Variant]:
    L, d, T, V = n_layer, d_model, context, vocab_size
    N, attention = 12 * L * d**2, 12 * L * T * d
    return [
        (
            lambda: 6 * (N + d * V),
            "the attention term is missing: each token's scores and weighted values cost "
            "12 n_layer context d_model FLOPs in training (they have no weights, so 6N misses "
            "them).",
        ),
        (
            lambda: 6 * N + attention,
            "the unembedding is missing: the logits come from a d_model x vocab matrix product, "
            "6 d_model vocab FLOPs per token in training (tied or not).",
        ),
        (
            lambda: 6 * N,
            "that is 6N of the blocks alone: add the unembedding (d_model x vocab weights) and "
            "the attention term (12 n_layer context d_model).",
        ),
        (
            lambda: 2 * (N + d * V) + attention // 3,
            "that is the forward pass only (2 FLOPs per weight); training adds the backward "
            "pass, about twice the forward: 6 per weight in all, and 3 x the attention term.",
        ),
        (
            lambda: 2 * (N + d * V),
            "that is the forward pass only, without attention; training costs about 3 x the "
            "forward (6 FLOPs per weight) plus 12 n_layer context d_model for attention.",
        ),
        (
            lambda: 6 * (N + d * V) + attention // 2,
            "attention counted once: the scores q.k AND the weighted sum of the values each cost "
            "2 context d_model FLOPs per layer forward, so 12 (not 6) n_layer context d_model in "
            "training.",
        ),
        (
            lambda: 6 * (N + 2 * d * V) + attention,
            "the embedding lookup is not a matrix product (it picks a row): count only the "
            "unembedding, d_model x vocab.",
        ),
        (
            lambda: 6 * (8 * L * d**2 + d * V) + attention,
            "a block has 12 d_model^2 weights: 4 d^2 in attention (q, k, v and the output) and "
            "8 d^2 in the MLP (d -> 4d -> d).",
        ),
    ]


def _diagnose_flops(case: Case, expected, got) -> str | None:
    return _first_match(expected, got, _flops_variants(*case.args))


# 07.6 · the myopic attention step (torch) ------------------------------------------------------


def myopic_attention(h, W_q, W_k, W_v):
    import torch

    T, C = h.shape
    past = torch.ones(T, T, dtype=torch.bool).tril(-1)  # key s < query t
    own = torch.eye(T, dtype=torch.bool)  # key s = query t
    q = h @ W_q  # live queries: position t's own computation
    k, v = h @ W_k, h @ W_v  # live keys and values, used only on the diagonal
    k_past, v_past = h.detach() @ W_k, h.detach() @ W_v  # detached inputs, live weights
    scores = torch.where(own, q @ k.T, q @ k_past.T) / C**0.5
    weights = torch.softmax(scores.masked_fill(~(past | own), float("-inf")), dim=-1)
    return (weights * own) @ v + (weights * past) @ v_past  # (T, C)


@dataclass(frozen=True)
class Traced:
    """A function's output and the gradients of the fixed loss sum(output * R) with respect to
    each input, by parameter name; `gradients` is None when the output has no autograd graph."""

    output: Any
    gradients: dict[str, np.ndarray] | None


def _loss_weights(shape: tuple[int, ...]) -> Any:
    """The fixed random R of the loss sum(output * R), the same for every answer."""
    import torch

    generator = torch.Generator().manual_seed(7)
    return torch.randn(shape, dtype=torch.float64, generator=generator)


def _traced(function: Callable[..., Any], names: list[str]) -> Callable[..., Traced]:
    """`function` made to return a Traced: its output, and the gradients of sum(output * R)
    with respect to its tensor arguments (named `names`, in order); an input the output does not
    depend on gets a zero gradient."""
    import torch

    def run(*args: Any) -> Traced:
        output = function(*args)
        if not isinstance(output, torch.Tensor) or not output.requires_grad:
            return Traced(output, None)
        loss = (output * _loss_weights(output.shape)).sum()
        inputs = [a for a in args if isinstance(a, torch.Tensor)]
        grads = torch.autograd.grad(loss, inputs, allow_unused=True)
        return Traced(
            output,
            {
                name: (torch.zeros_like(a) if g is None else g).detach().numpy()
                for name, a, g in zip(names, inputs, grads, strict=True)
            },
        )

    return run


@dataclass
class GradientExercise(Exercise):
    """A code exercise on a torch function whose gradients matter as much as its values.

    Each case's inputs are float64 tensors that require grad. The answer's output is compared with
    the reference's, then the gradients of a fixed random loss sum(output * R) with respect to
    every input, in the order of the reference's parameters. `diagnose(case, expected, got)`
    receives both Traced results."""

    def run(self, answer: Any) -> Result:
        if not callable(answer):
            return super().run(answer)
        names = list(inspect.signature(self.reference).parameters)
        cases = self.cases()
        for case in cases:
            expected = _traced(self.reference, names)(*copy.deepcopy(case.args))
            got = self._call(_traced(answer, names), case)
            if isinstance(got, Result):
                return got
            difference = self._difference(expected, got)
            if difference is not None:
                return Result(False, self._explain_part(case, expected, got, *difference))
        return Result(True, f"all {len(cases)} test cases pass (values and gradients).")

    def _difference(self, expected: Traced, got: Traced) -> tuple[str, Any, Any, str] | None:
        """(what differs, its expected value, the answer's value, how) or None."""
        problem = describe_mismatch(expected.output, got.output, self.rtol, self.atol)
        if problem is not None:
            return "output", expected.output, got.output, problem
        if got.gradients is None:
            return (
                "output",
                expected.output,
                got.output,
                "the values are right, but no gradient flows through them: build the output from "
                "the input tensors with torch operations (no numpy, no torch.no_grad(), not "
                "everything detached)",
            )
        for name, want in expected.gradients.items():
            problem = describe_mismatch(want, got.gradients[name], self.rtol, self.atol)
            if problem is not None:
                where = f"gradient of the loss with respect to {name}"
                how = f"the output is right, but the {where} differs: {problem}"
                return where, want, got.gradients[name], how
        return None

    def _explain_part(
        self, case: Case, expected: Traced, got: Traced, part: str, want: Any, value: Any, how: str
    ) -> str:
        advice = None
        if self.diagnose is not None:
            try:
                advice = self.diagnose(case, expected, got)
            except Exception:
                advice = None
        return (
            f"for input {case.describe()}\n"
            f"   expected {part}: {short_repr(want)}\n"
            f"   got:      {short_repr(value)}\n"
            f"   {how}.\n"
            f"   Hint: {advice or self.nudge}"
        )


def _myopic_cases() -> list[Case]:
    import torch

    generator = torch.Generator().manual_seed(76)

    def case(T, C, scale=1.0, note=""):
        h = torch.randn(T, C, dtype=torch.float64, generator=generator)
        weights = [
            torch.randn(C, C, dtype=torch.float64, generator=generator) * scale / C**0.5
            for _ in range(3)
        ]
        args = tuple(a.requires_grad_() for a in (h, *weights))
        return Case(args, label=f"h ({T}, {C}), random W_q, W_k, W_v ({C}, {C}){note}")

    return [
        case(1, 2, note=" (one position: only the diagonal)"),
        case(2, 3),
        case(5, 4),
        case(6, 8, scale=3.0, note=", 3 x larger (peaked attention)"),
        case(8, 4),
    ]


def _myopic_variants(h, W_q, W_k, W_v) -> list[tuple[Callable[[], Any], str, str]]:
    """Typical mistakes as (compute, advice, what tells them apart: "output" or "gradients")."""
    import torch

    T, C = h.shape
    past = torch.ones(T, T, dtype=torch.bool).tril(-1)
    own = torch.eye(T, dtype=torch.bool)

    def attend(query="live", diagonal="live", keys="input detached", scale=C**0.5, mask=True):
        """Attention whose queries, diagonal keys/values and past keys/values are each "live",
        "input detached" (from h.detach(), live weights) or "detached" (k.detach())."""

        def kv(mode):
            source = h.detach() if mode == "input detached" else h
            k, v = source @ W_k, source @ W_v
            return (k.detach(), v.detach()) if mode == "detached" else (k, v)

        q = (h.detach() if query == "input detached" else h) @ W_q
        (k_own, v_own), (k_past, v_past) = kv(diagonal), kv(keys)
        below = past if mask else ~own  # without the mask the "past" is every other position
        scores = torch.where(own, q @ k_own.T, q @ k_past.T) / scale
        weights = torch.softmax(scores.masked_fill(~(below | own), float("-inf")), dim=-1)
        return (weights * own) @ v_own + (weights * below) @ v_past

    return [
        (
            lambda: attend(keys="live"),
            "that is ordinary causal attention: the values are the same, but the loss at t still "
            "reaches h[s] (s < t) through the keys and values. Compute the PAST keys and values "
            "from h.detach() @ W_k and h.detach() @ W_v.",
            "gradients",
        ),
        (
            lambda: attend(keys="detached"),
            "you detached the past keys and values themselves (k.detach()): then W_k and W_v "
            "learn nothing from how position t reads the past. Recompute them from the detached "
            "input with the live weights: h.detach() @ W_k.",
            "gradients",
        ),
        (
            lambda: attend(diagonal="detached", keys="detached"),
            "you detached every key and value, the diagonal too, weights and all: W_k and W_v get "
            "no gradient at all. Past keys and values come from h.detach() @ W_k (live weights); "
            "position t's own key and value stay fully live.",
            "gradients",
        ),
        (
            lambda: attend(diagonal="input detached"),
            "the diagonal (position t attending to itself) was detached too: its own key and "
            "value are part of position t's computation, so compute them from the live h.",
            "gradients",
        ),
        (
            lambda: attend(query="input detached"),
            "the queries were detached: the loss at t must still train position t's own query, "
            "q = h @ W_q from the live h.",
            "gradients",
        ),
        (
            lambda: attend(mask=False),
            "no causal mask: query t must not see the keys after it (fill the scores above the "
            "diagonal with -inf before the softmax).",
            "output",
        ),
        (
            lambda: attend(scale=1.0),
            "the scores are not scaled: divide q k^T by sqrt(C).",
            "output",
        ),
        (
            lambda: myopic_attention(h, W_q.T, W_k.T, W_v.T),
            "the weights are used transposed: vectors are rows, so q = h @ W_q (and the same for "
            "W_k and W_v).",
            "output",
        ),
    ]


def _diagnose_myopic(case: Case, expected: Traced, got: Traced) -> str | None:
    dtype = str(getattr(got.output, "dtype", ""))
    if dtype.startswith("torch.") and dtype != "torch.float64":
        return f"your output is {dtype}; the inputs are float64: keep them so (no .float())."
    names = list(inspect.signature(myopic_attention).parameters)
    for compute, advice, part in _myopic_variants(*case.args):
        try:  # each variant is traced through its own graph, on the case's own tensors
            want = _traced(lambda *args, compute=compute: compute(), names)(*case.args)
        except Exception:
            continue
        if part == "output":
            same, right = (
                describe_mismatch(want.output, x.output) is None for x in (got, expected)
            )
        else:  # the values are the same for all these: the gradients tell them apart
            same, right = (
                describe_mismatch(want.gradients, x.gradients) is None for x in (got, expected)
            )
        if same and not right:
            return advice
    return None


EXERCISES = [
    Exercise(
        id="07.1",
        title="the shifted next-token loss over a padded batch",
        reference=next_token_loss,
        cases=_loss_cases,
        diagnose=_diagnose_loss,
        hints=[
            "Position t predicts the next token: pair logits[:, :-1] (B, T-1, V) with targets "
            "tokens[:, 1:] (B, T-1).",
            "log-softmax over the last axis, stably: z = logits - logits.max(axis=-1, "
            "keepdims=True), then z - np.log(np.exp(z).sum(axis=-1, keepdims=True)).",
            "Pick each target's log-probability with np.take_along_axis (replace the -1 targets "
            "by 0 first, then drop them with the mask targets != -1) and average the kept ones.",
        ],
    ),
    Exercise(
        id="07.2",
        title="a batch of random windows",
        reference=sample_windows,
        cases=_windows_cases,
        diagnose=_diagnose_windows,
        nudge="draw the starts with exactly rng.integers(0, len(tokens) - context, "
        "size=batch_size), once, so the checker can replay your draws.",
        hints=[
            "starts = rng.integers(0, len(tokens) - context, size=batch_size): the last window "
            "that fits starts at len(tokens) - context - 1, and y reaches one token further.",
            "starts[:, None] + np.arange(context) is a (batch_size, context) array of positions.",
            "x = tokens[positions] and y = tokens[positions + 1].",
        ],
    ),
    Exercise(
        id="07.3",
        title="warmup and cosine decay",
        reference=learning_rate,
        cases=_lr_cases,
        diagnose=_diagnose_lr,
        hints=[
            "Warmup: while step < warmup, return lr * (step + 1) / warmup.",
            "After it, progress = (step - warmup) / (total_steps - 1 - warmup) runs from 0 at "
            "step `warmup` to 1 at the last step; clip it at 1 (and guard the division with "
            "max(1, ...)).",
            "Half a cosine from lr down to min_lr: min_lr + 0.5 * (lr - min_lr) * (1 + "
            "np.cos(np.pi * progress)).",
        ],
    ),
    Exercise(
        id="07.4",
        title="clipping gradients by their global norm",
        reference=clip_by_global_norm,
        cases=_clip_cases,
        diagnose=_diagnose_clip,
        atol=1e-15,  # gradients of 1e-6 must be told apart
        hints=[
            "The global norm treats all the gradients as one long vector: "
            "np.sqrt(sum(np.sum(g ** 2) for g in grads)).",
            "scale = max_norm / (norm + 1e-6); if it is below 1, multiply every gradient by it.",
            "Return new arrays (g * scale, or g.copy()) and the norm measured before clipping.",
        ],
    ),
    Exercise(
        id="07.5",
        title="training FLOPs per token",
        reference=training_flops_per_token,
        cases=_flops_cases,
        diagnose=_diagnose_flops,
        rtol=0.0,
        atol=0.5,  # a count is exact
        hints=[
            "Weights a token is multiplied by: 12 d_model^2 per block (attention 4 d^2, MLP "
            "8 d^2) and the unembedding, d_model x vocab. Training costs 6 FLOPs per weight.",
            "Attention has no weights: per layer, the scores q.k and the weighted sum of values "
            "cost 2 context d_model each forward, 4 context d_model together; training is 3 x "
            "the forward.",
        ],
    ),
    GradientExercise(
        id="07.6",
        title="the myopic attention step",
        reference=myopic_attention,
        cases=_myopic_cases,
        diagnose=_diagnose_myopic,
        rtol=1e-9,
        atol=1e-12,
        nudge="queries live; the past keys and values from h.detach() with the live weights; the "
        "diagonal (s = t) from the live h.",
        hints=[
            "Start from ordinary causal attention: scores (h W_q)(h W_k)^T / sqrt(C), the "
            "future masked with -inf, softmax over the last axis, weights @ (h W_v).",
            "Compute a second set of keys and values from h.detach() with the same W_k, W_v: "
            "those are the past's. The forward values do not change.",
            "Build the scores with torch.where(diagonal, q @ k.T, q @ k_past.T), and the output "
            "as (weights * diagonal) @ v + (weights * strictly_below_diagonal) @ v_past.",
        ],
    ),
    MultipleChoice(
        id="07.q1",
        question="While a GPT trains, its training loss keeps falling, but its validation loss "
        "(on plays it never trains on) stopped falling a while ago and now rises. What is "
        "happening, and what helps?",
        options={
            "a": "Overfitting: the model starts to memorise its training text. Keep the "
            "checkpoint with the best validation loss (early stopping), add data, or regularise "
            "(dropout, weight decay, a smaller model).",
            "b": "Underfitting: the model is too small; make it bigger.",
            "c": "The learning rate is too low; raise it.",
            "d": "The validation plays are harder; the gap between the curves is meaningless.",
        },
        answer="a",
        explanations={
            "a": "The gap between the two curves measures memorisation. A model that sees "
            "each window many times can learn the text itself rather than the language; a "
            "model that has read each token only about once shows little gap.",
            "b": "An underfitting model has high training AND validation loss; here the "
            "training loss keeps improving: the model has capacity to spare.",
            "c": "A higher learning rate may speed the fall of the training loss but does "
            "nothing against memorising; a validation loss that rises while training loss "
            "falls is not a sign of slow learning.",
            "d": "A harder validation set would give a constant offset; a validation loss that "
            "turns upward while the training loss falls is the model changing, not the data.",
        },
    ),
    MultipleChoice(
        id="07.q2",
        question="With warmup, a peak learning rate of 3e-3 trains a small GPT well; without "
        "warmup, the same peak makes the loss spike in the first steps. Why does a linear "
        "warmup help?",
        options={
            "a": "At the start the weights are random and Adam's moment estimates rest on a "
            "handful of gradients, so full-size steps can throw the model far off; small steps "
            "first let both settle before the large rate is used.",
            "b": "Warmup lowers the final loss because the total of all learning rates is smaller.",
            "c": "Warmup makes training deterministic.",
            "d": "Warmup is only needed with dropout.",
        },
        answer="a",
        explanations={
            "a": "Early gradients are large and noisy, and Adam divides by a second-moment "
            "estimate made from only a few of them (Liu et al. 2020 trace warmup's benefit to "
            "that). After warmup, the cosine decay lowers the rate again so the model can settle "
            "into a minimum.",
            "b": "Warmup takes a few per cent of the steps; what it buys is stability, which is "
            "what lets a larger peak rate be used at all.",
            "c": "Determinism comes from seeds; warmup changes the step sizes only.",
            "d": "Our runs use no dropout and still need it: it is about the first steps of the "
            "optimiser, not about regularisation.",
        },
    ),
    NumericAnswer(
        id="07.q3",
        question="A GPT with a byte-pair tokenizer reaches 3.0 nats per token on a validation "
        "text of 1,000,000 characters, which its tokenizer cuts into 280,000 tokens. What is "
        "its loss in bits per character?",
        answer=3.0 * 280_000 / 1_000_000 / math.log(2),
        tolerance=0.01,
        explanation="3.0 x 280,000 = 840,000 nats for the whole text, 0.84 nats per character, "
        "/ ln 2 = 1.21 bits per character. A loss per token cannot be compared across "
        "tokenizers (a longer token holds more text and costs more nats); the bits to encode "
        "the same text, per character, can: a character model's nats per character / ln 2 is "
        "on the same scale.",
    ),
    NumericAnswer(
        id="07.q4",
        question="nanoGPT's CPU recipe trains 4 layers of width 128 (12 x 4 x 128^2 = 786,432 "
        "weights in the blocks) for 2,000 steps of 12 windows of 64 characters. How many "
        "training FLOPs does the 6 N D estimate give? (answer like 1.5e12)",
        answer=6 * 786_432 * 2_000 * 12 * 64,
        tolerance=0.05,
        explanation="D = 2,000 x 12 x 64 = 1,536,000 tokens; 6 x 786,432 x 1,536,000 = 7.2e12. "
        "The attention term (12 n_layer context d_model per token) adds 8% more and the "
        "unembedding (128 x 77) 1%: small models are where 6N is least exact.",
    ),
    MultipleChoice(
        id="07.q5",
        question="Hoffmann et al. (2022) found that compute-optimal language models get about "
        "20 training tokens per parameter. In our miniature study, wherever two sizes can be "
        "compared at the same compute, the smaller one, trained on more tokens, is ahead. What "
        "is the right reading?",
        options={
            "a": "The optimum lies beyond the edge of our grid, so the grid cannot locate it; a "
            "study must straddle it (IsoFLOP slices from too small to too large, or a fit of "
            "L(N, D) to all runs) to measure a ratio, and even then the number belongs to this "
            "data and tokenizer.",
            "b": "Hoffmann et al. were wrong; Kaplan et al.'s advice (mostly grow the model) "
            "is the right one.",
            "c": "The smallest model is compute-optimal at every budget, so models should be "
            "as small as possible.",
            "d": "The study has a bug: every well-run study finds 20 tokens per parameter.",
        },
        answer="a",
        explanations={
            "a": "At every compute level we can compare, the winner is the smallest size there, "
            "at its largest budget: the optimum needs more tokens per parameter than the grid "
            "gives. The way of measuring (each run decayed to its budget, sizes compared at "
            "matched compute, a seed spread as the yardstick) transfers; the number does not.",
            "b": "The two papers' advice differed, but later work traced most of the gap to how "
            "they counted and tuned, not to the learning-rate schedule alone: Kaplan et al. "
            "counted non-embedding parameters and left out the last layer's FLOPs, and tuned "
            "warmup and the optimizer differently at small scale (Porian et al. 2024; Pearce & "
            "Song 2024). (Our tokens per parameter also use non-embedding N; Chinchilla's 20 "
            "counts every parameter.)",
            "c": "Only inside the grid. A small model trained on ever more tokens runs out of "
            "capacity, so beyond some budget a larger model wins; our grid stops before that.",
            "d": "Tokens per parameter depends on the data, the tokenizer and how N is counted; "
            "and our grid does not even contain the optimum.",
        },
    ),
    MultipleChoice(
        id="07.q6",
        question="Wu, Morris & Levine (2024) train transformers 'myopically'. What does myopic "
        "training remove, and what did they find?",
        options={
            "a": "Every gradient path from the loss at position t into the computation of "
            "earlier positions, so nothing is trained to be computed early for later use "
            "(pre-caching). A task that needs pre-caching then fails; on language the cost is "
            "small: models mostly leave breadcrumbs (features useful now that happen to help "
            "later).",
            "b": "Attention to earlier positions: each position sees only its own token.",
            "c": "All losses but the last position's; they found language models plan whole "
            "sentences ahead.",
            "d": "The causal mask, so positions see the future; they found models cheat.",
        },
        answer="a",
        explanations={
            "a": "The forward pass is unchanged (so the model can read the past); only the "
            "training signal for the past is cut. The synthetic task, whose targets need "
            "sin(a x) of earlier inputs, is unlearnable myopically, while GPT-2's loss rises "
            "only a little: pre-caching is possible, but on language the features are mostly "
            "breadcrumbs.",
            "b": "Myopic models attend to the past exactly as before; the values are the "
            "same, the gradients differ.",
            "c": "Every position's loss is kept; what is cut is the loss at t reaching into "
            "positions s < t.",
            "d": "The causal mask stays; a model that saw the future would copy it.",
        },
    ),
    MultipleChoice(
        id="07.q7",
        question="A (vanilla) causal transformer is trained on the sum of the losses at every "
        "position. The hidden state h_s at position s in the first layer: which losses send "
        "it gradient?",
        options={
            "a": "The loss at s and the loss at every later position t > s: by the chain rule "
            "dL/dh_s sums over every path, and each later query reads h_s through its key and "
            "value.",
            "b": "Only the loss at s: each position is trained for its own prediction.",
            "c": "Only the loss at the last position, which sees the whole sequence.",
            "d": "Every position's loss, the earlier ones (t < s) too.",
        },
        answer="a",
        explanations={
            "a": "The chain rule adds the contributions of all paths from the loss to h_s: "
            "through position s's own output, and through attention at every t > s. Those "
            "later paths are what can teach position s to pre-cache; myopic training cuts them.",
            "b": "That is myopic training, which must detach the past on purpose; by default "
            "the gradient flows back through attention.",
            "c": "Every position has a loss (that is why a GPT learns T predictions per window), "
            "and h_s reaches all the ones at and after s.",
            "d": "The causal mask stops position t < s from reading h_s, so its loss does not "
            "depend on h_s: no path, no gradient.",
        },
    ),
    MultipleChoice(
        id="07.q8",
        question="AdamW (Loshchilov & Hutter 2019) 'decouples' weight decay from Adam's update. "
        "What is the difference from adding an L2 penalty (lambda/2) ||w||^2 to the loss?",
        options={
            "a": "With the L2 penalty, lambda w is added to the gradient and then divided by "
            "Adam's sqrt(v) like the rest, so weights with large gradients are barely decayed. "
            "AdamW shrinks each weight directly, w -= lr lambda w, at the same rate for all.",
            "b": "None: for Adam the two are identical, as they are for plain SGD.",
            "c": "AdamW decays only the biases and the LayerNorm gains.",
            "d": "AdamW replaces the learning-rate schedule with a decay of the weights.",
        },
        answer="a",
        explanations={
            "a": "Decoupled, the decay is the same fraction for every weight whatever its "
            "gradient history; Loshchilov & Hutter found it generalises better and lets the "
            "learning rate and lambda be tuned separately. GPT recipes decay only the weight "
            "matrices, not norms, biases or embeddings.",
            "b": "They coincide for plain SGD (up to a rescaling of lambda), not for adaptive "
            "methods, because Adam rescales the gradient, penalty included, per parameter.",
            "c": "The reverse: GPT-2 and nanoGPT decay the weight matrices and leave biases, "
            "norm gains and embeddings alone.",
            "d": "The schedule still sets lr; the decay is multiplied by it.",
        },
    ),
]
