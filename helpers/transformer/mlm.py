"""Masked language modelling (BERT's pre-training task) next to next-token prediction.

    inputs, targets = mask_tokens(ids, mask_id, vocab_size, generator)   # BERT's 15%, 80/10/10
    loss_fn = masked_lm_loss(mask_id, vocab_size, generator)             # for the trainer's loss_fn
    probs = fill_blank(encoder, left, right, mask_id)                    # (vocab,) at the blank

An encoder is our GPT with `causal=False`: the same blocks, every position attending to every
other. It cannot be trained to predict the next token (it would see it), so BERT (Devlin et al.,
2019) hides some input tokens and trains the model to recover them from both sides.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from helpers.transformer.gpt import GPT


def mask_tokens(
    ids: torch.Tensor,
    mask_id: int,
    vocab_size: int,
    generator: torch.Generator,
    rate: float = 0.15,
) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's corruption of a batch ids (B, T) for a model of `vocab_size` ids ([MASK] included):
    each position is chosen with probability `rate`;
    a chosen token becomes `mask_id` 80% of the time, a random token 10%, and stays 10% (so the
    model cannot rely on seeing [MASK] where it must predict).

    Returns (inputs (B, T), targets (B, T)): targets hold the original id at chosen positions and
    -100 (ignored by the loss) everywhere else."""
    if not 0 < rate <= 1:
        raise ValueError(f"rate must be in (0, 1], got {rate}")
    if not 0 <= mask_id < vocab_size:
        raise ValueError(f"mask_id must be in [0, vocab_size={vocab_size}), got {mask_id}")
    chosen = torch.rand(ids.shape, generator=generator) < rate
    action = torch.rand(ids.shape, generator=generator)
    random_ids = torch.randint(0, vocab_size, ids.shape, generator=generator)
    inputs = torch.where(chosen & (action < 0.8), mask_id, ids)
    inputs = torch.where(chosen & (action >= 0.8) & (action < 0.9), random_ids, inputs)
    targets = torch.where(chosen, ids, -100)
    return inputs, targets


def masked_lm_loss(
    mask_id: int, vocab_size: int, generator: torch.Generator, rate: float = 0.15
) -> Callable[[GPT, torch.Tensor, torch.Tensor], torch.Tensor]:
    """A loss_fn(model, x, y) for helpers.pretraining.trainer: masks x afresh at every call and
    returns the cross-entropy on the masked positions (y, the next-token targets, is not used)."""

    def loss_fn(model: GPT, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        inputs, targets = mask_tokens(x, mask_id, vocab_size, generator, rate)
        return model(inputs, targets)[1]

    return loss_fn


@torch.no_grad()
def fill_blank(encoder: GPT, left: list[int], right: list[int], mask_id: int) -> torch.Tensor:
    """The encoder's distribution (vocab,) over the token between `left` and `right`."""
    ids = torch.tensor([[*left, mask_id, *right]])
    logits, _ = encoder(ids)
    return logits[0, len(left)].softmax(-1)


@torch.no_grad()
def next_token_probs(decoder: GPT, left: list[int]) -> torch.Tensor:
    """A causal model's distribution (vocab,) over the token after `left`: all it can use."""
    logits, _ = decoder(torch.tensor([left]))
    return logits[0, -1].softmax(-1)


@torch.no_grad()
def blank_guesses(model: GPT, windows: torch.Tensor, mask_id: int | None = None) -> torch.Tensor:
    """The model's top guess (n,) for the middle token of each window (n, T), T = 2 * half.

    With mask_id (an encoder) the model reads the whole window with the middle token masked;
    without (a causal model) it reads only the left half and predicts the next token."""
    if windows.ndim != 2 or windows.shape[1] < 2:
        raise ValueError(f"windows must have shape (n, T) with T >= 2, got {tuple(windows.shape)}")
    half = windows.shape[1] // 2
    if mask_id is None:
        logits, _ = model(windows[:, :half])
        return logits[:, -1].argmax(-1)
    masked = windows.clone()
    masked[:, half] = mask_id
    logits, _ = model(masked)
    return logits[:, half].argmax(-1)
