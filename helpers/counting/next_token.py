"""A language model as a next-token predictor: distributions, temperature, sampling, likelihood.

Every model in the series, from counts to a GPT, can answer one question: given the tokens so far,
what is the probability of each possible next token? `NextTokenModel` is that question as a
protocol; widgets such as the next-token explorer accept any object that implements it. A model
may also have `context_used(context)`, the tokens its distribution actually rests on (an n-gram
model sees only its last few tokens, fewer when it backs off); the explorer shows them.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*|[.,;:!?]")


@runtime_checkable
class NextTokenModel(Protocol):
    """Anything that maps a context to a probability distribution over the next token."""

    def tokenize(self, text: str) -> list[str]:
        """Split text into this model's tokens."""
        ...

    def detokenize(self, tokens: Sequence[str]) -> str:
        """Join tokens back into readable text."""
        ...

    def next_token_distribution(self, context: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """Return (tokens, probs): candidate next tokens and their probabilities (summing to 1)."""
        ...


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Probabilities from scores along the last axis: exp(z / T) / sum exp(z / T).

    Subtracting the max first leaves the result unchanged and keeps exp from overflowing.
    logits: (..., V) -> (..., V).
    """
    _check_temperature(temperature)
    z = np.asarray(logits, dtype=float) / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def apply_temperature(probs: np.ndarray, temperature: float) -> np.ndarray:
    """Re-shape a distribution as if its logits were divided by T: p^(1/T), renormalised.

    T < 1 sharpens (T -> 0 puts all mass on the most likely token), T > 1 flattens. probs: (V,).
    Zero probabilities stay zero.
    """
    _check_temperature(temperature)
    p = np.asarray(probs, dtype=float)
    with np.errstate(divide="ignore"):
        logp = np.log(p)
    return softmax(logp, temperature)


def top_k_filter(probs: np.ndarray, k: int) -> np.ndarray:
    """Keep the k most likely tokens and renormalise; k=0 keeps all. probs: (V,) -> (V,).

    Ties at the k-th place are broken by position (the earlier token is kept), so exactly k
    tokens survive.
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
        raise ValueError(f"k must be an int >= 0 (0 = keep all), got {k!r}")
    p = np.asarray(probs, dtype=float)
    if k == 0 or k >= p.size:
        return p / p.sum()
    keep = np.argsort(-p, kind="stable")[:k]
    out = np.zeros_like(p)
    out[keep] = p[keep]
    return out / out.sum()


def sample_index(probs: np.ndarray, u: float) -> int:
    """Draw from a categorical distribution with one uniform number u in [0, 1) (inverse CDF).

    Returns the smallest i whose cumulative probability exceeds u.
    """
    probs = np.asarray(probs, dtype=float)
    cdf = np.cumsum(probs)
    i = int(np.searchsorted(cdf, u, side="right"))
    if i < len(cdf):
        return i
    # The cumulative sum rounded to 0.99999 < u: take the last token that can be drawn at all.
    return int(np.flatnonzero(probs > 0)[-1])


def generate(
    model: NextTokenModel,
    prompt: str,
    n_tokens: int,
    rng: np.random.Generator,
    temperature: float = 1.0,
    top_k: int = 0,
    stop: str | None = None,
) -> list[str]:
    """Sample up to `n_tokens` tokens after `prompt`, one at a time; returns only the new tokens.

    temperature 0 means greedy decoding (always the most likely token). Generation ends early
    when the model produces `stop` (an end token such as "</s>"), which is not returned.
    """
    if n_tokens < 0:
        raise ValueError(f"n_tokens must be >= 0, got {n_tokens}")
    context = model.tokenize(prompt)
    new: list[str] = []
    for _ in range(n_tokens):
        tokens, probs = model.next_token_distribution(context)
        if temperature == 0:
            choice = int(np.argmax(probs))
        else:
            probs = top_k_filter(apply_temperature(probs, temperature), top_k)
            choice = sample_index(probs, rng.random())
        if tokens[choice] == stop:
            break
        context.append(tokens[choice])
        new.append(tokens[choice])
    return new


def token_log_probs(model: NextTokenModel, tokens: Sequence[str], start: int = 1) -> np.ndarray:
    """Natural-log p(tokens[i] | tokens[:i]) for i = start .. N-1. Shape (N - start,).

    A token the model gives probability 0 gets -inf.
    """
    out = []
    for i in range(start, len(tokens)):
        candidates, probs = model.next_token_distribution(tokens[:i])
        p = dict(zip(candidates, probs, strict=True)).get(tokens[i], 0.0)
        out.append(math.log(p) if p > 0 else -math.inf)
    return np.array(out)


class CountingPredictor:
    """Next-word probabilities from counts, backing off to shorter contexts when needed.

    p(w | the last n-1 words) = count(context, w) / count(context), using the longest context
    (at most `order` - 1 words) that was seen in training. With no context seen at all it falls
    back to word frequencies. It is the simplest honest language model; notebook 02 builds proper
    n-gram models with smoothing.
    """

    def __init__(self, order: int = 3):
        if isinstance(order, bool) or not isinstance(order, int) or order < 1:
            raise ValueError(f"order must be an int >= 1, got {order!r}")
        self.order = order
        self.counts: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
        self._cache: dict[tuple[str, ...], tuple[list[str], np.ndarray]] = {}

    def tokenize(self, text: str) -> list[str]:
        """Lower-case words and punctuation marks: "Good night!" -> ["good", "night", "!"]."""
        return WORD.findall(text.lower())

    def detokenize(self, tokens: Sequence[str]) -> str:
        text = " ".join(tokens)
        return re.sub(r" ([.,;:!?])", r"\1", text)

    def fit(self, texts: Iterable[str]) -> CountingPredictor:
        """Count every context of 0..order-1 words and the word that follows it."""
        n_words = 0
        for text in texts:
            words = self.tokenize(text)
            n_words += len(words)
            for i, word in enumerate(words):
                for n in range(min(self.order - 1, i) + 1):
                    self.counts[tuple(words[i - n : i])][word] += 1
        if n_words == 0:
            raise ValueError("texts must contain at least one word; got an empty corpus")
        self._cache.clear()
        return self

    def vocabulary_size(self) -> int:
        return len(self.counts[()])

    def context_used(self, context: Sequence[str]) -> tuple[str, ...]:
        """The tokens the next-token distribution is conditioned on: the longest suffix of the
        last `order` - 1 tokens of `context` that was seen in training (() = word frequencies)."""
        if not self.counts:
            raise RuntimeError("the model has not been fitted: call fit(texts) first")
        context = tuple(context)[-(self.order - 1) :] if self.order > 1 else ()
        while context not in self.counts:
            context = context[1:]  # back off: drop the oldest token
        return context

    def next_token_distribution(self, context: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """(tokens, probs) for the longest seen suffix of `context`, most likely first."""
        context = self.context_used(context)
        if context not in self._cache:
            tokens, counts = zip(*self.counts[context].most_common(), strict=True)
            probs = np.array(counts, dtype=float)
            self._cache[context] = (list(tokens), probs / probs.sum())
        tokens, probs = self._cache[context]
        return list(tokens), probs.copy()


def _check_temperature(temperature: float) -> None:
    if isinstance(temperature, bool) or not isinstance(temperature, int | float | np.floating):
        raise TypeError(f"temperature must be a number, got {type(temperature).__name__}")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
