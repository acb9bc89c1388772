"""Typical wrong answers to the exercises of notebook 03. Each agrees with the reference on the
easy cases (one row, small logits, B = 1, distinct tokens, tiny weights, large gradients) and is
caught only by a case written to tell it apart."""

import numpy as np

# 03.1 · mean cross-entropy ---------------------------------------------------------------------


def _ce_sum(logits, targets):
    z = logits - logits.max(axis=1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(targets)), targets].sum())


def _ce_unstable(logits, targets):
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return float(-np.log(probs[np.arange(len(targets)), targets]).mean())


def _ce_no_minus(logits, targets):
    return -_ce_sum(logits, targets) / len(targets)


def _ce_batch_max(logits, targets):
    z = logits - logits.max()  # one max for the whole batch
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(targets)), targets].mean())


def _ce_log_of_softmax(logits, targets):
    z = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return float(-np.log(probs[np.arange(len(targets)), targets]).mean())


def _ce_all_targets_for_every_row(logits, targets):
    z = logits - logits.max(axis=1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_probs[:, targets].mean())


def _ce_normalised_by_batch_sum(logits, targets):
    z = logits - logits.max(axis=1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum())  # no axis: one sum for the whole batch
    return float(-log_probs[np.arange(len(targets)), targets].mean())


# 03.2 · its gradient ---------------------------------------------------------------------------


def _softmax(logits):
    z = logits - logits.max(axis=1, keepdims=True)
    return np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)


def _grad_no_mean(logits, targets):
    p = _softmax(logits)
    p[np.arange(len(targets)), targets] -= 1
    return p


def _grad_no_one_hot(logits, targets):
    return _softmax(logits) / len(targets)


def _grad_batch_max(logits, targets):
    e = np.exp(logits - logits.max())
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(len(targets)), targets] -= 1
    return p / len(targets)


def _grad_unstable(logits, targets):
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    p[np.arange(len(targets)), targets] -= 1
    return p / len(targets)


def _grad_reversed(logits, targets):
    p = _softmax(logits)
    p[np.arange(len(targets)), targets] -= 1
    return -p / len(targets)


def _grad_normalised_by_batch_sum(logits, targets):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum()
    p[np.arange(len(targets)), targets] -= 1
    return p / len(targets)


# 03.3 · a linear layer -------------------------------------------------------------------------


def _linear_transposed_dw(d_out, x, weight):
    return d_out @ weight, x.T @ d_out, d_out.sum(axis=0)


def _linear_bias_over_units(d_out, x, weight):
    return d_out @ weight, d_out.T @ x, d_out.sum(axis=1)


def _linear_averages_again(d_out, x, weight):
    b = len(d_out)
    return d_out @ weight, d_out.T @ x / b, d_out.mean(axis=0)


def _linear_scalar_bias(d_out, x, weight):
    return d_out @ weight, d_out.T @ x, d_out.sum()


# 03.4 · the embedding table --------------------------------------------------------------------


def _embedding_overwrites(d_emb, idx, vocab_size):
    d_table = np.zeros((vocab_size, d_emb.shape[-1]))
    d_table[idx.reshape(-1)] += d_emb.reshape(-1, d_emb.shape[-1])
    return d_table


def _embedding_no_zero_rows(d_emb, idx, vocab_size):
    return d_emb.sum(axis=0)


def _embedding_averages_repeats(d_emb, idx, vocab_size):
    d_table = np.zeros((vocab_size, d_emb.shape[-1]))
    np.add.at(d_table, idx.reshape(-1), d_emb.reshape(-1, d_emb.shape[-1]))
    counts = np.bincount(idx.reshape(-1), minlength=vocab_size)
    return d_table / np.maximum(counts, 1)[:, None]


def _embedding_wrong_order(d_emb, idx, vocab_size):
    d_table = np.zeros((vocab_size, d_emb.shape[-1]))
    np.add.at(d_table, idx.T.reshape(-1), d_emb.reshape(-1, d_emb.shape[-1]))
    return d_table


# 03.5 · the whole model, chained (with correct pieces, so only the chaining is wrong) ---------


def _forward(params, idx):
    C, W1, b1, W2, b2 = (params[k] for k in ("C", "W1", "b1", "W2", "b2"))
    emb = C[idx]
    x = emb.reshape(len(idx), -1)
    pre = x @ W1.T + b1
    h = np.tanh(pre)
    return emb, x, pre, h, h @ W2.T + b2


def _per_example_grad(logits, targets):
    p = _softmax(logits)
    p[np.arange(len(targets)), targets] -= 1
    return p


def _linear(d_out, x, weight):
    return d_out @ weight, d_out.T @ x, d_out.sum(axis=0)


def _embedding(d_emb, idx, vocab_size):
    d_table = np.zeros((vocab_size, d_emb.shape[-1]))
    np.add.at(d_table, idx.reshape(-1), d_emb.reshape(-1, d_emb.shape[-1]))
    return d_table


def _chain(params, idx, targets, d_logits, tanh_grad, h_for_w2):
    emb, x, _, _, _ = _forward(params, idx)
    d_h, d_W2, d_b2 = _linear(d_logits, h_for_w2, params["W2"])
    d_x, d_W1, d_b1 = _linear(d_h * tanh_grad, x, params["W1"])
    d_C = _embedding(d_x.reshape(emb.shape), idx, len(params["C"]))
    return {"C": d_C, "W1": d_W1, "b1": d_b1, "W2": d_W2, "b2": d_b2}


def _chain_forgets_one_over_b(params, idx, targets):
    _, _, _, h, logits = _forward(params, idx)
    return _chain(params, idx, targets, _per_example_grad(logits, targets), 1 - h**2, h)


def _chain_skips_tanh(params, idx, targets):
    _, _, _, h, logits = _forward(params, idx)
    return _chain(params, idx, targets, _per_example_grad(logits, targets) / len(idx), 1.0, h)


def _chain_tanh_of_preactivation(params, idx, targets):
    _, _, pre, h, logits = _forward(params, idx)
    d_logits = _per_example_grad(logits, targets) / len(idx)
    return _chain(params, idx, targets, d_logits, 1 - pre**2, h)


def _chain_w2_from_preactivation(params, idx, targets):
    _, _, pre, h, logits = _forward(params, idx)
    d_logits = _per_example_grad(logits, targets) / len(idx)
    return _chain(params, idx, targets, d_logits, 1 - h**2, pre)


def _chain_overwrites_embedding_rows(params, idx, targets):
    _, _, _, h, logits = _forward(params, idx)
    d_logits = _per_example_grad(logits, targets) / len(idx)
    grads = _chain(params, idx, targets, d_logits, 1 - h**2, h)
    d_x = (d_logits @ params["W2"] * (1 - h**2)) @ params["W1"]
    d_C = np.zeros_like(params["C"])
    d_C[idx.reshape(-1)] = d_x.reshape(-1, params["C"].shape[1])  # repeats overwrite each other
    return {**grads, "C": d_C}


def _chain_scrambles_positions(params, idx, targets):
    _, _, _, h, logits = _forward(params, idx)
    d_logits = _per_example_grad(logits, targets) / len(idx)
    grads = _chain(params, idx, targets, d_logits, 1 - h**2, h)
    d_x = (d_logits @ params["W2"] * (1 - h**2)) @ params["W1"]
    d_emb = d_x.reshape(idx.shape[1], len(idx), -1).transpose(1, 0, 2)  # (n, B, d) order: wrong
    return {**grads, "C": _embedding(d_emb, idx, len(params["C"]))}


# 03.6 · one step of Adam -----------------------------------------------------------------------


def _adam_no_bias_correction(param, grad, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    return param - lr * m / (np.sqrt(v) + eps), m, v


def _adam_eps_inside_sqrt(param, grad, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return param - lr * m_hat / np.sqrt(v_hat + eps), m, v


def _adam_papers_efficient_form(param, grad, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    lr_t = lr * np.sqrt(1 - beta2**t) / (1 - beta1**t)
    return param - lr_t * m / (np.sqrt(v) + eps), m, v


def _adam_fixed_eps(param, grad, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return param - lr * m_hat / (np.sqrt(v_hat) + 1e-8), m, v


def _adam_t_from_zero(param, grad, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1 ** (t + 1)), v / (1 - beta2 ** (t + 1))
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def _adam_in_place(param, grad, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    param -= lr * m_hat / (np.sqrt(v_hat) + eps)
    return param, m, v


def _adam_stale_averages(param, grad, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    new_param = param - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
    return new_param, beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad**2


def _adam_corrects_only_m(param, grad, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    return param - lr * (m / (1 - beta1**t)) / (np.sqrt(v) + eps), m, v


def _adam_correction_outside_sqrt(param, grad, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    return param - lr * (m / (1 - beta1**t)) / (np.sqrt(v) / (1 - beta2**t) + eps), m, v


def _adam_mutates_m(param, grad, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    m *= beta1
    m += (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    return param - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v


# 03.7 · early stopping -------------------------------------------------------------------------


def _stop_on_first_rise(valid_losses, patience):
    return len(valid_losses) > 1 and valid_losses[-1] > valid_losses[-2]


def _stop_off_by_one(valid_losses, patience):
    best = int(np.argmin(valid_losses))
    return len(valid_losses) - 1 - best > patience


def _stop_tie_is_a_new_best(valid_losses, patience):
    best = max(i for i, loss in enumerate(valid_losses) if loss <= min(valid_losses))
    return len(valid_losses) - 1 - best >= patience


def _stop_counts_since_last_decrease(valid_losses, patience):
    since = 0
    for previous, loss in zip(valid_losses, valid_losses[1:]):
        since = 0 if loss < previous else since + 1
    return since >= patience


WRONG = {
    "03.1": [
        (_ce_sum, "sum over the batch"),
        (_ce_unstable, "overflowed"),
        (_ce_no_minus, "wrong sign"),
        (_ce_batch_max, "max of the whole batch"),
        (_ce_log_of_softmax, "took log() of the softmax"),
        (_ce_all_targets_for_every_row, "np.arange(B), targets"),
        (_ce_normalised_by_batch_sum, "normalised by its own sum"),
    ],
    "03.2": [
        (_grad_no_mean, "divide by the batch size"),
        (_grad_no_one_hot, "subtract 1"),
        (_grad_batch_max, "max of the whole batch"),
        (_grad_unstable, "overflowed"),
        (_grad_reversed, "wrong sign"),
        (_grad_normalised_by_batch_sum, "normalised by its own sum"),
    ],
    "03.3": [
        (_linear_transposed_dw, "d_out.T @ x"),
        (_linear_bias_over_units, "axis=0"),
        (_linear_averages_again, "already carries the 1/B"),
        (_linear_scalar_bias, "one number per output unit"),
    ],
    "03.4": [
        (_embedding_overwrites, "np.add.at"),
        (_embedding_no_zero_rows, "start from zeros"),
        (_embedding_averages_repeats, "not their mean"),
        (_embedding_wrong_order, "same order"),
    ],
    "03.5": [
        (_chain_forgets_one_over_b, "B times too large"),
        (_chain_skips_tanh, "you skipped the tanh"),
        (_chain_tanh_of_preactivation, "computed from the *output* h"),
        (_chain_w2_from_preactivation, "d_W2 = d_logits.T @ h"),
        (_chain_overwrites_embedding_rows, "collect the sum"),
        (_chain_scrambles_positions, "reshape d_x to emb's shape"),
    ],
    "03.6": [
        (_adam_no_bias_correction, "no bias correction"),
        (_adam_eps_inside_sqrt, "outside the square root"),
        (_adam_papers_efficient_form, "before the bias correction"),
        (_adam_fixed_eps, "use the `eps` argument"),
        (_adam_t_from_zero, "counted from 1"),
        (_adam_in_place, "changed `param` in place"),
        (_adam_stale_averages, "*before* using them"),
        (_adam_corrects_only_m, "v_hat = v / (1 - beta2**t) as well"),
        (_adam_correction_outside_sqrt, "inside the square root: sqrt(v / (1 - beta2**t))"),
        (_adam_mutates_m, "changed `m` in place"),
    ],
    "03.7": [
        (_stop_on_first_rise, "too early"),
        (_stop_off_by_one, "or more evaluations ago"),
        (_stop_tie_is_a_new_best, "a tie, not an improvement"),
        (_stop_counts_since_last_decrease, "since the *best* loss"),
    ],
}
