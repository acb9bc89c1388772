"""The count-based view of word meaning: co-occurrence counts, PPMI, SVD, and PCA.

    counts = cooccurrence(sentences, words, window=2)      # (V, V) symmetric counts
    vectors = svd_vectors(ppmi(counts), words, dim=50)     # dense WordVectors
    p = pca(vectors.vectors, k=2); p.project(x)            # the 2-D map

Before word2vec, word vectors were rows of a word-by-context count matrix, reweighted by positive
pointwise mutual information (PPMI) and compressed with a truncated SVD. Levy & Goldberg (2014)
showed that skip-gram with negative sampling implicitly factorises a shifted PMI matrix, so the two
views are closer than they look. PCA, here via the eigenvectors of the covariance matrix, is the
same compression applied to centred data, and gives the 2-D maps of the notebook and its widget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from helpers.vectors.word2vec import torch_threads
from helpers.vectors.word_vectors import WordVectors


def cooccurrence(
    sentences: Sequence[Sequence[str]],
    words: Sequence[str],
    window: int = 2,
    contexts: Sequence[str] | None = None,
) -> np.ndarray:
    """Counts (V, C): how often words[i] and contexts[j] occur within `window` positions of each
    other (on either side) in the same sentence. `contexts` defaults to `words`, and the matrix
    is then symmetric (V, V). Words outside both lists still take up their positions."""
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise ValueError(f"window must be a positive int, got {window!r}")
    contexts = words if contexts is None else contexts
    if not words or not contexts:
        raise ValueError("words and contexts must not be empty")
    row_of = {w: i for i, w in enumerate(words)}
    col_of = {w: j for j, w in enumerate(contexts)}
    rows, cols, sent = [], [], []
    for s, sentence in enumerate(sentences):
        rows.extend(row_of.get(w, -1) for w in sentence)
        cols.extend(col_of.get(w, -1) for w in sentence)
        sent.extend([s] * len(sentence))
    rows_arr, cols_arr = np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)
    sent_arr = np.array(sent, dtype=np.int64)
    n, m = len(words), len(contexts)
    flat = np.zeros(n * m, dtype=np.int64)
    for d in range(1, window + 1):
        same = sent_arr[:-d] == sent_arr[d:]
        # the word on the left with the context on the right, and the other way round
        for w, c in ((rows_arr[:-d], cols_arr[d:]), (rows_arr[d:], cols_arr[:-d])):
            ok = same & (w >= 0) & (c >= 0)
            flat += np.bincount(w[ok] * m + c[ok], minlength=n * m)
    return flat.reshape(n, m)


def ppmi(counts: np.ndarray, alpha: float = 0.75) -> np.ndarray:
    """Positive pointwise mutual information of a (V, C) count matrix, same shape.

    PMI(w, c) = log P(w, c) / (P(w) P_alpha(c)), where P_alpha(c) = count(c)^alpha / Σ count^alpha
    smooths the context distribution as word2vec's noise distribution does (Levy et al. 2015;
    alpha = 1 is plain PMI, log P(w, c) / (P(w) P(c))). Negative and undefined values (pairs never
    seen) become 0.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 2 or (counts < 0).any():
        raise ValueError("counts must be a 2-D array of non-negative counts")
    total = counts.sum()
    if total == 0:
        raise ValueError("counts is all zeros: no co-occurrences to weigh")
    p_wc = counts / total
    p_w = counts.sum(axis=1, keepdims=True) / total
    context = counts.sum(axis=0, keepdims=True) ** alpha
    p_c = context / context.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(p_wc / (p_w * p_c))
    return np.where(np.isfinite(pmi) & (pmi > 0), pmi, 0.0)


def svd_vectors(matrix: np.ndarray, words: Sequence[str], dim: int) -> WordVectors:
    """Dense vectors from the top-`dim` singular triplets of `matrix` (V, C) = U S V^T: rows of
    U_d sqrt(S_d) (Levy et al. 2015 find the square-root weighting works better than U_d S_d,
    the rows' best rank-d reconstruction). The SVD is exact, O(V C min(V, C)): about a second
    for V = 8,600 words and C = 1,000 contexts. It runs in torch on one thread, which
    stays fast when other processes share the CPU (numpy's BLAS threads slow down several-fold)."""
    if isinstance(dim, bool) or not isinstance(dim, int) or not 1 <= dim <= min(matrix.shape):
        raise ValueError(f"dim must be an int in 1..{min(matrix.shape)}, got {dim!r}")
    with torch_threads(1):
        u, s, _ = torch.linalg.svd(
            torch.as_tensor(matrix, dtype=torch.float64), full_matrices=False
        )
    return WordVectors(words, (u[:, :dim] * s[:dim].sqrt()).numpy())


@dataclass(frozen=True)
class PCA:
    """Principal components of a data matrix: directions of largest variance."""

    mean: np.ndarray  # (D,)
    components: np.ndarray  # (k, D), unit eigenvectors of the covariance, largest first
    eigenvalues: np.ndarray  # (k,), the variance along each component
    total_variance: float  # the sum of all D eigenvalues

    @property
    def explained(self) -> np.ndarray:
        """The share of the total variance along each component, (k,)."""
        return self.eigenvalues / self.total_variance

    def project(self, x: np.ndarray) -> np.ndarray:
        """Coordinates of rows x (N, D) along the components: (N, k)."""
        return (np.asarray(x, dtype=np.float64) - self.mean) @ self.components.T


def pca(x: np.ndarray, k: int = 2) -> PCA:
    """PCA of rows x (N, D) from the eigendecomposition of their covariance matrix (D, D).

    The covariance C = Xc^T Xc / (N - 1) of the centred data is symmetric, so it has real
    eigenvalues and orthogonal eigenvectors; the eigenvector with the largest eigenvalue is the
    direction along which the data vary most, and the eigenvalue is that variance. Each
    component's sign is fixed so that its largest entry is positive (eigenvectors are defined up
    to sign), so the maps do not flip between runs.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f"x must be a 2-D array with at least 2 rows, got shape {x.shape}")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= x.shape[1]:
        raise ValueError(f"k must be an int in 1..{x.shape[1]}, got {k!r}")
    mean = x.mean(axis=0)
    centred = x - mean
    cov = centred.T @ centred / (len(x) - 1)
    values, vectors = np.linalg.eigh(cov)  # ascending order
    order = np.argsort(values)[::-1][:k]
    components = vectors[:, order].T
    signs = np.sign(components[np.arange(k), np.abs(components).argmax(axis=1)])
    return PCA(mean, components * signs[:, None], values[order], float(values.sum()))
