"""Every manual backward pass equals torch.autograd in float64, on random shapes."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn import functional as F

from helpers.neural import grad
from helpers.neural.nplm import NPLM

dims = st.integers(1, 7)
TOL = 1e-10


def _randn(*shape, seed):
    return torch.randn(*shape, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))


@settings(max_examples=40, deadline=None)
@given(dims, dims, dims, st.integers(0, 10_000))
def test_linear_backward(batch, n_in, n_out, seed):
    x, w, b = (
        _randn(batch, n_in, seed=seed),
        _randn(n_out, n_in, seed=seed + 1),
        _randn(n_out, seed=seed + 2),
    )

    def backward(d_out, x, w, b):
        return grad.linear_backward(d_out, x, w)

    assert max(grad.check_backward(F.linear, backward, [x, w, b], seed=seed)) < TOL


@settings(max_examples=40, deadline=None)
@given(dims, dims, st.integers(0, 10_000))
def test_tanh_and_relu_backward(rows, cols, seed):
    x = _randn(rows, cols, seed=seed)
    tanh_err = grad.check_backward(
        torch.tanh, lambda d, x: [grad.tanh_backward(d, torch.tanh(x))], [x]
    )
    relu_err = grad.check_backward(torch.relu, lambda d, x: [grad.relu_backward(d, x)], [x])
    assert max(tanh_err + relu_err) < TOL


@settings(max_examples=40, deadline=None)
@given(dims, st.integers(2, 9), st.integers(0, 10_000))
def test_softmax_cross_entropy_forward_and_backward(batch, vocab, seed):
    logits = _randn(batch, vocab, seed=seed) * 5
    targets = torch.randint(0, vocab, (batch,), generator=torch.Generator().manual_seed(seed))
    loss, probs = grad.softmax_cross_entropy(logits, targets)
    assert abs(loss - F.cross_entropy(logits, targets)) < TOL
    torch.testing.assert_close(probs, F.softmax(logits, dim=1), rtol=0, atol=TOL)

    def backward(d_out, logits):
        _, p = grad.softmax_cross_entropy(logits, targets)
        return [d_out * grad.softmax_cross_entropy_backward(p, targets)]

    forward = lambda z: F.cross_entropy(z, targets)  # noqa: E731
    assert max(grad.check_backward(forward, backward, [logits], seed=seed)) < TOL


@settings(max_examples=40, deadline=None)
@given(dims, dims, st.integers(2, 8), dims, st.integers(0, 10_000))
def test_embedding_backward_sums_repeated_rows(batch, context, vocab, dim, seed):
    table = _randn(vocab, dim, seed=seed)
    idx = torch.randint(0, vocab, (batch, context), generator=torch.Generator().manual_seed(seed))

    def backward(d_out, table):
        return [grad.embedding_backward(d_out, idx, vocab)]

    assert max(grad.check_backward(lambda t: F.embedding(idx, t), backward, [table])) < TOL


@settings(max_examples=15, deadline=None)
@given(
    st.integers(2, 30),
    st.integers(1, 5),
    st.integers(1, 6),
    st.integers(1, 12),
    st.integers(1, 9),
    st.integers(0, 10_000),
)
def test_whole_model_manual_gradients_equal_autograd(vocab, context, dim, hidden, batch, seed):
    torch.manual_seed(seed)
    model = NPLM(vocab, context, dim, hidden).double().eval()
    g = torch.Generator().manual_seed(seed)
    idx, targets = (
        torch.randint(0, vocab, (batch, context), generator=g),
        torch.randint(0, vocab, (batch,), generator=g),
    )
    errors = grad.check_model_gradients(model, idx, targets)
    assert set(errors) == {n for n, _ in model.named_parameters()}
    assert max(errors.values()) < TOL


def test_checker_catches_a_wrong_backward():
    x = _randn(3, 4, seed=0)
    wrong = grad.check_backward(torch.tanh, lambda d, x: [d * (1 - x**2)], [x])  # uses x, not y
    assert wrong[0] > 1e-3


def test_checker_bad_input():
    with pytest.raises(TypeError, match="float64"):
        grad.check_backward(torch.tanh, lambda d, x: [d], [torch.zeros(2)])
    with pytest.raises(ValueError, match="returned 2 gradients, expected 1"):
        grad.check_backward(torch.tanh, lambda d, x: [d, d], [torch.zeros(2, dtype=torch.float64)])


def test_notebook_versions_agree_with_the_helpers():
    from helpers.exercises import nb03_neural_lm as nb

    g = torch.Generator().manual_seed(0)
    logits = torch.randn(6, 9, dtype=torch.float64, generator=g)
    targets = torch.randint(0, 9, (6,), generator=g)
    loss, probs = grad.softmax_cross_entropy(logits, targets)
    assert nb.cross_entropy(logits.numpy(), targets.numpy()) == pytest.approx(
        loss.item(), rel=1e-12
    )
    expected = grad.softmax_cross_entropy_backward(probs, targets).numpy()
    assert abs(nb.cross_entropy_grad(logits.numpy(), targets.numpy()) - expected).max() < 1e-14
    d_out, x, w = (
        torch.randn(*s, dtype=torch.float64, generator=g) for s in [(4, 3), (4, 5), (3, 5)]
    )
    for ours, theirs in zip(
        nb.linear_backward(d_out.numpy(), x.numpy(), w.numpy()), grad.linear_backward(d_out, x, w)
    ):
        assert abs(ours - theirs.numpy()).max() < 1e-12
    idx = torch.tensor([[1, 1], [0, 3]])
    d_emb = torch.randn(2, 2, 4, dtype=torch.float64, generator=g)
    assert (
        abs(
            nb.embedding_backward(d_emb.numpy(), idx.numpy(), 5)
            - grad.embedding_backward(d_emb, idx, 5).numpy()
        ).max()
        < 1e-14
    )


def test_notebook_whole_model_chain_equals_the_helper_and_autograd():
    from helpers.exercises import nb03_neural_lm as nb

    torch.manual_seed(4)
    model = NPLM(11, 3, 4, 6).double()
    g = torch.Generator().manual_seed(1)
    idx, targets = (
        torch.randint(0, 11, (9, 3), generator=g),
        torch.randint(0, 11, (9,), generator=g),
    )
    named = dict(model.named_parameters())
    params = {k: named[name].detach().numpy() for k, name in nb.PARAMETER_KEYS.items()}
    ours = nb.model_gradients(params, idx.numpy(), targets.numpy())
    helper = grad.manual_gradients(model, idx, targets)
    truth = nb._autograd_gradients(params, idx.numpy(), targets.numpy())
    for key, name in nb.PARAMETER_KEYS.items():
        assert abs(ours[key] - helper[name].numpy()).max() < TOL
        assert abs(ours[key] - truth[key]).max() < TOL


def test_notebook_adam_step_equals_torch_adam_and_checkers_leave_torch_rng_alone():
    from helpers.exercises import REGISTRY
    from helpers.exercises import nb03_neural_lm as nb

    g = torch.Generator().manual_seed(2)
    param = torch.randn(3, 2, dtype=torch.float64, generator=g).numpy()
    grads = list(torch.randn(6, 3, 2, dtype=torch.float64, generator=g).numpy())
    ours = nb._over_steps(nb.adam_step)(param, grads, 0.02, 0.8, 0.95, 1e-6)
    theirs = nb._torch_adam(param, grads, 0.02, 0.8, 0.95, 1e-6)
    assert max(abs(a - b).max() for a, b in zip(ours, theirs)) < 1e-12
    torch.manual_seed(123)
    before = torch.get_rng_state()
    assert REGISTRY["03.5"].run(nb.model_gradients).passed
    assert torch.equal(torch.get_rng_state(), before)  # the notebook's later cells are unaffected
