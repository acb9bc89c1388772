"""The NPLM: shapes, the loss computed directly, vocabulary and windows, and bad input."""

from __future__ import annotations

import math

import pytest
import torch

from helpers.neural.nplm import NPLM, Vocabulary, windows


def test_loss_on_a_fixed_batch_matches_a_direct_computation():
    torch.manual_seed(0)
    model = NPLM(vocab_size=11, context=3, embed_dim=4, hidden=7).double().eval()
    idx = torch.tensor([[0, 0, 5], [1, 2, 3], [10, 10, 10]])
    targets = torch.tensor([5, 0, 9])
    C, W1, b1 = model.embedding.weight, model.hidden.weight, model.hidden.bias
    W2, b2 = model.output.weight, model.output.bias
    expected = 0.0
    for row, target in zip(idx.tolist(), targets.tolist()):
        x = torch.cat([C[i] for i in row])
        logits = W2 @ torch.tanh(W1 @ x + b1) + b2
        expected -= (logits[target] - torch.logsumexp(logits, 0)).item() / 3
    assert model.loss(idx, targets).item() == pytest.approx(expected, rel=1e-12)
    assert model(idx).shape == (3, 11)


def test_untrained_model_is_close_to_uniform():
    torch.manual_seed(0)
    model = NPLM(27, 3, 8, 32)
    x, y = torch.zeros(50, 3, dtype=torch.long), torch.arange(50) % 27
    assert abs(model.loss(x, y).item() - math.log(27)) < 0.3


def test_parameter_count():
    model = NPLM(vocab_size=27, context=3, embed_dim=10, hidden=100)
    assert model.num_parameters() == 27 * 10 + (30 * 100 + 100) + (100 * 27 + 27)


def test_vocabulary_and_windows():
    vocab = Vocabulary(list("abcab"))
    assert vocab.itos == [".", "a", "b", "c"] and len(vocab) == 4
    assert vocab.decode(vocab.encode("cab")) == list("cab")
    x, y = windows([vocab.encode("ab")], context=2)
    assert x.tolist() == [[0, 0], [0, 1], [1, 2]] and y.tolist() == [1, 2, 0]


def test_sampling_is_seeded():
    torch.manual_seed(0)
    model = NPLM(5, 2, 3, 4)
    a = model.sample(3, torch.Generator().manual_seed(1))
    assert a == model.sample(3, torch.Generator().manual_seed(1))
    assert all(0 not in s for s in a)


def test_bad_input():
    model = NPLM(5, 2, 3, 4)
    with pytest.raises(ValueError, match=r"idx must have shape \(batch, 2\)"):
        model(torch.zeros(4, 3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"token ids must be in \[0, 5\)"):
        model(torch.tensor([[0, 5]]))
    with pytest.raises(ValueError, match="hidden must be a positive int"):
        NPLM(5, 2, 3, 0)
    with pytest.raises(ValueError, match="dropout"):
        NPLM(5, 2, 3, 4, dropout=1.0)
    with pytest.raises(ValueError, match="not in the vocabulary"):
        Vocabulary(list("ab")).encode("abz")
    with pytest.raises(ValueError, match="at least one token"):
        Vocabulary([])
    with pytest.raises(ValueError, match="context must be >= 1"):
        windows([[1]], 0)
    with pytest.raises(ValueError, match="must not be empty"):
        windows([], 2)
