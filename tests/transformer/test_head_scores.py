"""Head scores against brute-force loops, on maps whose answers are known."""

import pytest
import torch

from helpers.transformer import head_scores


def _causal_random(layers, heads, T, seed=0):
    g = torch.Generator().manual_seed(seed)
    scores = torch.randn(layers, heads, T, T, generator=g)
    scores = scores.masked_fill(~torch.ones(T, T, dtype=torch.bool).tril(), float("-inf"))
    return scores.softmax(-1)


def _brute(maps, key_of):
    layers, heads, T, _ = maps.shape
    out = torch.zeros(layers, heads, dtype=maps.dtype)
    for layer in range(layers):
        for head in range(heads):
            pairs = [(i, key_of(i)) for i in range(T) if key_of(i) is not None]
            out[layer, head] = sum(maps[layer, head, i, j] for i, j in pairs) / len(pairs)
    return out


def test_scores_equal_brute_force():
    maps = _causal_random(2, 3, 9)
    torch.testing.assert_close(
        head_scores.previous_token_scores(maps), _brute(maps, lambda i: i - 1 if i else None)
    )
    torch.testing.assert_close(
        head_scores.induction_scores(maps, 4), _brute(maps, lambda i: i - 3 if i >= 4 else None)
    )
    torch.testing.assert_close(
        head_scores.sink_scores(maps), _brute(maps, lambda i: 0 if i else None)
    )


def test_ideal_heads_score_one_and_others_less():
    T, period = 11, 5
    maps = torch.zeros(3, 1, T, T)
    for i in range(T):
        maps[0, 0, i, max(i - 1, 0)] = 1  # previous token
        maps[1, 0, i, i - period + 1 if i >= period else 0] = 1  # induction
        maps[2, 0, i, 0] = 1  # sink
    # the other two heads look at key 0 = i - 1 only from query 1: 1 of the 10 queries
    assert head_scores.previous_token_scores(maps)[:, 0].tolist() == pytest.approx([1, 0.1, 0.1])
    assert head_scores.induction_scores(maps, period)[1, 0] == 1.0
    assert head_scores.sink_scores(maps)[2, 0] == 1.0
    assert head_scores.induction_scores(maps, period)[0, 0] < 1.0
    # a batch axis is averaged over
    batch = torch.stack([maps, _causal_random(3, 1, T)])
    torch.testing.assert_close(
        head_scores.sink_scores(batch),
        (head_scores.sink_scores(maps) + head_scores.sink_scores(batch[1])) / 2,
    )


def test_induction_scores_skip_the_query_whose_earlier_occurrence_is_the_prefix():
    """On prefix + block + block, the first query i with i - period in the block is
    prefix + period; the query before it (the last of the first copy) reads the prefix."""
    prefix, period = 2, 4
    T = prefix + 2 * period
    maps = _causal_random(2, 2, T)
    torch.testing.assert_close(
        head_scores.induction_scores(maps, period, prefix),
        _brute(maps, lambda i: i - period + 1 if i >= prefix + period else None),
    )
    ideal = torch.zeros(1, 1, T, T)
    for i in range(T):
        ideal[0, 0, i, i - period + 1 if i >= prefix + period else 0] = 1
    assert head_scores.induction_scores(ideal, period, prefix)[0, 0] == 1.0
    assert head_scores.induction_scores(ideal, period)[0, 0] < 1.0  # counts prefix queries


def test_repeated_random_tokens():
    ids = head_scores.repeated_random_tokens(6, 10, 20, torch.Generator().manual_seed(0), [1, 2])
    assert ids.shape == (1, 14) and ids[0, :2].tolist() == [1, 2]
    assert ids[0, 2:8].equal(ids[0, 8:]) and ((ids[0, 2:] >= 10) & (ids[0, 2:] < 20)).all()


def test_bad_input():
    with pytest.raises(ValueError, match="maps"):
        head_scores.sink_scores(torch.zeros(4, 4))
    with pytest.raises(ValueError, match="square"):
        head_scores.sink_scores(torch.zeros(1, 1, 4, 5))
    with pytest.raises(ValueError, match="period"):
        head_scores.induction_scores(torch.zeros(1, 1, 4, 4), 4)
    with pytest.raises(ValueError, match="period"):
        head_scores.induction_scores(torch.zeros(1, 1, 4, 4), 3, prefix=1)
    with pytest.raises(ValueError, match="prefix"):
        head_scores.induction_scores(torch.zeros(1, 1, 4, 4), 2, prefix=-1)
    with pytest.raises(ValueError, match="length"):
        head_scores.repeated_random_tokens(0, 0, 5, torch.Generator())
