"""Exercises and review questions of notebook 03, the neural language model (numpy versions of
the pieces in helpers.neural.grad and helpers.neural.train).

Each diagnosis recomputes the typical mistakes on the failing case and names the one the
learner's answer matches, so the advice is about what they actually did. torch is imported
inside the few functions that need it: `import helpers` loads every exercise module and must stay
cheap.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from helpers.exercises.checking import (
    Case,
    Exercise,
    MultipleChoice,
    NumericAnswer,
    Result,
    describe_mismatch,
)


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _matches(got: Any, variant: Callable[[], Any]) -> bool:
    """True when `got` equals what `variant()` computes (a typical mistake), nan and inf too."""
    try:
        with np.errstate(all="ignore"):
            want = variant()
        if isinstance(want, float):
            got = float(got)
            return (math.isnan(want) and math.isnan(got)) or math.isclose(
                got, want, rel_tol=1e-6, abs_tol=1e-12
            )
        return describe_mismatch(want, got) is None
    except Exception:
        return False


@dataclass
class CheckedAgainstTorch(Exercise):
    """A code exercise whose expected answers come from PyTorch itself (`truth`: autograd or a
    torch optimizer), not from the reference solution, which stays the solution shown to learners.

    `adapt` turns the learner's function into one with `truth`'s signature (for instance, runs a
    one-step function over several steps).
    """

    truth: Callable[..., Any] | None = None
    adapt: Callable[[Callable[..., Any]], Callable[..., Any]] | None = None

    def run(self, answer: Any) -> Result:
        plain = Exercise(**{f.name: getattr(self, f.name) for f in fields(Exercise)})
        plain.reference = self.truth
        if callable(answer) and self.adapt is not None:
            answer = self.adapt(answer)
        return plain.run(answer)


# 03.1 and 03.2 · cross-entropy and its gradient ------------------------------------------------


def cross_entropy(logits, targets):
    z = logits - logits.max(axis=1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(targets)), targets].mean())


def _ce_cases() -> list[Case]:
    return [
        Case((np.array([[2.0, 1.0, 0.1]]), np.array([0]))),
        Case((np.zeros((2, 3)), np.array([0, 1])), label="logits all 0 (2, 3), targets [0, 1]"),
        Case(
            (np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]]), np.array([2, 2])),
            label="logits [[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]], targets [2, 2] (the same target)",
        ),
        # Each of the next three cases trips exactly one kind of numerical mistake.
        Case(
            (np.array([[1000.0, 999.0, 998.0]]), np.array([0])),
            label="logits [[1000, 999, 998]] (huge: exp overflows without a shift), targets [0]",
        ),
        Case(
            (np.array([[700.0, 0.0, -5.0], [-100.0, -101.0, -99.0]]), np.array([0, 2])),
            label="logits [[700, 0, -5], [-100, -101, -99]] (rows of very different scales), "
            "targets [0, 2]",
        ),
        Case(
            (np.array([[10.0, -800.0, 1.0]]), np.array([1])),
            label="logits [[10, -800, 1]], targets [1] (a target with probability e^-810: it "
            "underflows to 0)",
        ),
        Case((np.array([[1000.0, 0.0, -1000.0], [3.0, 2.0, 1.0]]), np.array([1, 2]))),
        Case(
            (_rng(0).normal(size=(5, 7)), np.array([0, 6, 3, 3, 1])),
            label="random logits of shape (5, 7), targets [0, 6, 3, 3, 1]",
        ),
    ]


def _ce_with(logits, targets, shift, log_of_softmax=False) -> float:
    """Mean cross-entropy after subtracting `shift`, either as log-softmax (z - logsumexp z) or,
    as a learner might, as log() of the softmax probabilities."""
    z = logits - shift
    if log_of_softmax:
        log_probs = np.log(np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))
    else:
        log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(targets)), targets].mean())


def _ce_variants(logits, targets) -> list[tuple[Callable[[], Any], str]]:
    row_max = logits.max(axis=1, keepdims=True)
    z = logits - row_max
    overflow = (
        "exp() overflowed: e^1000 is inf in float64 (and inf / inf is nan). Subtract each row's "
        "max logit before exponentiating (it does not change the softmax)."
    )
    whole_batch = (
        "you subtracted the max of the whole batch, not of each row: a row whose logits are far "
        "below the batch's max underflows to exp() = 0 everywhere, and log(0) = -inf. Use "
        "logits.max(axis=1, keepdims=True)."
    )
    # Blame only what this case can show: an overflow only where exp() overflows, the batch's
    # max only where it differs from a row's own max.
    with np.errstate(over="ignore"):
        overflows = not np.isfinite(np.exp(logits)).all()
    unshifted = [
        (lambda: _ce_with(logits, targets, 0.0), overflow),
        (lambda: _ce_with(logits, targets, 0.0, log_of_softmax=True), overflow),
    ]
    batch = [
        (lambda: _ce_with(logits, targets, logits.max()), whole_batch),
        (lambda: _ce_with(logits, targets, logits.max(), log_of_softmax=True), whole_batch),
    ]
    return [
        *(unshifted if overflows else []),
        *(batch if (row_max != logits.max()).any() else []),
        (
            lambda: _ce_with(logits, targets, row_max, log_of_softmax=True),
            "your shift is right, but you took log() of the softmax: a target probability like "
            "e^-810 underflows to 0 and log(0) = -inf. Compute the log-softmax directly, "
            "z - log(sum(exp(z))), which never takes the log of a tiny number.",
        ),
        (
            lambda: float(-(z - np.log(np.exp(z).sum()))[np.arange(len(targets)), targets].mean()),
            "each row is normalised by its own sum: np.exp(z).sum(axis=1, keepdims=True), not the "
            "sum over the whole batch.",
        ),
        (
            lambda: -cross_entropy(logits, targets),
            "wrong sign: the loss is minus the mean log-probability of the targets.",
        ),
        (
            lambda: cross_entropy(logits, targets) * len(targets),
            "that is the sum over the batch; the loss is the mean.",
        ),
        (
            lambda: float(
                -(logits - row_max - np.log(np.exp(logits - row_max).sum(axis=1, keepdims=True)))[
                    :, targets
                ].mean()
            ),
            "log_probs[:, targets] takes every target for every row (a B x B block); index rows "
            "and columns together: log_probs[np.arange(B), targets].",
        ),
    ]


def _diagnose_ce(case: Case, expected, got) -> str | None:
    for variant, advice in _ce_variants(*case.args):
        if _matches(got, variant):
            return advice
    return "pick each row's target log-probability: log_probs[np.arange(B), targets]."


def cross_entropy_grad(logits, targets):
    z = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    probs[np.arange(len(targets)), targets] -= 1
    return probs / len(targets)


def _softmax(logits, shift):
    e = np.exp(logits - shift)
    return e / e.sum(axis=1, keepdims=True)


def _grad_variants(logits, targets) -> list[tuple[Callable[[], Any], str]]:
    rows, b = np.arange(len(targets)), len(targets)
    z = logits - logits.max(axis=1, keepdims=True)
    one_hot = np.zeros_like(logits, dtype=float)
    one_hot[rows, targets] = 1

    return [
        (
            lambda: (_softmax(logits, 0.0) - one_hot) / b,
            "exp() overflowed (e^1000 is inf, inf / inf is nan): subtract each row's max logit "
            "before exponentiating.",
        ),
        (
            lambda: (_softmax(logits, logits.max()) - one_hot) / b,
            "you subtracted the max of the whole batch, not of each row: a row far below the "
            "batch's max underflows to 0 / 0. Use logits.max(axis=1, keepdims=True).",
        ),
        (
            lambda: cross_entropy_grad(logits, targets) * b,
            "divide by the batch size: the loss is a mean, so each row's gradient is 1/B.",
        ),
        (
            lambda: (np.exp(z) / np.exp(z).sum() - one_hot) / b,
            "each row's softmax is normalised by its own sum: np.exp(z).sum(axis=1, "
            "keepdims=True), not the sum over the whole batch.",
        ),
        (
            lambda: -cross_entropy_grad(logits, targets),
            "wrong sign: the gradient is softmax minus the one-hot target, not the reverse.",
        ),
        (
            lambda: _softmax(logits, logits.max(axis=1, keepdims=True)) / b,
            "you did not subtract 1 at each row's target position (the one-hot vector).",
        ),
    ]


def _diagnose_ce_grad(case: Case, expected, got) -> str | None:
    for variant, advice in _grad_variants(*case.args):
        if _matches(got, variant):
            return advice
    return "the gradient of mean cross-entropy is (softmax(logits) - one_hot(targets)) / B."


# 03.3 and 03.4 · a linear layer and the embedding table ----------------------------------------


def linear_backward(d_out, x, weight):
    return d_out @ weight, d_out.T @ x, d_out.sum(axis=0)


def _linear_cases() -> list[Case]:
    cases = []
    for seed, (b, i, o) in enumerate([(1, 1, 1), (1, 3, 2), (2, 3, 4), (5, 2, 3), (4, 4, 4)]):
        r = _rng(seed)
        cases.append(
            Case(
                (r.normal(size=(b, o)), r.normal(size=(b, i)), r.normal(size=(o, i))),
                label=f"d_out ({b}, {o}), x ({b}, {i}), weight ({o}, {i}) (random)",
            )
        )
    return cases


def _diagnose_linear(case: Case, expected, got) -> str | None:
    d_out, x, weight = case.args
    try:
        dx, dw, db = got
    except (TypeError, ValueError):
        return "return three arrays: (dx, d_weight, d_bias)."
    b = len(d_out)
    if _matches(dw, lambda: x.T @ d_out) and not _matches(dw, lambda: d_out.T @ x):
        return "d_weight must have the weight's shape (out, in): use d_out.T @ x, not x.T @ d_out."
    if np.ndim(db) == 0 or _matches(db, lambda: d_out.sum(axis=1)):
        return "d_bias sums d_out over the batch (axis=0): one number per output unit."
    if _matches(db, lambda: d_out.mean(axis=0)) or _matches(dw, lambda: d_out.T @ x / b):
        return (
            "sum over the batch, do not average: d_out already carries the 1/B of the mean loss, "
            "so dividing again makes the gradients B times too small."
        )
    if not _matches(dx, lambda: d_out @ weight):
        return "dx = d_out @ W, shape (B, in): each input feeds every output through W."
    return "dx = d_out @ W, dW = d_out.T @ x, db = d_out summed over the batch."


def embedding_backward(d_emb, idx, vocab_size):
    d_table = np.zeros((vocab_size, d_emb.shape[-1]))
    np.add.at(d_table, idx.reshape(-1), d_emb.reshape(-1, d_emb.shape[-1]))
    return d_table


def _embedding_cases() -> list[Case]:
    r = _rng(3)
    return [
        Case(
            (np.ones((1, 2, 3)), np.array([[0, 1]]), 4),
            label="d_emb all ones (1, 2, 3), idx [[0, 1]], vocab_size 4",
        ),
        Case(
            (np.array([[[1.0, 2.0], [3.0, 4.0]]]), np.array([[2, 2]]), 3),
            label="d_emb [[[1, 2], [3, 4]]], idx [[2, 2]] (the same row twice), vocab_size 3",
        ),
        Case(
            (r.normal(size=(3, 2, 4)), np.array([[0, 1], [2, 3], [4, 0]]), 5),
            label="random d_emb (3, 2, 4), idx [[0, 1], [2, 3], [4, 0]], vocab_size 5",
        ),
        Case(
            (r.normal(size=(3, 2, 4)), np.array([[0, 1], [1, 1], [4, 0]]), 5),
            label="random d_emb (3, 2, 4), idx [[0, 1], [1, 1], [4, 0]], vocab_size 5",
        ),
        Case(
            (r.normal(size=(2, 3, 2)), np.array([[5, 5, 5], [5, 0, 5]]), 6),
            label="random d_emb (2, 3, 2), idx [[5, 5, 5], [5, 0, 5]], vocab_size 6",
        ),
    ]


def _diagnose_embedding(case: Case, expected, got) -> str | None:
    d_emb, idx, vocab_size = case.args
    d = d_emb.shape[-1]
    flat_idx, flat_grad = idx.reshape(-1), d_emb.reshape(-1, d)

    def overwritten():
        table = np.zeros((vocab_size, d))
        table[flat_idx] = flat_grad
        return table

    def averaged():
        counts = np.bincount(flat_idx, minlength=vocab_size)[:, None]
        return embedding_backward(d_emb, idx, vocab_size) / np.maximum(counts, 1)

    def wrong_order():
        table = np.zeros((vocab_size, d))
        np.add.at(table, idx.T.reshape(-1), flat_grad)
        return table

    if _matches(got, overwritten):
        return (
            "a row used several times must receive the *sum* of its gradients; "
            "table[idx] += ... or table[idx] = ... keeps only one of the repeats; use np.add.at."
        )
    if _matches(got, averaged):
        return (
            "a row used k times gets the *sum* of its k gradients, not their mean: the loss "
            "depends on that row k times, and the chain rule adds the paths."
        )
    if _matches(got, wrong_order):
        return (
            "idx and d_emb must be flattened in the same order: idx.reshape(-1) pairs with "
            "d_emb.reshape(-1, d) (batch first, then position); idx.T does not."
        )
    return "start from zeros (vocab_size, d) and add each position's gradient to its token's row."


# 03.5 · the whole model's gradients, chained by hand -------------------------------------------

PARAMETER_KEYS = {
    "C": "embedding.weight",
    "W1": "hidden.weight",
    "b1": "hidden.bias",
    "W2": "output.weight",
    "b2": "output.bias",
}


def model_gradients(params, idx, targets):
    C, W1, b1, W2, b2 = (params[k] for k in ("C", "W1", "b1", "W2", "b2"))
    emb = C[idx]  # (B, n, d)
    x = emb.reshape(len(idx), -1)  # (B, n*d)
    h = np.tanh(x @ W1.T + b1)  # (B, H)
    logits = h @ W2.T + b2  # (B, V)
    d_logits = cross_entropy_grad(logits, targets)  # (B, V), includes the 1/B of the mean
    d_h, d_W2, d_b2 = linear_backward(d_logits, h, W2)
    d_pre = d_h * (1 - h**2)  # tanh backward: tanh'(a) = 1 - tanh(a)^2
    d_x, d_W1, d_b1 = linear_backward(d_pre, x, W1)
    d_C = embedding_backward(d_x.reshape(emb.shape), idx, len(C))
    return {"C": d_C, "W1": d_W1, "b1": d_b1, "W2": d_W2, "b2": d_b2}


def _autograd_gradients(params, idx, targets):
    """The truth for 03.5: autograd on a real NPLM (float64) holding `params`."""
    import torch

    from helpers.neural.nplm import NPLM

    vocab_size, embed_dim = params["C"].shape
    hidden, width = params["W1"].shape
    with torch.random.fork_rng(devices=[]):  # its random initialisation is overwritten anyway
        model = NPLM(vocab_size, width // embed_dim, embed_dim, hidden).double()
    named = dict(model.named_parameters())
    with torch.no_grad():
        for key, name in PARAMETER_KEYS.items():
            named[name].copy_(torch.from_numpy(params[key]))
    model.loss(torch.from_numpy(idx), torch.from_numpy(targets)).backward()
    return {key: named[name].grad.numpy() for key, name in PARAMETER_KEYS.items()}


def _nplm_params(vocab_size, context, embed_dim, hidden, seed, scale=None) -> dict[str, np.ndarray]:
    """A real NPLM's initial parameters (float64, seeded), optionally all scaled by `scale`."""
    import torch

    from helpers.neural.nplm import NPLM

    with torch.random.fork_rng(devices=[]):  # leave the notebook's global RNG alone
        torch.manual_seed(seed)
        model = NPLM(vocab_size, context, embed_dim, hidden).double()
    named = dict(model.named_parameters())
    params = {key: named[name].detach().numpy().copy() for key, name in PARAMETER_KEYS.items()}
    if scale is not None:
        params = {key: value * scale for key, value in params.items()}
    return params


def _chain_cases() -> list[Case]:
    # Windows of the names "emma" and "ava" (a = 1, ..., z = 26, boundary "." = 0): the boundary
    # repeats inside "..." and across the batch, as in the real training data.
    from helpers.neural.nplm import windows

    idx, targets = (t.numpy() for t in windows([[5, 13, 13, 1], [1, 22, 1]], 3))
    r = _rng(7)
    return [
        Case(
            (_nplm_params(27, 3, 10, 20, seed=0, scale=1e-4), np.array([[1, 2, 3]]), np.array([4])),
            label="one example (B = 1), context 'abc' -> 'd', the NPLM (27 tokens, d 10, H 20) "
            "with tiny weights (its initialisation x 1e-4)",
        ),
        Case(
            (_nplm_params(27, 3, 10, 20, seed=1), idx, targets),
            label="the NPLM at its initialisation (27 tokens, context 3, d 10, H 20), the 9 "
            "windows of 'emma' and 'ava' ('...' -> 'e', ...)",
        ),
        Case(
            (
                _nplm_params(27, 3, 10, 20, seed=2, scale=4.0),
                r.integers(0, 27, size=(6, 3)),
                r.integers(0, 27, size=6),
            ),
            label="the NPLM with large weights (initialisation x 4: tanh saturates), 6 random "
            "windows",
        ),
        Case(
            (
                _nplm_params(6, 2, 4, 7, seed=3),
                np.array([[0, 0], [0, 3], [3, 3], [3, 5], [5, 1], [1, 0]]),
                np.array([3, 3, 5, 1, 0, 2]),
            ),
            label="another shape: 6 tokens, context 2, d 4, H 7, B 6 (repeated tokens)",
        ),
    ]


def _chain_variants(params, idx, targets) -> list[tuple[Callable[[], Any], str]]:
    C, W1, b1, W2, b2 = (params[k] for k in ("C", "W1", "b1", "W2", "b2"))
    emb = C[idx]
    x = emb.reshape(len(idx), -1)
    pre = x @ W1.T + b1
    h = np.tanh(pre)
    d_logits = cross_entropy_grad(h @ W2.T + b2, targets)

    def chain(d_logits=d_logits, tanh_grad=1 - h**2, h_for_w2=h, overwrite=False):
        d_h, d_W2, d_b2 = linear_backward(d_logits, h_for_w2, W2)
        d_x, d_W1, d_b1 = linear_backward(d_h * tanh_grad, x, W1)
        if overwrite:
            d_C = np.zeros_like(C)
            d_C[idx.reshape(-1)] = d_x.reshape(-1, C.shape[1])
        else:
            d_C = embedding_backward(d_x.reshape(emb.shape), idx, len(C))
        return {"C": d_C, "W1": d_W1, "b1": d_b1, "W2": d_W2, "b2": d_b2}

    return [
        (
            lambda: chain(d_logits=d_logits * len(idx)),
            "every gradient is B times too large: the loss is the *mean* over the batch, so "
            "d_logits = (softmax - one_hot) / B, and that 1/B flows into every parameter.",
        ),
        (
            lambda: chain(tanh_grad=1.0),
            "you skipped the tanh: between the hidden layer's output and its pre-activation, "
            "multiply by tanh'(a) = 1 - h**2 (d_pre = d_h * (1 - h**2)).",
        ),
        (
            lambda: chain(tanh_grad=1 - pre**2),
            "tanh'(a) is 1 - tanh(a)**2 = 1 - h**2, computed from the *output* h; you used "
            "1 - a**2 with the pre-activation a.",
        ),
        (
            lambda: chain(h_for_w2=pre),
            "d_W2 = d_logits.T @ h needs the tanh *output* h, the input of the output layer, not "
            "the pre-activation.",
        ),
        (
            lambda: chain(overwrite=True),
            "a token used several times (the boundary in '...') must collect the sum of its "
            "gradients: use embedding_backward (np.add.at), not d_C[idx] = ...",
        ),
    ]


def _diagnose_chain(case: Case, expected, got) -> str | None:
    for variant, advice in _chain_variants(*case.args):
        if _matches(got, variant):
            return advice
    if isinstance(got, dict):
        for key in ("b2", "W2", "b1", "W1", "C"):  # in backward order: the first wrong one
            if key in got and describe_mismatch(expected[key], got[key]) is not None:
                return {
                    "b2": "d_b2 sums d_logits over the batch: start from cross_entropy_grad.",
                    "W2": "d_h, d_W2, d_b2 = linear_backward(d_logits, h, W2).",
                    "b1": "d_pre = d_h * (1 - h**2), then linear_backward(d_pre, x, W1).",
                    "W1": "d_x, d_W1, d_b1 = linear_backward(d_pre, x, W1), x of shape (B, n*d).",
                    "C": "reshape d_x to emb's shape (B, n, d), then embedding_backward.",
                }[key]
    return "return a dict with the keys C, W1, b1, W2, b2, each shaped like its parameter."


# 03.6 · one step of Adam -----------------------------------------------------------------------


def adam_step(param, grad, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad  # running mean of the gradient
    v = beta2 * v + (1 - beta2) * grad**2  # running mean of its square
    m_hat = m / (1 - beta1**t)  # bias correction: m and v start at 0
    v_hat = v / (1 - beta2**t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


class _ChangedInput:
    """Stands in for a step whose function changed one of its input arrays in place."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"<`{self.name}` was changed in place>"


def _over_steps(step: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a one-step function adam_step(param, grad, m, v, t, lr, beta1, beta2, eps) into
    run(param, grads, lr, beta1, beta2, eps) -> the parameter after each step (m, v start at 0)."""

    def run(param, grads, lr, beta1, beta2, eps):
        m, v, trajectory = np.zeros_like(param), np.zeros_like(param), []
        for t, grad in enumerate(grads, start=1):
            inputs = {"param": param, "grad": grad, "m": m, "v": v}
            before = {name: np.array(a, copy=True) for name, a in inputs.items()}
            result = step(param, grad, m, v, t, lr, beta1, beta2, eps)
            changed = [
                n for n, a in inputs.items() if not np.array_equal(a, before[n], equal_nan=True)
            ]
            if changed:
                return [*trajectory, _ChangedInput(changed[0])]
            try:
                param, m, v = (np.asarray(r, dtype=float) for r in result)
                if not param.shape == m.shape == v.shape == grad.shape:
                    raise ValueError
            except (TypeError, ValueError):
                return result if not trajectory else [*trajectory, result]
            trajectory.append(param)
        return trajectory

    return run


def _torch_adam(param, grads, lr, beta1, beta2, eps):
    """The truth for 03.6: torch.optim.Adam on a float64 tensor, the parameter after each step."""
    import torch

    p = torch.tensor(param, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=lr, betas=(beta1, beta2), eps=eps)
    trajectory = []
    for grad in grads:
        p.grad = torch.tensor(grad, dtype=torch.float64)
        opt.step()
        trajectory.append(p.detach().numpy().copy())
    return trajectory


def _adam_cases() -> list[Case]:
    r = _rng(11)
    return [
        Case(
            (np.array([1.0, -2.0]), [np.array([0.5, -1.0])], 0.1, 0.9, 0.999, 1e-8),
            label="param [1.0, -2.0], one step with grad [0.5, -1.0], lr 0.1, betas (0.9, 0.999), "
            "eps 1e-8",
        ),
        Case(
            (r.normal(size=(2, 3)), list(r.normal(size=(5, 2, 3))), 0.01, 0.9, 0.999, 1e-8),
            label="random param (2, 3), 5 steps of random gradients, lr 0.01, betas (0.9, 0.999), "
            "eps 1e-8",
        ),
        Case(
            (r.normal(size=4), list(r.normal(size=(4, 4))), 0.05, 0.5, 0.9, 1e-8),
            label="random param (4,), 4 steps of random gradients, lr 0.05, betas (0.5, 0.9), "
            "eps 1e-8",
        ),
        Case(
            (
                np.array([0.5, 0.5]),
                [np.array([1e-7, -3e-7]), np.array([2e-7, -1e-7]), np.array([-1e-7, 2e-7])],
                0.01,
                0.9,
                0.999,
                1e-8,
            ),
            label="param [0.5, 0.5], 3 steps of tiny gradients (about 1e-7, where eps matters), "
            "lr 0.01, betas (0.9, 0.999), eps 1e-8",
        ),
        Case(
            (np.array([1.0, 1.0, 1.0]), list(r.normal(size=(3, 3)) * 1e-3), 0.01, 0.9, 0.99, 1e-3),
            label="param [1.0, 1.0, 1.0], 3 steps of gradients about 1e-3, lr 0.01, "
            "betas (0.9, 0.99), eps 1e-3",
        ),
    ]


def _adam_variants(param, grads, lr, beta1, beta2, eps) -> list[tuple[Callable[[], Any], str]]:
    def variant(update):
        def step(p, g, m, v, t, lr, b1, b2, e):
            m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g**2
            return p - update(m, v, t, lr, b1, b2, e), m, v

        return lambda: _over_steps(step)(param, grads, lr, beta1, beta2, eps)

    def stale_averages(p, g, m, v, t, lr, b1, b2, e):
        step = lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + e)
        return p - step, b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g**2

    return [
        (
            lambda: _over_steps(stale_averages)(param, grads, lr, beta1, beta2, eps),
            "update m and v with this step's gradient *before* using them: you stepped with the "
            "previous averages (on step 1 they are 0, so nothing moved).",
        ),
        (
            variant(lambda m, v, t, lr, b1, b2, e: lr * (m / (1 - b1**t)) / (np.sqrt(v) + e)),
            "correct both averages: v_hat = v / (1 - beta2**t) as well as m_hat.",
        ),
        (
            variant(lambda m, v, t, lr, b1, b2, e: lr * m / (np.sqrt(v / (1 - b2**t)) + e)),
            "correct both averages: m_hat = m / (1 - beta1**t) as well as v_hat.",
        ),
        (
            variant(
                lambda m, v, t, lr, b1, b2, e: (
                    lr * (m / (1 - b1**t)) / (np.sqrt(v) / (1 - b2**t) + e)
                )
            ),
            "v's bias correction goes inside the square root: sqrt(v / (1 - beta2**t)).",
        ),
        (
            variant(lambda m, v, t, lr, b1, b2, e: lr * m / (np.sqrt(v) + e)),
            "no bias correction: m and v start at 0, so early on they are far too small (on "
            "step 1, m = 0.1 * grad). Divide by (1 - beta1**t) and (1 - beta2**t).",
        ),
        (
            variant(
                lambda m, v, t, lr, b1, b2, e: lr * (m / (1 - b1**t)) / np.sqrt(v / (1 - b2**t) + e)
            ),
            "eps goes outside the square root: sqrt(v_hat) + eps. Inside, sqrt(v_hat + eps) "
            "is at least sqrt(eps) = 1e-4, which swamps small gradients.",
        ),
        (
            variant(
                lambda m, v, t, lr, b1, b2, e: (
                    lr * np.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + e)
                )
            ),
            "you added eps before the bias correction (the paper's 'efficient' form, "
            "lr_t * m / (sqrt(v) + eps)); torch.optim.Adam adds it after: "
            "m_hat / (sqrt(v_hat) + eps). They differ when gradients are small.",
        ),
        (
            variant(
                lambda m, v, t, lr, b1, b2, e: (
                    lr * (m / (1 - b1 ** (t + 1))) / (np.sqrt(v / (1 - b2 ** (t + 1))) + e)
                )
            ),
            "t is the step number counted from 1 (the first call has t = 1): use beta**t, "
            "not beta**(t + 1).",
        ),
        (
            variant(
                lambda m, v, t, lr, b1, b2, e: (
                    lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + 1e-8)
                )
            ),
            "use the `eps` argument, not a fixed 1e-8: this case passes eps = 1e-3.",
        ),
    ]


def _diagnose_adam(case: Case, expected, got) -> str | None:
    if isinstance(got, list) and got and isinstance(got[-1], _ChangedInput):
        return (
            f"your function changed `{got[-1].name}` in place ({got[-1].name} -= ..., *= ... "
            "or [...] = ...): build new arrays (m = beta1 * m + ..., param - lr * ...) and leave "
            "the inputs as they were."
        )
    for variant, advice in _adam_variants(*case.args):
        if _matches(got, variant):
            return advice
    return (
        "m = beta1*m + (1-beta1)*grad; v = beta2*v + (1-beta2)*grad**2; m_hat = m/(1-beta1**t); "
        "v_hat = v/(1-beta2**t); param - lr * m_hat / (sqrt(v_hat) + eps)."
    )


# 03.7 · early stopping -------------------------------------------------------------------------


def should_stop(valid_losses, patience):
    best = min(range(len(valid_losses)), key=valid_losses.__getitem__)
    return len(valid_losses) - 1 - best >= patience


def _stop_cases() -> list[Case]:
    return [
        Case(([3.0, 2.5, 2.4], 2)),
        Case(([3.0, 2.5, 2.6, 2.7], 2)),
        Case(([3.0, 2.5, 2.6], 2)),
        Case(([3.0, 2.5, 2.6, 2.55, 2.52], 3)),
        Case(([3.0, 2.5, 2.6, 2.55, 2.52], 2)),
        Case(([2.0], 1)),
        Case(([2.0, 2.0], 1), label="valid_losses [2.0, 2.0] (no strict improvement), patience 1"),
        Case(
            ([3.0, 2.5, 2.7, 2.5, 2.6], 2),
            label="valid_losses [3.0, 2.5, 2.7, 2.5, 2.6] (2.5 reached twice: a tie, not a new "
            "best), patience 2",
        ),
    ]


def _last_decrease(losses: Sequence[float]) -> int:
    return max((i for i in range(1, len(losses)) if losses[i] < losses[i - 1]), default=0)


def _diagnose_stop(case: Case, expected, got) -> str | None:
    losses, patience = case.args
    best = min(losses)
    last_best = len(losses) - 1 - losses[::-1].index(best)
    if expected and not got and losses.count(best) > 1 and len(losses) - 1 - last_best < patience:
        return (
            f"a loss equal to the best ({best}) is a tie, not an improvement: only a strictly "
            "lower loss resets the count (train() uses <), so count from the *first* time the "
            "best was reached."
        )
    if expected and not got and len(losses) - 1 - _last_decrease(losses) < patience:
        return (
            "count the evaluations since the *best* loss, not since the loss last went down: "
            f"{losses[-1]} fell from the loss before it but is still worse than the best {best}."
        )
    if expected and not got:
        return (
            f"the best loss {best} was {patience} or more evaluations ago: stop. "
            "Stop when the count reaches `patience` (>=), not only when it exceeds it."
        )
    if got and not expected:
        return (
            "too early: stop only when `patience` evaluations in a row have not beaten the "
            "best loss so far (a small rise after a new best is no reason yet)."
        )
    return None


EXERCISES = [
    Exercise(
        id="03.1",
        title="mean cross-entropy from logits",
        reference=cross_entropy,
        cases=_ce_cases,
        diagnose=_diagnose_ce,
        hints=[
            "Subtract each row's max, then log-softmax: z - log(sum(exp(z))) along axis 1.",
            "Take log_probs[np.arange(B), targets], average, and flip the sign.",
        ],
    ),
    Exercise(
        id="03.2",
        title="the gradient of cross-entropy with respect to the logits",
        reference=cross_entropy_grad,
        cases=_ce_cases,
        diagnose=_diagnose_ce_grad,
        hints=[
            "Compute the softmax probabilities of each row (subtract each row's max first).",
            "Subtract 1 at each row's target position (the one-hot vector).",
            "Divide by the batch size B, because the loss is a mean over the batch.",
        ],
    ),
    Exercise(
        id="03.3",
        title="a linear layer's backward pass",
        reference=linear_backward,
        cases=_linear_cases,
        diagnose=_diagnose_linear,
        hints=[
            "y = x @ W.T + b. Each dy/dx entry is a weight: dx = d_out @ W.",
            "Each weight W[o, i] touches every row: dW = d_out.T @ x, shape (out, in).",
            "The bias is added to every row: db = d_out.sum(axis=0).",
        ],
    ),
    Exercise(
        id="03.4",
        title="the embedding table's gradient",
        reference=embedding_backward,
        cases=_embedding_cases,
        diagnose=_diagnose_embedding,
        hints=[
            "The lookup copies rows, so each copied row's gradient flows back to its source row.",
            "A token that appears several times collects several gradients: add them.",
            "np.add.at(d_table, idx.reshape(-1), d_emb.reshape(-1, d)) adds with repeats.",
        ],
    ),
    CheckedAgainstTorch(
        id="03.5",
        title="the whole model's gradients, chained by hand",
        reference=model_gradients,
        cases=_chain_cases,
        diagnose=_diagnose_chain,
        truth=_autograd_gradients,
        hints=[
            "Go backwards: d_logits = cross_entropy_grad(logits, targets) (it has the 1/B).",
            "d_h, d_W2, d_b2 = linear_backward(d_logits, h, W2); then the tanh: "
            "d_pre = d_h * (1 - h**2).",
            "d_x, d_W1, d_b1 = linear_backward(d_pre, x, W1); "
            "d_C = embedding_backward(d_x.reshape(emb.shape), idx, len(C)).",
        ],
    ),
    CheckedAgainstTorch(
        id="03.6",
        title="one step of Adam",
        reference=adam_step,
        cases=_adam_cases,
        diagnose=_diagnose_adam,
        truth=_torch_adam,
        adapt=_over_steps,
        hints=[
            "Update the running means first: m = beta1*m + (1-beta1)*grad, "
            "v = beta2*v + (1-beta2)*grad**2.",
            "Correct their bias towards 0: m_hat = m / (1 - beta1**t), v_hat = v / (1 - beta2**t).",
            "Return (param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v): new arrays, eps outside "
            "the square root.",
        ],
    ),
    Exercise(
        id="03.7",
        title="an early-stopping rule",
        reference=should_stop,
        cases=_stop_cases,
        diagnose=_diagnose_stop,
        hints=[
            "Find the position of the best (lowest) validation loss so far; on a tie, the first.",
            "Count the evaluations after it: stop when that count reaches `patience`.",
        ],
    ),
    NumericAnswer(
        id="03.q1",
        question="The hidden layer computes h = tanh(a). Backpropagation reaches a unit whose "
        "output is h = 0.8 with d_h = 1. What is the gradient d_a with respect to its "
        "pre-activation?",
        answer=0.36,
        tolerance=0.01,
        explanation="tanh'(a) = 1 - tanh(a)^2 = 1 - 0.8^2 = 0.36, computed from the output alone.",
    ),
    MultipleChoice(
        id="03.q2",
        question="Training loss keeps falling while validation loss has been rising for a while. "
        "What is happening, and what helps?",
        options={
            "a": "Underfitting: make the model bigger.",
            "b": "Overfitting: stop early, add dropout or weight decay, or get more data.",
            "c": "The learning rate is too small: raise it.",
        },
        answer="b",
        explanations={
            "a": "An underfitting model does badly on the training data too.",
            "b": "The model memorises the training set; each cure limits how much it can.",
            "c": "Too small a learning rate makes both curves fall slowly; it does not split them.",
        },
    ),
    MultipleChoice(
        id="03.q3",
        question="Why does the softmax output pair so well with the cross-entropy loss?",
        options={
            "a": "Their combined gradient with respect to the logits is simply softmax - one_hot.",
            "b": "Cross-entropy makes the softmax outputs sum to 1.",
            "c": "It avoids having to choose a learning rate.",
        },
        answer="a",
        explanations={
            "a": "The exp and the log cancel: a simple gradient, large when the model is "
            "confidently wrong, which vanishes only as the prediction becomes right.",
            "b": "Softmax already sums to 1 by construction.",
            "c": "The learning rate is still needed.",
        },
    ),
    NumericAnswer(
        id="03.q4",
        question="A character model's validation loss is 2.0794 nats per character. What is its "
        "perplexity (e^loss), to the nearest whole number?",
        answer=8.0,
        tolerance=0.02,
        explanation="e^2.0794 = 8: as uncertain as a fair choice among 8 characters.",
    ),
    NumericAnswer(
        id="03.q5",
        question="Adam with lr = 0.001, betas (0.9, 0.999) and a negligible eps takes its very "
        "first step on a parameter whose gradient is 0.02. By how much does the parameter "
        "change (its absolute value)?",
        answer=0.001,
        tolerance=0.01,
        explanation="On step 1 the bias-corrected m_hat = g and v_hat = g^2, so the step is "
        "lr * g / |g| = lr = 0.001 whatever the gradient's size. Without bias correction it "
        "would be lr * 0.1 / sqrt(0.001) = 0.0032.",
    ),
]
