"""Typical wrong answers to the exercises of notebook 07. Most agree with the reference on the
easy cases (one prediction, all-zero logits, no padding; constant schedules at their end points;
one gradient, norms below the maximum; one position, where myopic and ordinary attention are the
same) and are caught only by a case written to tell them apart; the rest (a missing FLOP term, an
unshifted loss) agree on no input, and must still fail with a message naming their own mistake.
The myopic-attention mistakes all compute the right values: only their gradients differ."""

import math

import numpy as np

# 07.1 · the shifted next-token loss ------------------------------------------------------------


def _log_softmax(z, axis=-1):
    z = z - z.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def _target_nll(log_probs, targets):
    """-log p of each target; a -1 target indexes the last entry, as numpy does."""
    return -np.take_along_axis(log_probs, targets[..., None], axis=-1)[..., 0]


def _loss_no_shift(logits, tokens):
    real = tokens != -1
    return float(_target_nll(_log_softmax(logits), np.where(real, tokens, 0))[real].mean())


def _loss_counts_padding(logits, tokens):
    return float(_target_nll(_log_softmax(logits[:, :-1]), tokens[:, 1:]).mean())


def _loss_mean_of_sequence_means(logits, tokens):
    nll = _target_nll(_log_softmax(logits[:, :-1]), tokens[:, 1:])
    return float(np.mean([row[t != -1].mean() for row, t in zip(nll, tokens[:, 1:], strict=True)]))


def _loss_softmax_over_positions(logits, tokens):
    targets = tokens[:, 1:]
    nll = _target_nll(_log_softmax(logits[:, :-1], axis=1), targets)
    return float(nll[targets != -1].mean())


def _loss_sum(logits, tokens):
    targets = tokens[:, 1:]
    return float(_target_nll(_log_softmax(logits[:, :-1]), targets)[targets != -1].sum())


def _loss_unstable(logits, tokens):
    probs = np.exp(logits[:, :-1]) / np.exp(logits[:, :-1]).sum(axis=-1, keepdims=True)
    targets = tokens[:, 1:]
    picked = np.take_along_axis(probs, np.maximum(targets, 0)[..., None], axis=-1)[..., 0]
    return float(-np.log(picked[targets != -1]).mean())


def _loss_masks_inputs(logits, tokens):
    nll = _target_nll(_log_softmax(logits[:, :-1]), tokens[:, 1:])
    return float(nll[tokens[:, :-1] != -1].mean())


def _loss_divides_by_all(logits, tokens):
    targets = tokens[:, 1:]
    nll = _target_nll(_log_softmax(logits[:, :-1]), targets)
    return float(np.where(targets != -1, nll, 0.0).sum() / targets.size)


# 07.2 · a batch of random windows --------------------------------------------------------------


def _windows(tokens, starts, context, x_from=0, y_from=1):
    x = np.stack([tokens[s + x_from : s + x_from + context] for s in starts])
    y = np.stack([tokens[s + y_from : s + y_from + context] for s in starts])
    return x, y


def _windows_y_equals_x(tokens, batch_size, context, rng):
    starts = rng.integers(0, len(tokens) - context, size=batch_size)
    return _windows(tokens, starts, context, y_from=0)


def _windows_bound_off_by_one(tokens, batch_size, context, rng):
    starts = rng.integers(0, len(tokens) - context + 1, size=batch_size)
    return _windows(tokens, starts, context)


def _windows_swapped(tokens, batch_size, context, rng):
    starts = rng.integers(0, len(tokens) - context, size=batch_size)
    return _windows(tokens, starts, context, x_from=1, y_from=0)


def _windows_draws_twice(tokens, batch_size, context, rng):
    x_starts = rng.integers(0, len(tokens) - context, size=batch_size)
    y_starts = rng.integers(0, len(tokens) - context, size=batch_size)
    return _windows(tokens, x_starts, context)[0], _windows(tokens, y_starts, context)[1]


def _windows_bound_too_small(tokens, batch_size, context, rng):
    starts = rng.integers(0, len(tokens) - context - 1, size=batch_size)
    return _windows(tokens, starts, context)


# 07.3 · warmup and cosine decay ----------------------------------------------------------------


def _cosine(step, start, end, lr, min_lr, clip=True):
    progress = (step - start) / max(1, end - start)
    progress = min(1.0, progress) if clip else progress
    return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * progress))


def _lr_warmup_from_zero(step, total_steps, warmup, lr, min_lr):
    if step < warmup:
        return lr * step / warmup
    return _cosine(step, warmup, total_steps - 1, lr, min_lr)


def _lr_decays_to_zero(step, total_steps, warmup, lr, min_lr):
    if step < warmup:
        return lr * (step + 1) / warmup
    return _cosine(step, warmup, total_steps - 1, lr, 0.0)


def _lr_cosine_over_all_steps(step, total_steps, warmup, lr, min_lr):
    if step < warmup:
        return lr * (step + 1) / warmup
    return _cosine(step, 0, total_steps - 1, lr, min_lr)


def _lr_linear_decay(step, total_steps, warmup, lr, min_lr):
    if step < warmup:
        return lr * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total_steps - 1 - warmup))
    return lr - (lr - min_lr) * progress


def _lr_not_clipped(step, total_steps, warmup, lr, min_lr):
    if step < warmup:
        return lr * (step + 1) / warmup
    return _cosine(step, warmup, total_steps - 1, lr, min_lr, clip=False)


def _lr_warmup_includes_step_warmup(step, total_steps, warmup, lr, min_lr):
    if step <= warmup and warmup > 0:
        return lr * (step + 1) / warmup
    return _cosine(step, warmup, total_steps - 1, lr, min_lr)


def _lr_ends_one_step_late(step, total_steps, warmup, lr, min_lr):
    if step < warmup:
        return lr * (step + 1) / warmup
    return _cosine(step, warmup, total_steps, lr, min_lr)


# 07.4 · clipping by the global norm ------------------------------------------------------------


def _l2(grads):
    return math.sqrt(sum(float((g**2).sum()) for g in grads))


def _clip_per_tensor(grads, max_norm):
    clipped = []
    for g in grads:
        norm = np.linalg.norm(g)
        clipped.append(g * max_norm / (norm + 1e-6) if norm > max_norm else g.copy())
    return clipped, _l2(grads)


def _clip_always(grads, max_norm):
    norm = _l2(grads)
    return [g * max_norm / (norm + 1e-6) for g in grads], norm


def _clip_max_abs_norm(grads, max_norm):
    norm = max(float(np.abs(g).max()) for g in grads)
    scale = min(1.0, max_norm / (norm + 1e-6))
    return [g * scale for g in grads], norm


def _clip_no_eps(grads, max_norm):
    norm = _l2(grads)
    if norm > max_norm:
        return [g * (max_norm / norm) for g in grads], norm
    return [g.copy() for g in grads], norm


def _clip_sum_of_norms(grads, max_norm):
    norm = sum(float(np.linalg.norm(g)) for g in grads)
    scale = min(1.0, max_norm / (norm + 1e-6))
    return [g * scale for g in grads], norm


def _clip_returns_norm_after(grads, max_norm):
    scale = min(1.0, max_norm / (_l2(grads) + 1e-6))
    clipped = [g * scale for g in grads]
    return clipped, _l2(clipped)


# 07.5 · training FLOPs per token ---------------------------------------------------------------


def _flops_no_attention(n_layer, d_model, context, vocab_size):
    return 6 * (12 * n_layer * d_model**2 + d_model * vocab_size)


def _flops_no_unembedding(n_layer, d_model, context, vocab_size):
    return 6 * 12 * n_layer * d_model**2 + 12 * n_layer * context * d_model


def _flops_forward_only(n_layer, d_model, context, vocab_size):
    return 2 * (12 * n_layer * d_model**2 + d_model * vocab_size) + 4 * n_layer * context * d_model


def _flops_attention_once(n_layer, d_model, context, vocab_size):
    weights = 12 * n_layer * d_model**2 + d_model * vocab_size
    return 6 * weights + 6 * n_layer * context * d_model


def _flops_embedding_too(n_layer, d_model, context, vocab_size):
    weights = 12 * n_layer * d_model**2 + 2 * d_model * vocab_size
    return 6 * weights + 12 * n_layer * context * d_model


# 07.6 · the myopic attention step --------------------------------------------------------------


def _causal_softmax(scores):
    import torch

    T = scores.shape[0]
    future = torch.ones(T, T, dtype=torch.bool).triu(1)
    return torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1)


def _myopic_ordinary(h, W_q, W_k, W_v):
    C = h.shape[1]
    q, k, v = h @ W_q, h @ W_k, h @ W_v
    return _causal_softmax(q @ k.T / C**0.5) @ v


def _split_attention(q, k_own, v_own, k_past, v_past):
    """Scores and outputs from the own key/value on the diagonal, the past ones below it."""
    import torch

    T, C = q.shape
    own = torch.eye(T, dtype=torch.bool)
    w = _causal_softmax(torch.where(own, q @ k_own.T, q @ k_past.T) / C**0.5)
    return (w * own) @ v_own + (w * ~own) @ v_past


def _myopic_naive_detach(h, W_q, W_k, W_v):
    k, v = h @ W_k, h @ W_v
    return _split_attention(h @ W_q, k, v, k.detach(), v.detach())


def _myopic_everything_detached(h, W_q, W_k, W_v):
    k, v = (h @ W_k).detach(), (h @ W_v).detach()
    return _split_attention(h @ W_q, k, v, k, v)


def _myopic_diagonal_detached(h, W_q, W_k, W_v):
    k, v = h.detach() @ W_k, h.detach() @ W_v
    return _split_attention(h @ W_q, k, v, k, v)


def _myopic_queries_detached(h, W_q, W_k, W_v):
    k, v = h @ W_k, h @ W_v
    k_past, v_past = h.detach() @ W_k, h.detach() @ W_v
    return _split_attention(h.detach() @ W_q, k, v, k_past, v_past)


def _myopic_unscaled(h, W_q, W_k, W_v):
    import torch

    T = h.shape[0]
    own = torch.eye(T, dtype=torch.bool)
    q, k, v = h @ W_q, h @ W_k, h @ W_v
    k_past, v_past = h.detach() @ W_k, h.detach() @ W_v
    w = _causal_softmax(torch.where(own, q @ k.T, q @ k_past.T))
    return (w * own) @ v + (w * ~own) @ v_past


WRONG = {
    "07.1": [
        (_loss_no_shift, "no shift"),
        (_loss_counts_padding, "the padded targets were counted"),
        (_loss_mean_of_sequence_means, "the mean of each sequence's mean"),
        (_loss_softmax_over_positions, "the softmax ran over the positions"),
        (_loss_sum, "that is the sum"),
        (_loss_unstable, "exp overflowed"),
        (_loss_masks_inputs, "you masked by the input token"),
        (_loss_divides_by_all, "divided by all B * (T - 1) predictions"),
    ],
    "07.2": [
        (_windows_y_equals_x, "y equals x"),
        (_windows_bound_off_by_one, "the upper bound is off by one"),
        (_windows_swapped, "x and y are swapped"),
        (_windows_draws_twice, "you drew the starts twice"),
        (_windows_bound_too_small, "the upper bound is one too small"),
    ],
    "07.3": [
        (_lr_warmup_from_zero, "the warmup starts at 0"),
        (_lr_decays_to_zero, "the cosine falls to 0"),
        (_lr_cosine_over_all_steps, "the cosine runs over all total_steps"),
        (_lr_linear_decay, "that is a linear decay"),
        (_lr_not_clipped, "past the last step the cosine came back up"),
        (_lr_warmup_includes_step_warmup, "warm up only while step < warmup"),
        (_lr_ends_one_step_late, "the decay ends one step late"),
    ],
    "07.4": [
        (_clip_per_tensor, "clipped each gradient by its own norm"),
        (_clip_always, "scales small gradients UP"),
        (_clip_max_abs_norm, "that norm is the largest |entry|"),
        (_clip_no_eps, "without the 1e-6"),
        (_clip_sum_of_norms, "you added up the gradients' norms"),
        (_clip_returns_norm_after, "return the norm BEFORE clipping"),
    ],
    "07.5": [
        (_flops_no_attention, "the attention term is missing"),
        (_flops_no_unembedding, "the unembedding is missing"),
        (_flops_forward_only, "that is the forward pass only"),
        (_flops_attention_once, "attention counted once"),
        (_flops_embedding_too, "the embedding lookup is not a matrix product"),
    ],
    "07.6": [
        (_myopic_ordinary, "that is ordinary causal attention"),
        (_myopic_naive_detach, "you detached the past keys and values themselves"),
        (_myopic_everything_detached, "you detached every key and value"),
        (_myopic_diagonal_detached, "the diagonal (position t attending to itself) was detached"),
        (_myopic_queries_detached, "the queries were detached"),
        (_myopic_unscaled, "the scores are not scaled"),
    ],
}
