"""Muon: momentum, orthogonalised, for the hidden matrices of a network (Jordan et al. 2024).

    opt = Muon(hidden_matrices, lr=0.02, weight_decay=0.1)       # AdamW for everything else
    loss.backward(); opt.step(); opt.zero_grad()

For each weight matrix W (out, in) with gradient G, one step is

    B <- mu B + (1 - mu) G                 momentum, an average of recent gradients
    U <- (1 - mu) G + mu B                 Nesterov's look-ahead (nesterov=True)
    O <- orthogonalize(U)                  U = P S Q^T  ->  about P Q^T: every singular value ~1
    W <- W (1 - lr wd) - lr 0.2 sqrt(max(out, in)) O

Adam scales each *coordinate* of the update by its own history; Muon instead treats the update as
a matrix and equalises its *directions*. A raw gradient of a weight matrix is nearly low-rank: a
few directions dominate and the rest barely move. Setting every singular value to about 1 gives
the rare directions the same step as the common ones. The orthogonalisation is a quintic
Newton-Schulz iteration (five matrix-multiply rounds, no SVD), whose coefficients (3.4445,
-4.7750, 2.0315) trade exactness for speed: singular values above 1/100 of the matrix's norm end
up between about 0.6 and 1.2, and tinier ones are lifted by a factor of hundreds.
The factor 0.2 sqrt(max(out, in)) (Liu et al. 2025, "Muon is Scalable for LLM Training") gives
the update the RMS of a typical AdamW update, so Muon reuses AdamW's learning rate and decay; it
is torch.optim.Muon's adjust_lr_fn="match_rms_adamw". The step size is set by lr alone whatever
the gradient's norm (the orthogonalised update has a fixed size), so gradient clipping does not
change a Muon step, only its direction's mix through the momentum.

Why our own, and not torch.optim.Muon? It runs Newton-Schulz in bfloat16, which is fast on GPUs
and on CPUs with bfloat16 instructions (AVX512-BF16, AMX), and about 100x slower than float32 on
CPUs without them (AVX2-only laptops: 1.3 GFLOP/s against 130). Here the precision is a choice:
`ns_dtype="auto"` takes bfloat16 on a GPU and float32 on a CPU. With ns_dtype=torch.bfloat16 it
is torch's algorithm step for step (tests/pretraining/test_muon.py proves it bit for bit); in
float32 it differs from it only by bfloat16's rounding.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Literal

import torch

NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)  # Jordan et al.'s quintic: fast, not exact
EPS = 1e-7


def orthogonalize(
    update: torch.Tensor, steps: int = 5, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """The matrix update (A, B) with its singular values pushed to about 1, by `steps` rounds of
    Newton-Schulz computed in `dtype`; returned in `dtype`, shape (A, B)."""
    if update.ndim != 2:
        raise ValueError(f"update must be a matrix (2-D), got shape {tuple(update.shape)}")
    a, b, c = NS_COEFFICIENTS
    x = update.to(dtype)
    tall = x.shape[0] > x.shape[1]
    if tall:  # iterate on the wide side: X X^T is then the smaller Gram matrix
        x = x.T
    x = x / x.norm().clamp(min=EPS)  # Frobenius norm >= spectral norm: singular values <= 1
    for _ in range(steps):
        gram = x @ x.T
        poly = torch.addmm(gram, gram, gram, beta=b, alpha=c)  # b G + c G^2
        x = torch.addmm(x, poly, x, beta=a)  # a X + (b G + c G^2) X
    return x.T if tall else x


class Muon(torch.optim.Optimizer):
    """Muon for 2-D parameters (hidden weight matrices); see the module docstring.

    lr, weight_decay: as AdamW's (the update is rescaled to AdamW's RMS). momentum, nesterov,
    ns_steps: torch.optim.Muon's defaults. ns_dtype: the precision of Newton-Schulz, "auto"
    (bfloat16 on a GPU, float32 on a CPU), or a torch dtype."""

    def __init__(
        self,
        params: Iterable[torch.nn.Parameter],
        lr: float = 0.02,
        weight_decay: float = 0.1,
        momentum: float = 0.95,
        nesterov: bool = True,
        ns_steps: int = 5,
        ns_dtype: Literal["auto"] | torch.dtype = "auto",
    ):
        if not lr > 0:
            raise ValueError(f"lr must be > 0, got {lr!r}")
        if not 0 <= weight_decay < 1 / lr:  # W (1 - lr wd) must not flip or zero the weights
            raise ValueError(f"weight_decay must be in [0, 1/lr), got {weight_decay!r}")
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        if isinstance(ns_steps, bool) or not isinstance(ns_steps, int) or ns_steps < 1:
            raise ValueError(f"ns_steps must be a positive int, got {ns_steps!r}")
        if ns_dtype != "auto" and ns_dtype not in (torch.float32, torch.float64, torch.bfloat16):
            raise ValueError(f"ns_dtype must be 'auto' or a float dtype, got {ns_dtype!r}")
        defaults = {
            "lr": lr, "weight_decay": weight_decay, "momentum": momentum,
            "nesterov": nesterov, "ns_steps": ns_steps, "ns_dtype": ns_dtype,
        }  # fmt: skip
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(
                        f"Muon takes weight matrices (2-D) only, got a parameter of shape "
                        f"{tuple(p.shape)}: give embeddings, norms and biases to AdamW"
                    )

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, mu = group["lr"], group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = torch.zeros_like(p)
                buf = state["momentum_buffer"]
                buf.lerp_(p.grad, 1 - mu)
                update = p.grad.lerp(buf, mu) if group["nesterov"] else buf
                dtype = group["ns_dtype"]
                if dtype == "auto":
                    dtype = torch.float32 if p.device.type == "cpu" else torch.bfloat16
                update = orthogonalize(update, group["ns_steps"], dtype)
                p.mul_(1 - lr * group["weight_decay"])
                # lr x 0.2 sqrt(max(out, in)), in torch's order of operations (bit-equal to it)
                p.add_(update.to(p.dtype), alpha=-lr * (0.2 * math.sqrt(max(p.shape))))
        return loss
