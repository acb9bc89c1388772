"""Our Muon against torch.optim.Muon: bit for bit when Newton-Schulz runs in bfloat16 as torch's
does, and within bfloat16's rounding when it runs in float32; the orthogonalisation's singular
values; the trainer's choice of precision; bad input."""

from __future__ import annotations

import pytest
import torch

from helpers.pretraining.muon import Muon, orthogonalize
from helpers.pretraining.trainer import TrainConfig, make_optimizers
from helpers.transformer.gpt import GPT, GPTConfig

SHAPES = [(48, 16), (16, 48), (32, 32), (96, 32)]  # tall, wide, square: both branches


def _weights_and_grads(seed: int) -> tuple[list[torch.Tensor], list[list[torch.Tensor]]]:
    g = torch.Generator().manual_seed(seed)
    weights = [torch.randn(s, generator=g) * 0.1 for s in SHAPES]
    grads = [[torch.randn(s, generator=g) * 10.0 ** -k for s in SHAPES] for k in range(1, 6)]
    return weights, grads  # five steps of gradients, at five different scales


def _run(make, weights, grads) -> list[torch.Tensor]:
    params = [torch.nn.Parameter(w.clone()) for w in weights]
    opt = make(params)
    for step in grads:
        for p, grad in zip(params, step, strict=True):
            p.grad = grad.clone()
        opt.step()
    return [p.detach() for p in params]


@pytest.mark.parametrize("nesterov", [True, False])
def test_bfloat16_newton_schulz_is_torch_muon_bit_for_bit(nesterov):
    weights, grads = _weights_and_grads(0)
    kwargs = {"lr": 0.02, "weight_decay": 0.1, "momentum": 0.95, "nesterov": nesterov}
    ours = _run(lambda p: Muon(p, ns_dtype=torch.bfloat16, **kwargs), weights, grads)
    theirs = _run(
        lambda p: torch.optim.Muon(p, adjust_lr_fn="match_rms_adamw", **kwargs), weights, grads
    )
    for a, b in zip(ours, theirs, strict=True):
        assert torch.equal(a, b)


def test_float32_newton_schulz_differs_from_torch_by_bfloat16_rounding_only():
    """After five steps, the weights differ from torch's by a small part of one step's size
    (lr x 0.2 sqrt(max(A, B)) per entry, the RMS of an orthogonalised update being ~1/sqrt(min))."""
    weights, grads = _weights_and_grads(1)
    kwargs = {"lr": 0.02, "weight_decay": 0.1}
    ours = _run(lambda p: Muon(p, ns_dtype=torch.float32, **kwargs), weights, grads)
    theirs = _run(
        lambda p: torch.optim.Muon(p, adjust_lr_fn="match_rms_adamw", **kwargs), weights, grads
    )
    start = [w * (1 - 0.02 * 0.1) ** 5 for w in weights]
    for a, b, w0 in zip(ours, theirs, start, strict=True):
        moved = (b - w0).norm()
        assert 0 < (a - b).norm() < 0.05 * moved  # different rounding, the same steps


@pytest.mark.parametrize("shape", SHAPES)
def test_orthogonalize_pushes_every_singular_value_near_one(shape):
    g = torch.Generator().manual_seed(2)
    # A nearly low-rank update, as gradients are: singular values from 1e-3 to 10.
    u, _ = torch.linalg.qr(torch.randn(shape[0], min(shape), generator=g, dtype=torch.float64))
    v, _ = torch.linalg.qr(torch.randn(shape[1], min(shape), generator=g, dtype=torch.float64))
    s = torch.logspace(1, -3, min(shape), dtype=torch.float64)
    update = u @ torch.diag(s) @ v.T
    out = orthogonalize(update, dtype=torch.float64)
    assert out.shape == update.shape and out.dtype == torch.float64
    # The directions are kept: the output's singular vectors are the input's, so u^T out v is
    # diagonal, and its diagonal holds what became of each input singular value.
    m = u.T @ out @ v
    new = torch.diagonal(m)
    assert torch.allclose(m, torch.diag(new), atol=1e-9)
    # Jordan's quintic does not converge to 1: five rounds land every singular value that is not
    # tiny (above 1/100 of the matrix's norm) in a band around 1, and lift the tiny ones (below
    # 1/1000) by a factor of hundreds (the slope at 0 is 3.4445, and 3.4445^5 = 484).
    relative = s / s.norm()
    assert new[relative > 0.01].min() > 0.6 and new.max() < 1.25, new
    assert (new / relative)[relative < 1e-3].min() > 200


def test_the_trainer_runs_newton_schulz_in_float32_on_a_cpu_unless_told():
    model = GPT(GPTConfig(vocab_size=11, context=8, n_layer=1, n_head=2, d_model=16))
    muon = make_optimizers(model, TrainConfig(optimizer="muon"))[0]
    assert isinstance(muon, Muon) and muon.param_groups[0]["ns_dtype"] == "auto"
    muon = make_optimizers(model, TrainConfig(optimizer="muon", muon_precision="bfloat16"))[0]
    assert muon.param_groups[0]["ns_dtype"] is torch.bfloat16
    with pytest.raises(ValueError, match="muon_precision"):
        TrainConfig(optimizer="muon", muon_precision="fp16")


def test_auto_precision_picks_float32_on_a_cpu(monkeypatch):
    seen = []
    real = orthogonalize

    def spy(update, steps=5, dtype=torch.float32):
        seen.append(dtype)
        return real(update, steps, dtype)

    monkeypatch.setattr("helpers.pretraining.muon.orthogonalize", spy)
    p = torch.nn.Parameter(torch.ones(4, 3))
    p.grad = torch.randn(4, 3)
    Muon([p]).step()
    assert seen == [torch.float32]


def test_muon_bad_input():
    with pytest.raises(ValueError, match="2-D"):
        Muon([torch.nn.Parameter(torch.ones(3))])
    p = [torch.nn.Parameter(torch.ones(2, 2))]
    for kwargs, match in [
        ({"lr": 0}, "lr"),
        ({"weight_decay": -0.1}, "weight_decay"),
        ({"lr": 0.5, "weight_decay": 2.0}, "weight_decay"),
        ({"momentum": 1.0}, "momentum"),
        ({"ns_steps": 0}, "ns_steps"),
        ({"ns_dtype": torch.int32}, "ns_dtype"),
    ]:
        with pytest.raises(ValueError, match=match):
            Muon(p, **kwargs)
    with pytest.raises(ValueError, match="matrix"):
        orthogonalize(torch.ones(3))
