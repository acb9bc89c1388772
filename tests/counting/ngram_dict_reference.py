# Test-only reference: NGramLM as it was with dicts of string tuples (helpers/counting/ngram.py
# before its counts moved into numpy arrays), kept unchanged so tests/counting/test_ngram.py can
# prove the array version gives the same probabilities. Not part of the package; do not import it
# elsewhere.
"""n-gram language models from counts: maximum likelihood, add-k, interpolation and Kneser-Ney.

    lm = NGramLM(order=3, smoothing="kneser_ney", discount=0.75).fit(sentences)
    lm.prob("be", ("not", "to")), lm.perplexity(held_out_sentences)

Sentences are lists of tokens (words or characters). Fitting pads each sentence the way nltk.lm
does, with order-1 start markers "<s>" and order-1 end markers "</s>" (but at least one end marker,
see below), and counts every n-gram of every order up to `order`, so the counts equal nltk's. The
vocabulary holds every token seen at least `min_count` times, plus "<UNK>": rarer training tokens
and unseen test tokens are mapped to "<UNK>" (so with min_count >= 2 the unknown token has counts
of its own).

Differences from nltk, on purpose (each tested):
- Order 1: every sentence ends with one "</s>" (as in Jurafsky & Martin's SLP3), so a unigram
  model can end a sentence, and perplexity scores that end marker as a real token. nltk pads an
  order-1 model with nothing: its vocabulary has no "</s>" and its unigram counts cover the real
  tokens only. Our counts of real tokens equal nltk's; our probabilities are nltk's times
  N / (N + S), for N real tokens and S sentences, because the end markers join the total.
- Kneser-Ney: at lower orders nltk weighs the back-off by the number of distinct words that follow
  the context in the raw counts, but discounts continuation counts; the two disagree for contexts
  that end in "<s>", so nltk's distributions there do not sum to 1. We use the number of distinct
  words with a continuation count, which makes every distribution sum to 1. Probabilities agree
  with nltk wherever the context does not end in "<s>".
- Kneser-Ney of order 1 has no contexts to discount and equals the unigram MLE (nltk has no
  order-1 Kneser-Ney).
- `perplexity` scores each real token and one end marker per sentence (nltk's usual recipe scores
  order-1 end markers, the later ones almost certain, which flatters the model).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

import numpy as np

from helpers.counting.next_token import WORD

BOS, EOS, UNK = "<s>", "</s>", "<UNK>"
# A space before punctuation, which words are joined with and written text does not have.
SPACE_BEFORE_PUNCTUATION = re.compile(r" +([.,;:!?])")
SMOOTHINGS = ("mle", "add_k", "interpolated", "kneser_ney")


class NGramLM:
    """A count-based language model of a fixed order (1 = unigram, 2 = bigram, ...).

    smoothing: "mle" (relative frequencies), "add_k" (add k to every count; k=1 is Laplace),
    "interpolated" (Jelinek-Mercer: a weighted mix of the MLE of every order, weights `lambdas`
    from the highest order down; the weight of an unseen context is shared among the others),
    "kneser_ney" (interpolated Kneser-Ney with `discount`).
    """

    def __init__(
        self,
        order: int,
        smoothing: str = "kneser_ney",
        k: float = 1.0,
        discount: float = 0.75,
        lambdas: Sequence[float] | None = None,
        min_count: int = 1,
        level: str = "word",
    ):
        if isinstance(order, bool) or not isinstance(order, int) or order < 1:
            raise ValueError(f"order must be an int >= 1, got {order!r}")
        if smoothing not in SMOOTHINGS:
            raise ValueError(f"smoothing must be one of {SMOOTHINGS}, got {smoothing!r}")
        if not k > 0:
            raise ValueError(f"k must be > 0, got {k}")
        if not 0 < discount < 1:
            raise ValueError(f"discount must be in (0, 1), got {discount}")
        if lambdas is None:
            lambdas = [0.5**i for i in range(order)]
            lambdas = [w / sum(lambdas) for w in lambdas]
        if len(lambdas) != order or min(lambdas) < 0 or not math.isclose(sum(lambdas), 1.0):
            raise ValueError(f"lambdas must be {order} weights >= 0 summing to 1, got {lambdas}")
        if level not in ("word", "char"):
            raise ValueError(f"level must be 'word' or 'char', got {level!r}")
        self.order, self.smoothing, self.k = order, smoothing, k
        self.discount, self.lambdas, self.min_count, self.level = (
            discount,
            list(lambdas),
            min_count,
            level,
        )
        self.vocab: list[str] = []

    # ----- text <-> tokens (the NextTokenModel protocol) -----
    def tokenize(self, text: str) -> list[str]:
        """Characters for a "char" model, lower-cased words and punctuation for a "word" model."""
        return list(text) if self.level == "char" else WORD.findall(text.lower())

    def detokenize(self, tokens: Sequence[str]) -> str:
        """Tokens back to text, markers dropped: words are joined by spaces, punctuation
        (. , ; : ! ?) sticks to the word before it."""
        tokens = [t for t in tokens if t not in (BOS, EOS)]
        if self.level == "char":
            return "".join(tokens)
        return SPACE_BEFORE_PUNCTUATION.sub(r"\1", " ".join(tokens))

    # ----- fitting -----
    def fit(self, sentences: Iterable[Sequence[str]]) -> NGramLM:
        """Count every n-gram (orders 1..order) of the padded sentences."""
        sentences = [list(s) for s in sentences]
        raw = Counter(t for s in sentences for t in s)
        if not raw:
            raise ValueError("sentences must contain at least one token; got an empty corpus")
        pad = self.order - 1
        ends = max(pad, 1)  # one end marker even at order 1, so a unigram model can stop
        markers = {BOS, EOS} if pad else {EOS}
        known = {t for t, c in raw.items() if c >= self.min_count} | markers
        self.vocab = [*sorted(known), UNK]
        self._index = {t: i for i, t in enumerate(self.vocab)}
        self._vocab_array = np.array(self.vocab, dtype=object)
        self.counts: list[Counter[tuple[str, ...]]] = [Counter() for _ in range(self.order + 1)]
        for sentence in sentences:
            padded = [BOS] * pad + [t if t in known else UNK for t in sentence] + [EOS] * ends
            for n in range(1, self.order + 1):
                grams = zip(*(padded[i:] for i in range(n)), strict=False)
                self.counts[n].update(grams)
        self._summarise()
        return self

    def _summarise(self) -> None:
        """Context totals, follower counts and the continuation counts Kneser-Ney needs."""
        self.context_total: dict[tuple[str, ...], int] = defaultdict(int)
        self.followers: dict[tuple[str, ...], int] = defaultdict(int)
        self.continuation: dict[tuple[str, ...], int] = defaultdict(int)
        self.continuation_total: dict[tuple[str, ...], int] = defaultdict(int)
        self.continuation_followers: dict[tuple[str, ...], int] = defaultdict(int)
        for n in range(1, self.order + 1):
            for gram, count in self.counts[n].items():
                self.context_total[gram[:-1]] += count
                self.followers[gram[:-1]] += 1
                if n >= 2:  # gram is a left extension of gram[1:]
                    self.continuation[gram[1:]] += 1
                    self.continuation_total[gram[1:-1]] += 1
        for gram in self.continuation:
            self.continuation_followers[gram[:-1]] += 1
        self._follow: tuple[dict, dict] | None = None

    def _followers_index(self) -> tuple[dict, dict]:
        """context -> (token ids, counts) of what follows it, raw and continuation counts.

        Built on first use (sampling, the explorer), so fitting and scoring never pay for it.
        """
        if self._follow is None:
            raw: dict[tuple[str, ...], tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
            cont: dict[tuple[str, ...], tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
            for table, source in [
                (raw, (g for n in self.counts for g in n.items())),
                (cont, iter(self.continuation.items())),
            ]:
                for gram, count in source:
                    ids, counts = table[gram[:-1]]
                    ids.append(self._index[gram[-1]])
                    counts.append(count)
            self._follow = (dict(raw), dict(cont))
        return self._follow

    def with_smoothing(self, smoothing: str, **params: object) -> NGramLM:
        """The same counts under another smoothing (k, discount, lambdas in params): no refit."""
        settings = {"k": self.k, "discount": self.discount, "lambdas": self.lambdas} | params
        other = NGramLM(
            self.order, smoothing, min_count=self.min_count, level=self.level, **settings
        )
        fitted = {k: v for k, v in self.__dict__.items() if k not in other.__dict__ or k == "vocab"}
        other.__dict__.update(fitted)
        return other

    # ----- probabilities -----
    def _check_fitted(self) -> None:
        if not self.vocab:
            raise RuntimeError("the model has not been fitted: call fit(sentences) first")

    def lookup(self, token: str) -> str:
        """The token itself if it is in the vocabulary, else "<UNK>"."""
        return token if token in self._index else UNK

    def _context(self, context: Sequence[str]) -> tuple[str, ...]:
        """The last order-1 tokens of `context`, unknown ones mapped to "<UNK>"."""
        if self.order == 1:
            return ()
        return tuple(self.lookup(t) for t in context)[-(self.order - 1) :]

    def prob(self, token: str, context: Sequence[str] = ()) -> float:
        """p(token | context). A longer context is cut to its last order-1 tokens.

        Under "mle" an unseen context gives probability 0 for every token (nothing was counted).
        """
        self._check_fitted()
        token, context = self.lookup(token), self._context(context)
        if self.smoothing == "mle":
            return self._mle(token, context)
        if self.smoothing == "add_k":
            total = self.context_total.get(context, 0)
            count = self.counts[len(context) + 1].get((*context, token), 0)
            return (count + self.k) / (total + len(self.vocab) * self.k)
        if self.smoothing == "interpolated":
            return self._interpolated(token, context)
        return self._kneser_ney(token, context)

    def _interpolated(self, token: str, context: tuple[str, ...]) -> float:
        """Weighted MLE of every order; weights of unseen contexts go to the seen ones."""
        levels = [
            (weight, context[len(context) - n :] if n else ())
            for weight, n in zip(self.lambdas, range(len(context), -1, -1), strict=False)
        ]
        seen = [(w, c) for w, c in levels if self.context_total.get(c)]
        total_weight = sum(w for w, _ in seen)
        return sum(w * self._mle(token, c) for w, c in seen) / total_weight

    def _mle(self, token: str, context: tuple[str, ...]) -> float:
        total = self.context_total.get(context, 0)
        return self.counts[len(context) + 1].get((*context, token), 0) / total if total else 0.0

    def _kneser_ney(self, token: str, context: tuple[str, ...]) -> float:
        if self.order == 1:  # no contexts to discount: Kneser-Ney of order 1 is the unigram MLE
            return self._mle(token, ())
        d = self.discount
        if not context:  # continuation probability: in how many contexts was the token new?
            total = self.continuation_total.get((), 0)
            return self.continuation.get((token,), 0) / total if total else 0.0
        lower = self._kneser_ney(token, context[1:])
        if not self.context_total.get(context):
            return lower  # an unseen context passes everything to the shorter one
        if len(context) + 1 == self.order:
            count, total = (
                self.counts[self.order].get((*context, token), 0),
                self.context_total[context],
            )
            types = self.followers[context]
        else:
            count = self.continuation.get((*context, token), 0)
            total = self.continuation_total.get(context, 0)
            types = self.continuation_followers.get(context, 0)
            if not total:
                return lower
        return max(count - d, 0.0) / total + d * types / total * lower

    def logprob(self, token: str, context: Sequence[str] = ()) -> float:
        """Natural log of prob; -inf when the probability is 0 (an unseen context under MLE)."""
        p = self.prob(token, context)
        return math.log(p) if p > 0 else -math.inf

    def next_token_distribution(self, context: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """(tokens, probs) over the whole vocabulary except "<s>", most likely first.

        Under "mle" an unseen context has no distribution: it falls back to the longest seen
        suffix of the context so that sampling can go on (as notebook 00's counting model does).
        """
        context = self._context(context)
        if self.smoothing == "mle":
            while context and not self.context_total.get(context):
                context = context[1:]
        probs = self.distribution(context)
        if BOS in self._index:  # never a next token: drop it
            probs[self._index[BOS]] = 0.0
        order = np.argsort(-probs, kind="stable")
        if BOS in self._index:
            order = order[order != self._index[BOS]]
        return self._vocab_array[order].tolist(), probs[order] / probs.sum()

    def distribution(self, context: Sequence[str]) -> np.ndarray:
        """p(w | context) for every w in self.vocab at once, shape (V,): equal to `prob`, faster."""
        self._check_fitted()
        context = self._context(context)
        if self.smoothing == "kneser_ney":
            return self._kneser_ney_vector(context)
        if self.smoothing == "interpolated":
            levels = [
                (w, context[len(context) - n :] if n else ())
                for w, n in zip(self.lambdas, range(len(context), -1, -1), strict=False)
            ]
            seen = [(w, c) for w, c in levels if self.context_total.get(c)]
            return sum(w * self._count_vector(c) for w, c in seen) / sum(w for w, _ in seen)
        counts, total = (
            self._count_vector(context, normalise=False),
            self.context_total.get(context, 0),
        )
        if self.smoothing == "add_k":
            return (counts + self.k) / (total + len(self.vocab) * self.k)
        return counts / total if total else counts

    def _count_vector(self, context: tuple[str, ...], normalise: bool = True) -> np.ndarray:
        vector = np.zeros(len(self.vocab))
        ids, counts = self._followers_index()[0].get(context, ([], []))
        vector[ids] = counts
        total = self.context_total.get(context, 0)
        return vector / total if normalise and total else vector

    def _kneser_ney_vector(self, context: tuple[str, ...]) -> np.ndarray:
        if self.order == 1:
            return self._count_vector(())
        raw, cont = self._followers_index()
        d = self.discount
        p = np.zeros(len(self.vocab))
        ids, counts = cont.get((), ([], []))
        p[ids] = np.asarray(counts, dtype=float) / self.continuation_total[()]
        for m in range(1, len(context) + 1):
            ctx = context[len(context) - m :]
            if not self.context_total.get(ctx):
                continue
            if m + 1 == self.order:
                (ids, counts), total, types = raw[ctx], self.context_total[ctx], self.followers[ctx]
            else:
                ids, counts = cont.get(ctx, ([], []))
                total, types = (
                    self.continuation_total.get(ctx, 0),
                    self.continuation_followers.get(ctx, 0),
                )
                if not total:
                    continue
            alpha = np.zeros(len(self.vocab))
            alpha[ids] = np.maximum(np.asarray(counts, dtype=float) - d, 0.0) / total
            p = alpha + d * types / total * p
        return p

    def sentence_ngrams(self, sentence: Sequence[str]) -> list[tuple[tuple[str, ...], str]]:
        """(context, token) pairs scored for one sentence: every token, then one end marker."""
        padded = [BOS] * (self.order - 1) + list(sentence) + [EOS]
        return [
            (tuple(padded[i - self.order + 1 : i]), padded[i])
            for i in range(self.order - 1, len(padded))
        ]

    def perplexity(self, sentences: Iterable[Sequence[str]]) -> float:
        """exp of the average negative log-probability per scored token (see sentence_ngrams).

        inf if any scored token has probability 0.
        """
        pairs = [pair for s in sentences for pair in self.sentence_ngrams(s)]
        if not pairs:
            raise ValueError("sentences must contain at least one sentence to score")
        total = sum(self.logprob(token, context) for context, token in pairs)
        return math.exp(-total / len(pairs))

    def num_parameters(self) -> int:
        """How many numbers the model stores: one count per distinct n-gram of every order."""
        return sum(len(c) for c in self.counts)

    def generate(
        self,
        n: int,
        rng: np.random.Generator,
        context: Sequence[str] = (),
        temperature: float = 1.0,
    ) -> list[str]:
        """Sample up to n tokens after `context`, stopping at "</s>"."""
        from helpers.counting.next_token import apply_temperature, sample_index

        context, out = list(context) or [BOS] * (self.order - 1), []
        for _ in range(n):
            tokens, probs = self.next_token_distribution(context)
            token = tokens[sample_index(apply_temperature(probs, temperature), rng.random())]
            if token == EOS:
                break
            out.append(token)
            context.append(token)
        return out

    def context_used(self, context: Sequence[str]) -> tuple[str, ...]:
        """The context the next-token distribution rests on: the last order-1 tokens (unknown ones
        as "<UNK>"), less the oldest ones while unseen (an unseen context passes everything to
        the shorter one; add-k alone keeps it and gives a uniform distribution)."""
        self._check_fitted()
        context = self._context(context)
        while self.smoothing != "add_k" and context and not self.context_total.get(context):
            context = context[1:]
        return context
