"""softmax, temperature, top-k, sampling and the counting model, against torch and by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from helpers import data
from helpers.counting import next_token
from helpers.counting.next_token import (
    CountingPredictor,
    apply_temperature,
    generate,
    sample_index,
    softmax,
    token_log_probs,
    top_k_filter,
)
from helpers.exercises import nb00_welcome

finite = st.floats(-50, 50, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 9)), elements=finite),
    st.floats(0.05, 10),
)
def test_softmax_equals_torch(logits, temperature):
    expected = torch.softmax(torch.from_numpy(logits) / temperature, dim=-1).numpy()
    np.testing.assert_allclose(softmax(logits, temperature), expected, rtol=1e-12, atol=1e-15)


def test_softmax_is_stable_for_huge_logits():
    assert np.allclose(softmax(np.array([1000.0, 1000.0])), [0.5, 0.5])


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.integers(1, 12), elements=st.floats(0.0, 1.0)), st.floats(0.05, 10))
def test_apply_temperature_equals_softmax_of_log_probs(raw, temperature):
    if raw.sum() == 0:
        raw[0] = 1.0
    p = raw / raw.sum()
    with np.errstate(divide="ignore"):
        expected = torch.softmax(torch.from_numpy(np.log(p)) / temperature, dim=-1).numpy()
    np.testing.assert_allclose(apply_temperature(p, temperature), expected, atol=1e-12)
    assert (apply_temperature(p, temperature)[p == 0] == 0).all()


def test_temperature_limits():
    p = np.array([0.5, 0.3, 0.2])
    assert np.allclose(apply_temperature(p, 1.0), p)
    assert apply_temperature(p, 0.01)[0] > 0.999
    assert np.allclose(apply_temperature(p, 1e3), 1 / 3, atol=1e-3)


@pytest.mark.parametrize("bad", [0, -1.0, 0.0])
def test_temperature_must_be_positive(bad):
    with pytest.raises(ValueError, match="temperature must be > 0"):
        softmax(np.zeros(3), bad)


def test_temperature_must_be_a_number():
    with pytest.raises(TypeError, match="temperature must be a number"):
        apply_temperature(np.ones(2) / 2, "hot")


def test_top_k_keeps_k_tokens_with_ties_broken_by_position():
    p = np.array([0.1, 0.3, 0.3, 0.2, 0.1])
    np.testing.assert_allclose(top_k_filter(p, 2), [0, 0.5, 0.5, 0, 0])
    np.testing.assert_allclose(top_k_filter(p, 4), [0.1 / 0.9, 1 / 3, 1 / 3, 0.2 / 0.9, 0])
    np.testing.assert_allclose(top_k_filter(p, 0), p)
    with pytest.raises(ValueError, match="k must be an int >= 0"):
        top_k_filter(p, -1)


def test_top_k_matches_torch_topk():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(50))
    values, indices = torch.topk(torch.from_numpy(p), 7)
    expected = np.zeros_like(p)
    expected[indices.numpy()] = values.numpy() / values.sum().item()
    np.testing.assert_allclose(top_k_filter(p, 7), expected)


def test_sample_index_reproduces_the_distribution():
    p = np.array([0.1, 0.2, 0.3, 0.4])
    rng = np.random.default_rng(0)
    counts = np.bincount([sample_index(p, u) for u in rng.random(40_000)], minlength=4)
    np.testing.assert_allclose(counts / 40_000, p, atol=0.01)
    assert sample_index(p, 0.0) == 0 and sample_index(p, 0.9999999) == 3
    assert sample_index(np.array([0.0, 1.0, 0.0]), 0.0) == 1  # never a zero-probability token


def test_didactic_versions_agree_with_the_helpers():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(3, 6))
    np.testing.assert_allclose(nb00_welcome.softmax(logits, 0.7), softmax(logits, 0.7))
    p = rng.dirichlet(np.ones(6))
    for u in rng.random(200):
        assert nb00_welcome.sample_index(p, u) == sample_index(p, u)
    tied = np.array([0.2, 0.1, 0.2, 0.5, 0.0])
    for q in (p, tied):
        for k in range(1, 8):
            np.testing.assert_allclose(nb00_welcome.top_k_filter(q, k), top_k_filter(q, k))


@pytest.fixture(scope="module")
def tiny_model():
    return CountingPredictor(order=3).fit(["the cat sat. the cat ran. the dog sat."])


def test_counting_model_probabilities_by_hand(tiny_model):
    tokens, probs = tiny_model.next_token_distribution(["the", "cat"])
    assert dict(zip(tokens, probs, strict=True)) == {"sat": 0.5, "ran": 0.5}
    tokens, probs = tiny_model.next_token_distribution(["the"])
    assert dict(zip(tokens, probs, strict=True)) == pytest.approx({"cat": 2 / 3, "dog": 1 / 3})
    # an unseen context backs off to the longest seen suffix, then to word frequencies
    tokens, probs = tiny_model.next_token_distribution(["zebra", "the"])
    assert tokens[0] == "cat"
    tokens, probs = tiny_model.next_token_distribution(["zebra"])
    assert probs.sum() == pytest.approx(1) and tokens[0] == "the"


def test_counting_model_distributions_sum_to_one_on_real_text():
    model = CountingPredictor(order=3).fit([data.load_text("shakespeare", "valid")])
    words = model.tokenize(data.load_text("shakespeare", "valid"))[:300]
    for i in range(0, 300, 7):
        _, probs = model.next_token_distribution(words[:i])
        assert probs.sum() == pytest.approx(1.0, abs=1e-12)


def test_token_log_probs_and_zero_probability(tiny_model):
    lp = token_log_probs(tiny_model, ["the", "cat", "sat", "dog"], start=2)
    assert lp[0] == pytest.approx(math.log(0.5))
    assert lp[1] == -math.inf  # "sat" was never followed by "dog"


def test_greedy_generation_is_deterministic_and_seeded_sampling_reproduces(tiny_model):
    a = generate(tiny_model, "the", 5, np.random.default_rng(0), temperature=0)
    b = generate(tiny_model, "the", 5, np.random.default_rng(9), temperature=0)
    assert a == b
    c = generate(tiny_model, "the", 8, np.random.default_rng(3))
    assert c == generate(tiny_model, "the", 8, np.random.default_rng(3))


def test_context_used_is_the_longest_seen_suffix(tiny_model):
    assert tiny_model.context_used(["sat", "the", "cat"]) == ("the", "cat")
    assert tiny_model.context_used(["the", "zebra", "cat"]) == ("cat",)  # "zebra cat" unseen
    assert tiny_model.context_used(["zebra"]) == ()
    assert CountingPredictor(order=1).fit(["a b"]).context_used(["a"]) == ()
    tokens, probs = tiny_model.next_token_distribution(["the", "zebra", "cat"])
    expected = tiny_model.next_token_distribution(["cat"])
    assert tokens == expected[0] and np.allclose(probs, expected[1])


class _EndsAfterOne:
    """A model that always says "a", then "</s>"."""

    def tokenize(self, text):
        return text.split()

    def detokenize(self, tokens):
        return " ".join(tokens)

    def next_token_distribution(self, context):
        return (["a", "</s>"] if len(context) < 1 else ["</s>", "a"]), np.array([1.0, 0.0])


def test_generate_stops_at_the_end_token():
    rng = np.random.default_rng(0)
    assert generate(_EndsAfterOne(), "", 5, rng, temperature=0, stop="</s>") == ["a"]
    assert generate(_EndsAfterOne(), "", 3, rng, temperature=0) == ["a", "</s>", "</s>"]


def test_counting_model_bad_input():
    with pytest.raises(ValueError, match="order must be an int >= 1"):
        CountingPredictor(order=0)
    with pytest.raises(ValueError, match="empty corpus"):
        CountingPredictor().fit(["", "   "])
    with pytest.raises(RuntimeError, match="fit"):
        CountingPredictor().next_token_distribution([])
    with pytest.raises(ValueError, match="n_tokens"):
        generate(CountingPredictor().fit(["a b"]), "a", -1, np.random.default_rng())


def test_models_satisfy_the_protocol(tiny_model):
    assert isinstance(tiny_model, next_token.NextTokenModel)
    assert tiny_model.detokenize(["good", "night", "!"]) == "good night!"


def test_sample_index_never_returns_an_impossible_token_when_the_sum_rounds_down():
    from helpers.counting.next_token import sample_index

    probs = np.array(
        [0.1978833507145231, 0.06834515769402957, 0.21010744491249186, 0.18367743570296985,
         0.1742141096468524, 0.165772501329133, 0.0]
    )  # fmt: skip
    total = np.cumsum(probs)[-1]  # 0.9999999999999997 in floating point
    u = float(np.nextafter(total, 1.0))  # a u in [0, 1) above the whole sum
    assert total < u < 1.0
    assert sample_index(probs, u) == 5  # the last possible token, not the impossible one
