"""Finding attention heads by what they do, measured on attention maps.

    maps = model.attention_maps(ids)[0]            # (layers, heads, T, T) for one sequence
    previous_token_scores(maps)                    # (layers, heads): attention to position i - 1
    induction_scores(maps, period, prefix)         # on a prefix, then a block repeated
    sink_scores(maps)                              # attention parked on the first token

Each score is the mean, over the query positions where it is defined, of the weight a head puts
on one particular key: 1 means the head always looks exactly there, 0 never.
- A previous-token head attends from position i to i - 1.
- An induction head (Elhage et al., 2021; Olsson et al., 2022) completes a repeat: on a random
  token sequence followed by a copy of itself, a query in the copy at position i (a repeat of
  i - period) attends to i - period + 1, the token that came next last time, which it can then
  predict.
- An attention sink (Xiao et al., 2023) puts most of its weight on the first token, whatever it
  is: a place to put attention when there is nothing useful to read.
"""

from __future__ import annotations

import torch


def _check_maps(maps: object) -> torch.Tensor:
    if not isinstance(maps, torch.Tensor) or maps.ndim not in (4, 5):
        shape = tuple(maps.shape) if isinstance(maps, torch.Tensor) else type(maps).__name__
        raise ValueError(
            f"maps must be attention weights (layers, heads, T, T) or (B, layers, heads, T, T), "
            f"got {shape}"
        )
    if maps.shape[-1] != maps.shape[-2]:
        raise ValueError(f"maps must be square in the last two axes, got {tuple(maps.shape)}")
    return maps if maps.ndim == 5 else maps[None]


def _mean_on(maps: torch.Tensor, queries: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
    """Mean over the batch and over the (query, key) pairs: (layers, heads)."""
    return maps[..., queries, keys].mean(dim=(0, -1))


def previous_token_scores(maps: torch.Tensor) -> torch.Tensor:
    """(layers, heads): mean weight from query i to key i - 1, over i = 1 .. T - 1."""
    maps = _check_maps(maps)
    T = maps.shape[-1]
    if T < 2:
        raise ValueError("maps must cover at least 2 positions")
    queries = torch.arange(1, T)
    return _mean_on(maps, queries, queries - 1)


def induction_scores(maps: torch.Tensor, period: int, prefix: int = 0) -> torch.Tensor:
    """(layers, heads): mean weight from query i to key i - period + 1, over the queries
    i = prefix + period .. T - 1, for a sequence of `prefix` tokens and then a block that repeats
    every `period` (repeated_random_tokens): token i equals token i - period exactly there. A
    query before that has no earlier occurrence in the block (its i - period is in the prefix)."""
    maps = _check_maps(maps)
    T = maps.shape[-1]
    if isinstance(prefix, bool) or not isinstance(prefix, int) or prefix < 0:
        raise ValueError(f"prefix must be an int >= 0, got {prefix!r}")
    if isinstance(period, bool) or not isinstance(period, int) or not 1 <= period < T - prefix:
        raise ValueError(
            f"period must be an int in [1, {T - prefix}) (T = {T}, prefix {prefix}), got "
            f"{period!r}"
        )
    queries = torch.arange(prefix + period, T)
    return _mean_on(maps, queries, queries - period + 1)


def sink_scores(maps: torch.Tensor) -> torch.Tensor:
    """(layers, heads): mean weight on key 0 from queries 1 .. T - 1 (query 0 has no choice)."""
    maps = _check_maps(maps)
    T = maps.shape[-1]
    if T < 2:
        raise ValueError("maps must cover at least 2 positions")
    queries = torch.arange(1, T)
    return _mean_on(maps, queries, torch.zeros_like(queries))


def repeated_random_tokens(
    length: int, low: int, high: int, generator: torch.Generator, prefix: list[int] | None = None
) -> torch.Tensor:
    """(1, len(prefix) + 2 * length) ids: `prefix`, then `length` random ids from [low, high),
    then the same ids again. A model can only predict the second half by looking back."""
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        raise ValueError(f"length must be a positive int, got {length!r}")
    if not 0 <= low < high:
        raise ValueError(f"need 0 <= low < high, got low={low}, high={high}")
    block = torch.randint(low, high, (length,), generator=generator)
    start = torch.tensor(list(prefix or []), dtype=torch.long)
    return torch.cat([start, block, block])[None]
