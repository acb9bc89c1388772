"""Bias in word vectors: a bias direction, projections on it, and hard-debiasing.

    g = bias_direction(glove, [("he", "she"), ("man", "woman"), ...])
    projection(glove, ["nurse", "engineer"], g)        # cosine of each word with g
    fair = hard_debias(glove, g, neutral_words, equalize_pairs=[("man", "woman"), ...])

Bolukbasi et al. (2016) found that word vectors trained on news text encode stereotypes: the
difference he - she lines up with the difference between occupations such as "programmer" and
"homemaker". Their hard-debiasing *neutralises* words that should be neutral (removes their
component along the bias direction) and *equalises* definitional pairs (moves "man" and "woman"
to mirror positions, equally far from every neutral word). Gonen & Goldberg (2019) showed that
this hides the bias from the projection but not from the geometry: the neutralised words still
cluster by their former bias.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from helpers.vectors.ppmi import pca
from helpers.vectors.word_vectors import WordVectors


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def bias_direction(vectors: WordVectors, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
    """The first principal component of the centred definitional pairs (Bolukbasi et al.), (D,).

    Each pair (a, b), as unit vectors, contributes a - m and b - m with m their midpoint; the
    direction of largest variance among these is the bias direction. Its sign is chosen so that
    the first words of the pairs project positively. Returns a unit vector.
    """
    if len(pairs) < 2:
        raise ValueError(f"pairs must hold at least 2 word pairs, got {len(pairs)}")
    rows = []
    for a, b in pairs:
        va, vb = vectors.unit[vectors.id(a)], vectors.unit[vectors.id(b)]
        mid = (va + vb) / 2
        rows += [va - mid, vb - mid]
    g = pca(np.stack(rows), k=1).components[0]
    first = np.stack([vectors.unit[vectors.id(a)] - vectors.unit[vectors.id(b)] for a, b in pairs])
    return g if (first @ g).mean() > 0 else -g


def projection(vectors: WordVectors, words: Sequence[str], direction: np.ndarray) -> np.ndarray:
    """Cosine of each word's vector with `direction`, (len(words),)."""
    return np.array([vectors.unit[vectors.id(w)] @ _unit(direction) for w in words])


def neutralize(v: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """v (D,) or (N, D) without its component along `direction`: v - (v·g) g with g unit."""
    g = _unit(np.asarray(direction, dtype=np.float64))
    v = np.asarray(v, dtype=np.float64)
    return v - np.multiply.outer(v @ g, g)


def equalize(a: np.ndarray, b: np.ndarray, direction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Move unit vectors a, b to unit vectors that differ only along the unit direction g.

    Both keep the neutral part ν of their midpoint and get ±sqrt(1 - |ν|²) along g (each on its
    own side), so every neutralised word is equally similar to both.
    """
    g = _unit(np.asarray(direction, dtype=np.float64))
    a, b = _unit(np.asarray(a, dtype=np.float64)), _unit(np.asarray(b, dtype=np.float64))
    nu = neutralize((a + b) / 2, g)
    scale = np.sqrt(max(0.0, 1.0 - float(nu @ nu)))
    side = 1.0 if (a - b) @ g >= 0 else -1.0
    return nu + side * scale * g, nu - side * scale * g


def hard_debias(
    vectors: WordVectors,
    direction: np.ndarray,
    neutral_words: Sequence[str],
    equalize_pairs: Sequence[tuple[str, str]] = (),
) -> WordVectors:
    """A debiased copy (unit vectors): neutral words neutralised and renormalised, each pair
    equalised; every other word is left as it was (normalised). Bolukbasi et al. take as neutral
    every word *not* on their gender-specific list (`helpers.data.load_gender_specific_words()`).
    """
    unit = vectors.unit.astype(np.float64).copy()
    rows = sorted({vectors.id(w) for w in neutral_words})
    unit[rows] = _unit(neutralize(unit[rows], direction))
    for a, b in equalize_pairs:
        ia, ib = vectors.id(a), vectors.id(b)
        unit[ia], unit[ib] = equalize(unit[ia], unit[ib], direction)
    return WordVectors(vectors.words, unit)
