"""Degeneration measures: distinct-n and the repetition rate equal brute-force versions written
from their definitions (on hand-made and random sequences), and token_log_probs equals one
forward per prefix, the model's own loss, and refuses bad input."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.decoding.degeneration import distinct_n, ngrams, repetition_rate, token_log_probs

from random_gpts import CONFIGS, random_model

SEQUENCES = st.lists(st.integers(0, 5), min_size=2, max_size=40)


def brute_distinct(items, n):
    grams = [tuple(items[i : i + n]) for i in range(len(items) - n + 1)]
    unique = []
    for g in grams:
        if g not in unique:
            unique.append(g)
    return len(unique) / len(grams)


def brute_repetition(items, window):
    hits = 0
    for t in range(1, len(items)):
        start = 0 if window is None else max(0, t - window)
        hits += items[t] in list(items[start:t])
    return hits / (len(items) - 1)


def test_hand_made_examples():
    words = ["to", "be", "or", "not", "to", "be"]
    assert ngrams(words, 2) == [("to", "be"), ("be", "or"), ("or", "not"), ("not", "to"),
                                ("to", "be")]  # fmt: skip
    assert distinct_n(words, 1) == 4 / 6
    assert distinct_n(words, 2) == 4 / 5
    assert distinct_n(words, 6) == 1.0
    assert repetition_rate(words) == 2 / 5  # the second "to" and "be"
    assert repetition_rate(words, 3) == 0.0  # each repeat is 4 words after its first
    assert repetition_rate(words, 4) == 2 / 5
    loop = "ab" * 10
    assert distinct_n(loop, 2) == 2 / 19 and repetition_rate(loop, 2) == 18 / 19


@settings(max_examples=200, deadline=None)
@given(SEQUENCES, st.integers(1, 4))
def test_distinct_n_equals_brute_force(items, n):
    if len(items) < n:
        with pytest.raises(ValueError, match="at least"):
            distinct_n(items, n)
    else:
        assert distinct_n(items, n) == pytest.approx(brute_distinct(items, n), abs=0)


@settings(max_examples=200, deadline=None)
@given(SEQUENCES, st.one_of(st.none(), st.integers(1, 10)))
def test_repetition_rate_equals_brute_force(items, window):
    assert repetition_rate(items, window) == pytest.approx(brute_repetition(items, window), abs=0)


def test_a_window_as_long_as_the_text_sees_everything():
    items = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5]
    assert repetition_rate(items, len(items)) == repetition_rate(items)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: distinct_n([1, 2], 0), ValueError, "n must be >= 1"),
        (lambda: distinct_n([1, 2], 1.5), TypeError, "n must be an int"),
        (lambda: distinct_n([1, 2], 3), ValueError, "at least 3 items"),
        (lambda: distinct_n(iter([1, 2]), 1), TypeError, "items must be a sequence"),
        (lambda: repetition_rate([1]), ValueError, "at least 2 items"),
        (lambda: repetition_rate([1, 1], 0), ValueError, "window must be >= 1"),
        (lambda: repetition_rate({1, 2}), TypeError, "items must be a sequence"),
    ],
)
def test_bad_input_is_refused(call, error, words):
    with pytest.raises(error, match=words):
        call()


def brute_log_probs(model, ids):
    out = []
    with torch.no_grad():
        for t in range(1, len(ids)):
            logits, _ = model(ids[None, :t])
            out.append(torch.log_softmax(logits[0, -1].double(), -1)[ids[t]].item())
    return torch.tensor(out, dtype=torch.float64)


@pytest.mark.parametrize("name", ["learned", "rope-gqa"])
def test_token_log_probs_equal_one_forward_per_prefix_and_the_loss(name):
    cfg = CONFIGS[name]
    model = random_model(cfg)
    ids = torch.randint(0, cfg.vocab_size, (cfg.context + 1,), generator=torch.Generator()
                        .manual_seed(3))  # fmt: skip
    got = token_log_probs(model, ids)
    assert got.shape == (cfg.context,)
    torch.testing.assert_close(got.double(), brute_log_probs(model, ids), rtol=0, atol=2e-5)
    _, loss = model(ids[None, :-1], ids[None, 1:])
    assert math.isclose(-got.mean().item(), loss.item(), rel_tol=1e-5)
    short = token_log_probs(model, ids[:2].tolist())  # a list works too
    torch.testing.assert_close(short, got[:1], rtol=0, atol=1e-5)


def test_a_batch_is_scored_row_by_row():
    cfg = CONFIGS["rope"]
    model = random_model(cfg)
    batch = torch.randint(0, cfg.vocab_size, (3, 10), generator=torch.Generator().manual_seed(4))
    got = token_log_probs(model, batch)
    assert got.shape == (3, 9)
    for row, ids in zip(got, batch):
        torch.testing.assert_close(row, token_log_probs(model, ids), rtol=0, atol=1e-5)


def test_token_log_probs_put_the_model_back_in_its_mode():
    model = random_model(CONFIGS["rope"]).train()
    token_log_probs(model, [1, 2, 3])
    assert model.training


@pytest.mark.parametrize(
    "ids, error, words",
    [
        ([1], ValueError, "2 to context"),
        (list(range(26)), ValueError, "2 to context"),  # context 24: at most 25 tokens
        ([1, 50], ValueError, r"lie in \[0, 50\)"),
        ([[[1, 2]]], ValueError, r"shape \(T,\) or \(B, T\)"),
        ([0.5, 1.0], ValueError, "integer ids"),
    ],
)
def test_token_log_probs_refuse_bad_ids(ids, error, words):
    with pytest.raises(error, match=words):
        token_log_probs(random_model(CONFIGS["rope"]), ids)


def test_token_log_probs_need_our_gpt():
    with pytest.raises(TypeError, match=r"helpers\.transformer\.gpt\.GPT"):
        token_log_probs(torch.nn.Linear(2, 2), [1, 2])
