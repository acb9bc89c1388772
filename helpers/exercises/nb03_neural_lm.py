"""Exercises and review questions of notebook 03, the neural language model (numpy versions of
the pieces in helpers.grad and helpers.train)."""

from __future__ import annotations

import math

import numpy as np

from helpers.exercises.checking import Case, Exercise, MultipleChoice, NumericAnswer


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def cross_entropy(logits, targets):
    z = logits - logits.max(axis=1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(targets)), targets].mean())


def _ce_cases() -> list[Case]:
    return [
        Case((np.array([[2.0, 1.0, 0.1]]), np.array([0]))),
        Case((np.array([[0.0, 0.0], [0.0, 0.0]]), np.array([0, 1]))),
        Case((np.array([[1000.0, 0.0, -1000.0], [3.0, 2.0, 1.0]]), np.array([1, 2]))),
        Case(
            (_rng(0).normal(size=(5, 7)), np.array([0, 6, 3, 3, 1])),
            label="random logits of shape (5, 7), targets [0, 6, 3, 3, 1]",
        ),
    ]


def _diagnose_ce(case: Case, expected, got) -> str | None:
    targets = case.args[1]
    try:
        got = float(got)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(got):
        return "exp() overflowed: subtract each row's max logit before exponentiating."
    if math.isclose(got, -expected, rel_tol=1e-6) and expected:
        return "wrong sign: the loss is minus the mean log-probability of the targets."
    if len(targets) > 1 and math.isclose(got, expected * len(targets), rel_tol=1e-6):
        return "that is the sum over the batch; the loss is the mean."
    return "pick each row's target log-probability: log_probs[np.arange(B), targets]."


def cross_entropy_grad(logits, targets):
    z = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    probs[np.arange(len(targets)), targets] -= 1
    return probs / len(targets)


def _diagnose_ce_grad(case: Case, expected, got) -> str | None:
    targets = case.args[1]
    got = np.asarray(got, dtype=float)
    if got.shape != expected.shape:
        return None
    if np.allclose(got, expected * len(targets)):
        return "divide by the batch size: the loss is a mean, so each row's gradient is 1/B."
    if np.allclose(got, -expected):
        return "wrong sign: the gradient is softmax minus the one-hot target, not the reverse."
    if np.allclose(got.sum(axis=1), 1 / len(targets)):
        return "you did not subtract 1 at each row's target position."
    return "the gradient of mean cross-entropy is (softmax(logits) - one_hot(targets)) / B."


def linear_backward(d_out, x, weight):
    return d_out @ weight, d_out.T @ x, d_out.sum(axis=0)


def _linear_cases() -> list[Case]:
    cases = []
    for seed, (b, i, o) in enumerate([(1, 1, 1), (2, 3, 4), (5, 2, 3), (4, 4, 4)]):
        r = _rng(seed)
        cases.append(
            Case(
                (r.normal(size=(b, o)), r.normal(size=(b, i)), r.normal(size=(o, i))),
                label=f"d_out ({b}, {o}), x ({b}, {i}), weight ({o}, {i}) (random)",
            )
        )
    return cases


def _diagnose_linear(case: Case, expected, got) -> str | None:
    d_out, _, weight = case.args
    try:
        _, dw, db = got
    except (TypeError, ValueError):
        return "return three arrays: (dx, d_weight, d_bias)."
    if np.shape(dw) == (weight.shape[1], weight.shape[0]):
        return "d_weight must have the weight's shape (out, in): use d_out.T @ x, not x.T @ d_out."
    if np.shape(db) == () or np.shape(db) == (d_out.shape[0],):
        return "d_bias sums d_out over the batch (axis=0): one number per output unit."
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
            (np.ones((1, 2, 2)), np.array([[2, 2]]), 3),
            label="d_emb all ones (1, 2, 2), idx [[2, 2]] (the same row twice), vocab_size 3",
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
    d_emb, idx, _ = case.args
    overwritten = np.zeros_like(expected)
    overwritten[idx.reshape(-1)] = d_emb.reshape(-1, d_emb.shape[-1])
    if np.shape(got) == expected.shape and np.allclose(got, overwritten):
        return (
            "a row used several times must receive the *sum* of its gradients; "
            "table[idx] += ... overwrites repeats; use np.add.at."
        )
    return "start from zeros (vocab_size, d) and add each position's gradient to its token's row."


def sgd_step(params, grads, lr):
    return {name: params[name] - lr * grads[name] for name in params}


def _sgd_cases() -> list[Case]:
    r = _rng(5)
    return [
        Case(({"w": np.array([1.0, 2.0])}, {"w": np.array([0.5, -1.0])}, 0.1)),
        Case(
            ({"w": np.array([0.0])}, {"w": np.array([0.0])}, 1.0),
            label="w [0.0] with gradient [0.0] (a minimum: nothing moves), lr 1.0",
        ),
        Case(
            (
                {"w": np.ones((2, 2)), "b": np.zeros(2)},
                {"w": np.full((2, 2), 2.0), "b": np.array([1.0, -1.0])},
                0.5,
            )
        ),
        Case(
            (
                {"w": r.normal(size=3), "b": r.normal(size=1)},
                {"w": r.normal(size=3), "b": r.normal(size=1)},
                0.01,
            ),
            label="random w (3,), b (1,) and their gradients, lr 0.01",
        ),
    ]


def _diagnose_sgd(case: Case, expected, got) -> str | None:
    params, grads, lr = case.args
    if isinstance(got, dict) and set(got) == set(params):
        first = next(iter(params))
        step = np.asarray(got[first]) - params[first]
        if np.allclose(step, lr * grads[first]):
            return "you stepped *up* the gradient: subtract lr * grad to go downhill."
        if np.allclose(step, -grads[first]):
            return "the step must be scaled by the learning rate: param - lr * grad."
    return "new value of each parameter = old value - lr * its gradient."


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
    ]


def _diagnose_stop(case: Case, expected, got) -> str | None:
    losses, patience = case.args
    if expected and not got:
        return (
            f"the best loss {min(losses)} was {patience} or more evaluations ago: stop. "
            "Count evaluations since the best, not only since the last rise."
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
            "Compute the softmax probabilities of each row.",
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
    Exercise(
        id="03.5",
        title="one step of gradient descent",
        reference=sgd_step,
        cases=_sgd_cases,
        diagnose=_diagnose_sgd,
        hints=["Return a new dict: {name: params[name] - lr * grads[name] for name in params}."],
    ),
    Exercise(
        id="03.6",
        title="an early-stopping rule",
        reference=should_stop,
        cases=_stop_cases,
        diagnose=_diagnose_stop,
        hints=[
            "Find the position of the best (lowest) validation loss so far.",
            "Count the evaluations after it: stop when that count reaches `patience`.",
        ],
    ),
    MultipleChoice(
        id="03.q1",
        question="What is the derivative of ReLU(x) = max(x, 0) at x = -2?",
        options={"a": "0", "b": "1", "c": "-2", "d": "undefined"},
        answer="a",
        explanations={
            "a": "ReLU is flat (constant 0) for negative inputs, so its slope there is 0.",
            "b": "1 is the slope for positive inputs.",
            "c": "That is the input, not the slope.",
            "d": "Only x = 0 is a kink; frameworks pick 0 there by convention.",
        },
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
            "a": "The exp and the log cancel: a simple, well-scaled, never-vanishing gradient.",
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
]
