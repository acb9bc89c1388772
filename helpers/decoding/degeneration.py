"""Measuring degeneration: how repetitive a text is, and how likely a model finds each token.

    distinct_n(text.split(), 2)          # unique word pairs / word pairs: 1.0 = no pair repeats
    repetition_rate(text.split(), 16)    # share of words already among the 16 before them
    token_log_probs(model, ids)          # (T - 1,) log p(ids[t] | ids[:t]) under our GPT; batched

Holtzman et al. (2020, The Curious Case of Neural Text Degeneration) showed that text found by
maximising likelihood (greedy decoding, beam search) is *more* likely under the model than text
people write, and repeats itself; human text keeps surprising the model. These three measures let
a notebook see both halves of that claim on any model and any way of decoding:

- distinct-n (after Li et al. 2016, who divide by the number of generated words instead): the
  number of different n-grams divided by the number of n-grams; a text stuck in a loop re-uses
  the same few n-grams and scores low;
- the repetition rate (Welleck et al. 2019's rep/l): the share of items (tokens or words) that
  already occurred among the `window` items just before them; loops score close to 1;
- per-token log-probabilities of a text under a model, in one forward pass.

The first two take any sequence of hashable items (characters, token ids, words), so that text
from models with different tokenizers can be compared word for word.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import torch
import torch.nn.functional as F

from helpers.transformer.gpt import GPT


def _check_items(items: object, at_least: int) -> Sequence[Hashable]:
    if not isinstance(items, Sequence):
        raise TypeError(f"items must be a sequence (words, ids, a str), got {items!r:.60}")
    if len(items) < at_least:
        raise ValueError(f"items must hold at least {at_least} items, got {len(items)}")
    return items


def _check_positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return value


def ngrams(items: Sequence[Hashable], n: int) -> list[tuple[Hashable, ...]]:
    """Every run of n consecutive items, in order: len(items) - n + 1 tuples (none if too few)."""
    n = _check_positive_int("n", n)
    items = _check_items(items, 0)
    return [tuple(items[i : i + n]) for i in range(len(items) - n + 1)]


def distinct_n(items: Sequence[Hashable], n: int) -> float:
    """Distinct-n (after Li et al. 2016): unique n-grams / n-grams of `items`, in (0, 1]. Li et
    al. divide the unique n-grams by the number of words; dividing by the number of n-grams
    makes a share that a text without repeats scores 1 on.

    1 means no n-gram occurs twice; a text that repeats one n-gram over and over tends to 0.
    Needs at least n items. Longer texts score lower (common n-grams come back), so compare texts
    of the same length.
    """
    n = _check_positive_int("n", n)
    grams = ngrams(_check_items(items, n), n)
    return len(set(grams)) / len(grams)


def repetition_rate(items: Sequence[Hashable], window: int | None = None) -> float:
    """The share of items that equal one of the `window` items just before them (Welleck et al.
    2019's rep/l), in [0, 1]; window=None looks back over the whole text.

    Counted over positions 1 .. len(items) - 1 (the first item has nothing before it), so it needs
    at least 2 items. Plain text repeats common words (a rate of about 0.2-0.4 over the last 16
    words); a text caught in a loop repeats nearly every word (close to 1).
    """
    items = _check_items(items, 2)
    if window is not None:
        window = _check_positive_int("window", window)
    last_seen: dict[Hashable, int] = {}  # item -> the latest position it occurred at
    repeats = 0
    for t, item in enumerate(items):
        before = last_seen.get(item)
        if before is not None and (window is None or t - before <= window):
            repeats += 1
        last_seen[item] = t
    return repeats / (len(items) - 1)


@torch.no_grad()
def token_log_probs(model: GPT, ids: Sequence[int] | torch.Tensor) -> torch.Tensor:
    """log p(ids[..., t] | ids[..., :t]) for t = 1 .. T - 1 under `model`: a float tensor (T - 1,)
    for one sequence ids (T,), or (B, T - 1) for a batch ids (B, T).

    One forward pass over ids[..., :-1], so T - 1 must fit in the model's context; the first
    token has no prediction. The model is read in eval mode and put back in its mode. The sum is
    the log-likelihood of everything after the first token, the negative mean its loss in nats.
    """
    if not isinstance(model, GPT):
        raise TypeError(f"model must be a helpers.transformer.gpt.GPT, got {type(model).__name__}")
    ids = torch.as_tensor(ids)
    if ids.dtype not in (torch.long, torch.int) or ids.ndim not in (1, 2):
        raise ValueError(f"ids must be integer ids of shape (T,) or (B, T), got {ids!r:.60}")
    vocab, context, T = model.cfg.vocab_size, model.cfg.context, ids.shape[-1]
    if not 2 <= T <= context + 1:
        raise ValueError(
            f"ids must hold 2 to context + 1 = {context + 1} tokens (one forward pass), got "
            f"{T}: score a shorter text"
        )
    if ids.min() < 0 or ids.max() >= vocab:
        raise ValueError(f"ids must lie in [0, {vocab}), got min {ids.min()}, max {ids.max()}")
    batch = ids.long().reshape(-1, T).to(model.tok_emb.weight.device)  # (B, T)
    was_training = model.training
    model.eval()
    try:
        logits, _ = model(batch[:, :-1])  # (B, T - 1, V): position t predicts token t + 1
    finally:
        model.train(was_training)
    log_probs = F.log_softmax(logits.float(), dim=-1)
    picked = log_probs.gather(-1, batch[:, 1:, None])[..., 0].cpu()  # (B, T - 1)
    return picked.reshape((*ids.shape[:-1], T - 1))
