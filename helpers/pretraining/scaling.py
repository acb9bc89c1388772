"""Scaling laws in miniature: fitting L(N) = E + A / N^alpha and the compute-optimal frontier
(Kaplan et al. 2020; Hoffmann et al. 2022). FLOPs are counted by helpers.transformer.flops.

    n = non_embedding_parameters(cfg)             # Kaplan's N
    law = fit_power_law(n_params, losses)         # PowerLaw(E, A, alpha); law(n) predicts
    best = compute_optimal(compute, losses)       # indices of the runs on the frontier
    env = lower_envelope(sizes, compute, losses)  # the best loss at matched compute, and who
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from helpers.transformer.flops import matmul_parameters
from helpers.transformer.gpt import GPTConfig


def non_embedding_parameters(cfg: GPTConfig) -> int:
    """N in Kaplan et al.'s sense: the weights of the blocks' matrix multiplications (attention
    and MLP). Embeddings, positions, norms and the unembedding are left out."""
    return matmul_parameters(cfg) - cfg.d_model * cfg.vocab_size


@dataclass(frozen=True)
class PowerLaw:
    """L(x) = E + A / x^alpha: an irreducible loss E plus a term that shrinks with scale x."""

    E: float
    A: float
    alpha: float

    def __call__(self, x: np.ndarray | float) -> np.ndarray | float:
        return self.E + self.A * np.asarray(x, dtype=np.float64) ** -self.alpha


def _as_points(x: Sequence[float], y: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"x and y must be 1-d of the same length, got {x.shape} and {y.shape}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("x and y must be finite")
    if (x <= 0).any():
        raise ValueError(f"x must be > 0 (sizes or compute), got min {x.min()}")
    return x, y


def _linear_fit(basis: np.ndarray, y: np.ndarray, floor: bool) -> tuple[np.ndarray, float]:
    """Least squares y ≈ E + A * basis (or A * basis without a floor): (coefficients, SSE)."""
    design = np.stack([np.ones_like(basis), basis], 1) if floor else basis[:, None]
    coef = np.linalg.lstsq(design, y, rcond=None)[0]
    return coef, float(((design @ coef - y) ** 2).sum())


def fit_power_law(
    x: Sequence[float], y: Sequence[float], floor: bool = True, alphas: tuple = (0.01, 3.0)
) -> PowerLaw:
    """Least-squares fit of y = E + A / x^alpha to points (x_i, y_i), x > 0.

    For a fixed alpha the model is linear in (E, A), solved exactly; alpha is then found by a
    dense log-spaced search over `alphas` refined by golden-section search, so the fit is the
    global least-squares optimum over that range (no starting guess to get wrong). With
    floor=False, E = 0: a straight line on log-log axes. Needs at least 3 points (2 without
    the floor).
    """
    x, y = _as_points(x, y)
    if len(x) < (3 if floor else 2):
        raise ValueError(f"need at least {3 if floor else 2} points to fit, got {len(x)}")
    scale = float(np.exp(np.log(x).mean()))  # x / scale stays near 1: well-conditioned powers

    def sse(alpha: float) -> float:
        return _linear_fit((x / scale) ** -alpha, y, floor)[1]

    grid = np.geomspace(alphas[0], alphas[1], 400)
    i = int(np.argmin([sse(a) for a in grid]))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    golden = (np.sqrt(5) - 1) / 2
    for _ in range(80):  # shrinks the bracket by 0.618 each time: far below float precision
        a, b = hi - golden * (hi - lo), lo + golden * (hi - lo)
        lo, hi = (lo, b) if sse(a) < sse(b) else (a, hi)
    alpha = (lo + hi) / 2
    coef, _ = _linear_fit((x / scale) ** -alpha, y, floor)
    E, A = (coef[0], coef[1]) if floor else (0.0, coef[0])
    return PowerLaw(E=float(E), A=float(A * scale**alpha), alpha=float(alpha))


def compute_optimal(compute: Sequence[float], loss: Sequence[float]) -> list[int]:
    """Indices of the runs on the compute-optimal frontier, in order of compute: the runs that
    reach a lower loss than every run that used less (or equal) compute. Each frontier run is
    the best of all runs at its compute budget or below."""
    compute, loss = _as_points(compute, loss)
    frontier, best = [], np.inf
    for i in np.lexsort((loss, compute)):  # by compute, ties by loss
        if loss[i] < best:
            frontier.append(int(i))
            best = loss[i]
    return frontier


@dataclass(frozen=True)
class Envelope:
    """The lowest loss reachable at each compute level, and which size reaches it.

    compute: (K,) log-spaced compute levels, from the cheapest run to the most expensive.
    loss: (K,) the lowest loss of any size at that compute (each size interpolated between its
    own runs, linearly in log compute, and undefined outside them). best: (K,) the size that
    reaches it. names: the sizes, in the order of the runs given (smallest first, if they are);
    defined: (len(names), K) bool, where each size has runs on both sides of the level.
    contested: (K,) True where two or more sizes are defined, so that a winner was chosen at
    matched compute rather than by default."""

    compute: np.ndarray
    loss: np.ndarray
    best: list[str]
    names: list[str]
    defined: np.ndarray

    @property
    def contested(self) -> np.ndarray:
        return self.defined.sum(0) >= 2


def lower_envelope(
    sizes: Sequence[str], compute: Sequence[float], loss: Sequence[float], points: int = 200
) -> Envelope:
    """The compute-optimal frontier as the lower envelope of each size's loss-against-compute
    curve. Unlike compute_optimal, which picks runs, this compares sizes at *matched* compute:
    a size that wins only because no other size was run at its budget shows as uncontested."""
    compute, loss = _as_points(compute, loss)
    if len(sizes) != len(compute):
        raise ValueError(f"sizes must name every run: {len(sizes)} names, {len(compute)} runs")
    if points < 2:
        raise ValueError(f"points must be >= 2, got {points}")
    names = list(dict.fromkeys(sizes))  # in order of first appearance
    grid = np.geomspace(compute.min(), compute.max(), points)
    curves = np.full((len(names), points), np.inf)
    for row, name in enumerate(names):
        mine = np.array([s == name for s in sizes])
        order = np.argsort(compute[mine])
        x, y = np.log(compute[mine][order]), loss[mine][order]
        inside = (np.log(grid) >= x[0] - 1e-12) & (np.log(grid) <= x[-1] + 1e-12)
        curves[row, inside] = np.interp(np.log(grid[inside]), x, y)
    winner = curves.argmin(0)
    return Envelope(
        compute=grid,
        loss=curves.min(0),
        best=[names[i] for i in winner],
        names=names,
        defined=np.isfinite(curves),
    )
