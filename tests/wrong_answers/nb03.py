"""Typical wrong answers to the exercises of notebook 03."""

import numpy as np


def _ce_sum(logits, targets):
    z = logits - logits.max(axis=1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(targets)), targets].sum())


def _ce_unstable(logits, targets):
    with np.errstate(all="ignore"):
        probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        return float(-np.log(probs[np.arange(len(targets)), targets]).mean())


def _ce_no_minus(logits, targets):
    return -_ce_sum(logits, targets) / len(targets)


def _softmax(logits):
    z = logits - logits.max(axis=1, keepdims=True)
    return np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)


def _grad_no_mean(logits, targets):
    p = _softmax(logits)
    p[np.arange(len(targets)), targets] -= 1
    return p


def _grad_no_one_hot(logits, targets):
    return _softmax(logits) / len(targets)


def _linear_transposed_dw(d_out, x, weight):
    return d_out @ weight, x.T @ d_out, d_out.sum(axis=0)


def _linear_bias_over_units(d_out, x, weight):
    return d_out @ weight, d_out.T @ x, d_out.sum(axis=1)


def _embedding_overwrites(d_emb, idx, vocab_size):
    d_table = np.zeros((vocab_size, d_emb.shape[-1]))
    d_table[idx.reshape(-1)] += d_emb.reshape(-1, d_emb.shape[-1])
    return d_table


def _embedding_no_zero_rows(d_emb, idx, vocab_size):
    return d_emb.sum(axis=0)


def _sgd_uphill(params, grads, lr):
    return {k: params[k] + lr * grads[k] for k in params}


def _sgd_no_lr(params, grads, lr):
    return {k: params[k] - grads[k] for k in params}


def _stop_on_first_rise(valid_losses, patience):
    return len(valid_losses) > 1 and valid_losses[-1] > valid_losses[-2]


def _stop_off_by_one(valid_losses, patience):
    best = int(np.argmin(valid_losses))
    return len(valid_losses) - 1 - best > patience


WRONG = {
    "03.1": [
        (_ce_sum, "sum over the batch"),
        (_ce_unstable, "overflowed"),
        (_ce_no_minus, "wrong sign"),
    ],
    "03.2": [(_grad_no_mean, "divide by the batch size"), (_grad_no_one_hot, "subtract 1")],
    "03.3": [(_linear_transposed_dw, "d_out.T @ x"), (_linear_bias_over_units, "axis=0")],
    "03.4": [(_embedding_overwrites, "np.add.at"), (_embedding_no_zero_rows, "start from zeros")],
    "03.5": [(_sgd_uphill, "downhill"), (_sgd_no_lr, "learning rate")],
    "03.6": [(_stop_on_first_rise, "too early"), (_stop_off_by_one, "or more evaluations ago")],
}
