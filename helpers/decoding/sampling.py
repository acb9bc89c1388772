"""Decoding: how a language model's next-token logits become a chosen token.

    logits = sampling.process_logits(logits, ids, temperature=0.8, top_p=0.9)   # (B, V)
    token = sampling.sample(logits, generator)                                  # (B,)
    token = sampling.next_token(logits, ids, temperature=0.8, top_p=0.9, generator=generator)

Every transform works on torch tensors whose LAST axis is the vocabulary, batched over the
others, never changes its input, and removes a token by setting its logit to -inf (so that
softmax gives it probability 0), as Hugging Face's `transformers` does. Each one is proven equal
to its Hugging Face counterpart in tests/decoding/test_sampling.py. Where conventions differ, the
docstring says so:

- top-k keeps every token whose logit ties with the k-th largest (HF), so more than k tokens can
  survive a tie. Notebook 00's numpy `top_k_filter` keeps exactly k (the earlier token wins).
- top-p keeps the smallest set of most likely tokens whose mass reaches p, the boundary token
  included, computed as HF does (see top_p_filter for the exact comparison and ties).
- the repetition penalty follows HF, not the CTRL paper (see repetition_penalty).
- the frequency and presence penalties follow OpenAI's formula; HF has no such processor. OpenAI
  counts generated tokens only; generate counts the prompt too.

`process_logits` applies them all in HF's order: repetition penalty, frequency / presence
penalties, temperature, top-k, top-p, min-p (vLLM also divides by the temperature before its
filters). With temperature_last=True the temperature comes after the filters instead, as in
llama.cpp's default sampler chain: the filters then see the model's own distribution, and the
temperature only reshapes the survivors. Beam search is in helpers.decoding.beam_search.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import torch

NEG_INF = float("-inf")


def check_logits(logits: object, name: str = "logits") -> torch.Tensor:
    """Check that `logits` is a floating tensor (..., V) that softmax can turn into probabilities:
    no NaN, no +inf, and in each row at least one token that is not -inf. Returns it."""
    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point():
        raise TypeError(f"{name} must be a floating-point torch tensor, got {logits!r:.60}")
    if logits.ndim == 0 or logits.shape[-1] == 0:
        raise ValueError(f"{name} must have shape (..., V) with V >= 1, got {tuple(logits.shape)}")
    if torch.isnan(logits).any():
        raise ValueError(f"{name} contain NaN: the model's output is broken (check its input)")
    if (logits == math.inf).any():
        raise ValueError(f"{name} contain +inf: softmax of +inf is undefined")
    if (logits == NEG_INF).all(dim=-1).any():
        raise ValueError(f"{name} have a row in which every token is -inf: nothing can be chosen")
    return logits


def check_number(name: str, value: object, low: float, high: float, low_open: bool) -> float:
    """A setting that must be a finite real number in [low, high] (or (low, high] when
    low_open), as a float; otherwise a TypeError or ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    value = float(value)
    too_low = value <= low if low_open else value < low
    if not math.isfinite(value) or too_low or value > high:
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{']' if high < math.inf else ')'}"
        raise ValueError(f"{name} must be in {interval}, got {value}")
    return value


def _check_ids(ids: object, logits: torch.Tensor) -> torch.Tensor:
    """ids (B, T) integer token ids in [0, V), with the batch size of logits (B, V)."""
    if not isinstance(ids, torch.Tensor) or ids.dtype not in (torch.long, torch.int):
        raise TypeError(f"ids must be a tensor of integer token ids, got {ids!r:.60}")
    if logits.ndim != 2 or ids.ndim != 2 or ids.shape[0] != logits.shape[0]:
        raise ValueError(
            f"ids (B, T) and logits (B, V) must share B, got ids {tuple(ids.shape)} and "
            f"logits {tuple(logits.shape)}"
        )
    vocab = logits.shape[-1]
    if ids.numel() and (ids.min() < 0 or ids.max() >= vocab):
        raise ValueError(
            f"ids must lie in [0, {vocab}), got min {int(ids.min())}, max {int(ids.max())}"
        )
    return ids.long()


def _check_top_k(k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, Integral):
        raise TypeError(f"top_k must be an int, got {type(k).__name__}")
    if k < 0:
        raise ValueError(f"top_k must be >= 0 (0 keeps every token), got {k}")
    return int(k)


def _check_top_p(p: object) -> float:
    return check_number("top_p", p, 0.0, 1.0, low_open=True)


def _check_min_p(p: object) -> float:
    return check_number("min_p", p, 0.0, 1.0, low_open=False)


def apply_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """logits / temperature, shape (..., V) -> (..., V). T < 1 sharpens, T > 1 flattens.

    temperature must be > 0: the limit T -> 0 is greedy decoding, asked for explicitly with
    next_token(..., temperature=0). Dividing the logits (not the probabilities) is what makes
    it a temperature: softmax(z / T) = p^(1/T) renormalised.
    """
    check_logits(logits)
    if isinstance(temperature, Real) and temperature == 0:
        raise ValueError(
            "temperature must be > 0; for greedy decoding use greedy(logits) or "
            "next_token(..., temperature=0)"
        )
    temperature = check_number("temperature", temperature, 0.0, math.inf, low_open=True)
    return logits if temperature == 1.0 else logits / temperature


def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the k largest logits of each row, set the rest to -inf; (..., V) -> (..., V).

    k = 0 keeps everything (HF's convention for "off"), as does k >= V. Ties: every token whose
    logit equals the k-th largest is kept (HF's TopKLogitsWarper compares `logit < k-th value`),
    so a tie at the k-th place lets more than k tokens through.
    """
    check_logits(logits)
    k = _check_top_k(k)
    if k == 0 or k >= logits.shape[-1]:
        return logits
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth, NEG_INF)


def top_p_mask(logits: torch.Tensor, p: float) -> torch.Tensor:
    """The tokens nucleus (top-p) sampling removes, a bool tensor (..., V); see top_p_filter."""
    # Sorted ascending, the cumulative sum at a token is the mass of it and everything less
    # likely. A token goes when that tail mass is <= 1 - p: the tokens above it already reach p.
    # This is HF's exact computation: the same float rounding at a boundary, and the same
    # (unstable) sort, so that the same one of several tied tokens is cut.
    ascending, order = torch.sort(logits, dim=-1)
    tail_mass = ascending.softmax(dim=-1).cumsum(dim=-1)
    remove_sorted = tail_mass <= 1 - p
    remove_sorted[..., -1] = False  # the most likely token always stays
    return torch.zeros_like(remove_sorted).scatter(-1, order, remove_sorted)


def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Nucleus filtering (Holtzman et al. 2020): keep the smallest set of most likely tokens whose
    probability mass reaches p, the token that crosses p included; (..., V) -> (..., V).

    p must be in (0, 1]; p = 1 returns the logits unchanged (HF's generate skips the warper then).
    Exact rule, as HF's TopPLogitsWarper: with probabilities sorted ascending, a token is removed
    when the mass of it and all less likely tokens is <= 1 - p (evaluated in the logits' dtype),
    and the most likely token is always kept. So a set whose mass equals p exactly is enough.
    Tokens tied at the cut: how many are kept is defined, which of them is whatever torch.sort's
    (unstable) order says, as in HF.
    """
    check_logits(logits)
    p = _check_top_p(p)
    if p == 1.0:
        return logits
    return logits.masked_fill(top_p_mask(logits, p), NEG_INF)


def min_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Min-p filtering (Nguyen et al. 2024): remove the tokens whose probability is below
    p times the most likely token's; (..., V) -> (..., V).

    p must be in [0, 1]; p = 0 keeps all, p = 1 keeps only the tokens tied with the most likely.
    The threshold moves with the model's confidence: a peaked distribution keeps few tokens, a
    flat one many. As HF's MinPLogitsWarper (a strict `<`, so ties with the threshold stay); the
    most likely token always satisfies the test, so at least one token is kept.
    """
    check_logits(logits)
    p = _check_min_p(p)
    if p == 0.0:
        return logits
    probs = logits.softmax(dim=-1)
    return logits.masked_fill(probs < p * probs.amax(dim=-1, keepdim=True), NEG_INF)


def repetition_penalty(logits: torch.Tensor, ids: torch.Tensor, penalty: float) -> torch.Tensor:
    """Make every token that occurs in `ids` less likely; logits (B, V), ids (B, T) -> (B, V).

    HF's RepetitionPenaltyLogitsProcessor: a positive logit is divided by the penalty, a negative
    one multiplied by it, so a penalty > 1 always lowers a seen token's logit (< 1 raises it).
    The CTRL paper (Keskar et al. 2019) divides every seen logit, which for a negative logit
    would raise it; HF and we do not. How often a token occurred does not matter (compare
    frequency_presence_penalty). ids are all the tokens seen so far, the prompt included (HF).
    """
    check_logits(logits)
    ids = _check_ids(ids, logits)
    penalty = check_number("repetition_penalty", penalty, 0.0, math.inf, low_open=True)
    if penalty == 1.0:
        return logits
    seen = torch.zeros_like(logits, dtype=torch.bool).scatter_(-1, ids, True)
    penalised = torch.where(logits < 0, logits * penalty, logits / penalty)
    return torch.where(seen, penalised, logits)


def frequency_presence_penalty(
    logits: torch.Tensor, ids: torch.Tensor, frequency: float = 0.0, presence: float = 0.0
) -> torch.Tensor:
    """OpenAI's penalties: logits - count * frequency - (count > 0) * presence, where count is how
    often each token occurs in `ids`; logits (B, V), ids (B, T) -> (B, V).

    The frequency penalty grows with every repetition, the presence penalty is paid once. Either
    may be negative (encouraging repetition); OpenAI allows [-2, 2], any finite value works here.
    OpenAI counts only the tokens generated so far; generate passes every id, the prompt
    included (as HF's repetition penalty does): pass the generated ids alone to match OpenAI.
    """
    check_logits(logits)
    ids = _check_ids(ids, logits)
    frequency = check_number("frequency_penalty", frequency, -math.inf, math.inf, low_open=True)
    presence = check_number("presence_penalty", presence, -math.inf, math.inf, low_open=True)
    if frequency == 0.0 and presence == 0.0:
        return logits
    counts = torch.zeros_like(logits).scatter_add_(
        -1, ids, torch.ones_like(ids, dtype=logits.dtype)
    )
    return logits - counts * frequency - (counts > 0).to(logits.dtype) * presence


def _penalise(
    logits: torch.Tensor,
    ids: torch.Tensor | None,
    repetition: float,
    frequency: float,
    presence: float,
) -> torch.Tensor:
    """The penalties that depend on the tokens so far; ids may be None only if all are off."""
    if ids is None:
        if (repetition, frequency, presence) != (1.0, 0.0, 0.0):
            raise ValueError("ids (B, T) are needed: a penalty looks at the tokens so far")
        return logits
    logits = repetition_penalty(logits, ids, repetition)
    return frequency_presence_penalty(logits, ids, frequency, presence)


def process_logits(
    logits: torch.Tensor,
    ids: torch.Tensor | None = None,
    *,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    min_p: float = 0.0,
    repetition_penalty: float = 1.0,
    frequency_penalty: float = 0.0,
    presence_penalty: float = 0.0,
    temperature_last: bool = False,
) -> torch.Tensor:
    """Every transform in HF generate's order: repetition penalty, frequency / presence penalty,
    temperature, top-k, top-p, min-p; logits (B, V), ids (B, T) -> (B, V). With
    temperature_last, the temperature comes after min-p (llama.cpp's order).

    The defaults change nothing. Order matters: in HF's order top-p and min-p see the
    distribution after temperature, so a high temperature lets more tokens through both. Min-p
    keeps the logits within T ln(1/min_p) of the largest (p_i >= min_p p_max is
    z_i / T >= z_max / T + ln min_p), a window that widens with T; temperature last, it is
    ln(1/min_p) wide whatever T is.
    """
    if not isinstance(temperature_last, bool):
        raise TypeError(f"temperature_last must be a bool, got {temperature_last!r:.60}")
    logits = _penalise(logits, ids, repetition_penalty, frequency_penalty, presence_penalty)
    if not temperature_last:
        logits = apply_temperature(logits, temperature)
    logits = top_k_filter(logits, top_k)
    logits = top_p_filter(logits, top_p)
    logits = min_p_filter(logits, min_p)
    return apply_temperature(logits, temperature) if temperature_last else logits


def greedy(logits: torch.Tensor) -> torch.Tensor:
    """The most likely token of each row, (..., V) -> (...) long; the lowest id wins a tie."""
    return check_logits(logits).argmax(dim=-1)


def sample(logits: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Ancestral sampling: one token per row drawn from softmax(logits); (..., V) -> (...) long.

    The draw is torch.multinomial(probs, 1, generator=generator), as in HF's generate: with the
    same probabilities, a Generator seeded s draws what HF draws after torch.manual_seed(s).
    generator=None uses torch's global generator.
    """
    check_logits(logits)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {generator!r:.60}")
    probs = logits.softmax(dim=-1)
    draws = torch.multinomial(probs.reshape(-1, probs.shape[-1]), 1, generator=generator)
    return draws.reshape(logits.shape[:-1])


def next_token(
    logits: torch.Tensor,
    ids: torch.Tensor | None = None,
    *,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    min_p: float = 0.0,
    repetition_penalty: float = 1.0,
    frequency_penalty: float = 0.0,
    presence_penalty: float = 0.0,
    temperature_last: bool = False,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """One decoding step: logits (B, V) of the next position and the ids (B, T) so far -> the
    chosen tokens (B,) long. temperature_last: see process_logits.

    temperature = 0 is the explicit greedy path: the penalties, then argmax (HF's
    do_sample=False: top-k, top-p and min-p are checked but not applied; they keep the argmax
    anyway, except that top-p may keep a higher id tied with it).
    Any other temperature samples from process_logits(...) with `generator`.
    """
    check_number("temperature", temperature, 0.0, math.inf, low_open=False)
    if temperature == 0:
        # Greedy ignores the filters, as HF's do_sample=False does; they are still checked.
        _check_top_k(top_k)
        _check_top_p(top_p)
        _check_min_p(min_p)
        return greedy(
            _penalise(logits, ids, repetition_penalty, frequency_penalty, presence_penalty)
        )
    processed = process_logits(
        logits, ids, temperature=temperature, top_k=top_k, top_p=top_p, min_p=min_p,
        repetition_penalty=repetition_penalty, frequency_penalty=frequency_penalty,
        presence_penalty=presence_penalty, temperature_last=temperature_last,
    )  # fmt: skip
    return sample(processed, generator)
