"""n-gram language models from counts: maximum likelihood, add-k, interpolation and Kneser-Ney.

    lm = NGramLM(order=3, smoothing="kneser_ney", discount=0.75).fit(sentences)
    lm.prob("be", ("not", "to")), lm.perplexity(held_out_sentences)

Sentences are lists of tokens (words or characters). Fitting pads each sentence the way nltk.lm
does, with order-1 start markers "<s>" and order-1 end markers "</s>" (but at least one end marker,
see below), and counts every n-gram of every order up to `order`, so the counts equal nltk's. The
vocabulary holds every token seen at least `min_count` times, plus "<UNK>": rarer training tokens
and unseen test tokens are mapped to "<UNK>" (so with min_count >= 2 the unknown token has counts
of its own). A training token that is literally "<UNK>" is that unknown token. Or give the
vocabulary yourself (`vocabulary=`, as nltk's Vocabulary): a word of it never seen in training
then gets its smoothed probability, and training words outside it count as "<UNK>".

Tokens are stored as integer ids and the counts as sorted numpy arrays
(helpers/counting/ngram_counts.py), so fitting is a few np.unique calls and scoring many (context,
token) pairs is a few np.searchsorted calls (`logprobs`).

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
- A given vocabulary always holds "<s>" and "</s>" (nltk maps markers left out of it to "<UNK>").
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

import numpy as np

from helpers.counting.next_token import WORD
from helpers.counting.ngram_counts import NGramCounts, TupleView, encode

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
    vocabulary: the tokens to model (min_count is then unused); None: those seen min_count times.
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
        vocabulary: Iterable[str] | None = None,
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
        if isinstance(min_count, bool) or not isinstance(min_count, int):
            raise TypeError(f"min_count must be an int >= 1, got {min_count!r}")
        if min_count < 1:
            raise ValueError(
                f"min_count must be an int >= 1 (1 keeps every token), got {min_count}"
            )
        if vocabulary is not None:
            if isinstance(vocabulary, str) or not all(isinstance(t, str) for t in vocabulary):
                raise TypeError("vocabulary must be an iterable of token strings")
            vocabulary = tuple(vocabulary)
            if min_count != 1:
                raise ValueError("give min_count or vocabulary, not both")
        self.order, self.smoothing, self.k, self.discount = order, smoothing, k, discount
        self.lambdas, self.min_count, self.level = list(lambdas), min_count, level
        self.vocabulary = vocabulary
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
        sentences = [s if isinstance(s, Sequence) else list(s) for s in sentences]
        # One pass in Python: every token gets a provisional id (first seen, first numbered).
        first_seen: dict[str, int] = {}
        provisional = np.array(
            [first_seen.setdefault(t, len(first_seen)) for s in sentences for t in s],
            dtype=np.int64,
        )
        if not first_seen:
            raise ValueError("sentences must contain at least one token; got an empty corpus")
        pad = self.order - 1
        ends = max(pad, 1)  # one end marker even at order 1, so a unigram model can stop
        markers = {BOS, EOS} if pad else {EOS}
        if self.vocabulary is None:
            seen = np.bincount(provisional)
            known = {t for t, i in first_seen.items() if seen[i] >= self.min_count}
        else:
            known = set(self.vocabulary)
        self.vocab = [*sorted((known | markers) - {UNK}), UNK]  # a literal "<UNK>" is the unknown
        self._index = {t: i for i, t in enumerate(self.vocab)}
        self._vocab_array = np.array(self.vocab, dtype=object)
        unk = self._index[UNK]
        final = np.array([self._index.get(t, unk) for t in first_seen], dtype=np.int64)
        # All padded sentences one after the other, as ids; `sentence` says which is which.
        lengths = np.array([len(s) for s in sentences], dtype=np.int64)
        padded = lengths + pad + ends
        first = np.cumsum(padded) - padded  # where each padded sentence starts
        stream = np.full(padded.sum(), self._index[EOS], dtype=np.int64)
        for i in range(pad):
            stream[first + i] = self._index[BOS]
        within = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        stream[np.repeat(first + pad, lengths) + within] = final[provisional]
        sentence = np.repeat(np.arange(len(sentences)), padded)
        self._counts = NGramCounts(stream, sentence, len(self.vocab), self.order)
        c = self._counts
        # Read-only dict views keyed by tuples of tokens, as counts[n][("my", "lord")].
        self.counts = [TupleView({}, self.vocab, self._index)]  # no 0-grams, as before
        self.counts += [
            TupleView({n: c.counts[n]}, self.vocab, self._index) for n in range(1, self.order + 1)
        ]
        self.context_total = TupleView(c.context_total, self.vocab, self._index)
        return self

    def with_smoothing(self, smoothing: str, **params: object) -> NGramLM:
        """The same counts under another smoothing (k, discount, lambdas in params): no refit."""
        settings = {"k": self.k, "discount": self.discount, "lambdas": self.lambdas} | params
        other = NGramLM(
            self.order,
            smoothing,
            min_count=self.min_count,
            level=self.level,
            vocabulary=self.vocabulary,
            **settings,
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

    def _ids(self, tokens: Sequence[str]) -> list[int]:
        unk = self._index[UNK]
        return [self._index.get(t, unk) for t in tokens]

    def prob(self, token: str, context: Sequence[str] = ()) -> float:
        """p(token | context). A longer context is cut to its last order-1 tokens.

        Under "mle" an unseen context gives probability 0 for every token (nothing was counted).
        """
        return float(self.probs([(context, token)])[0])

    def logprob(self, token: str, context: Sequence[str] = ()) -> float:
        """Natural log of prob; -inf when the probability is 0 (an unseen context under MLE)."""
        p = self.prob(token, context)
        return math.log(p) if p > 0 else -math.inf

    def logprobs(self, pairs: Sequence[tuple[Sequence[str], str]]) -> np.ndarray:
        """log p(token | context) of many (context, token) pairs at once, shape (N,)."""
        with np.errstate(divide="ignore"):
            return np.log(self.probs(pairs))

    def probs(self, pairs: Sequence[tuple[Sequence[str], str]]) -> np.ndarray:
        """p(token | context) of many (context, token) pairs at once, shape (N,)."""
        self._check_fitted()
        tokens = np.array(self._ids([t for _, t in pairs]), dtype=np.int64)
        probs = np.zeros(len(pairs))
        for rows, ids in self._by_length([self._context(c) for c, _ in pairs]):
            probs[rows] = self._probs(ids, tokens[rows])
        return probs

    def ngram_counts(self, grams: Sequence[Sequence[str]]) -> np.ndarray:
        """How often each n-gram (of any order 1..order) was counted in training, shape (N,);
        unknown tokens count as "<UNK>". Many at once: faster than counts[n][gram] in a loop."""
        self._check_fitted()
        found = np.zeros(len(grams), dtype=np.int64)
        for rows, ids in self._by_length(grams):
            if not 1 <= ids.shape[1] <= self.order:
                raise ValueError(f"grams must have 1 to {self.order} tokens, got {ids.shape[1]}")
            found[rows] = self._counts.counts[ids.shape[1]].get(encode(ids, len(self.vocab)))
        return found

    def _by_length(self, sequences: Sequence[Sequence[str]]) -> list[tuple[list[int], np.ndarray]]:
        """Token sequences as id arrays, one (rows, ids of shape (len(rows), n)) per length n."""
        rows: dict[int, list[int]] = {}
        for i, sequence in enumerate(sequences):
            rows.setdefault(len(sequence), []).append(i)
        return [
            (
                where,
                np.array([self._ids(sequences[i]) for i in where], dtype=np.int64).reshape(
                    len(where), n
                ),
            )
            for n, where in rows.items()
        ]

    def _probs(self, contexts: np.ndarray, tokens: np.ndarray) -> np.ndarray:
        """p(token | context) for rows of ids: contexts (N, m), tokens (N,) -> (N,)."""
        c, radix = self._counts, len(self.vocab)
        m = contexts.shape[1]
        codes = [encode(contexts[:, m - j :], radix) for j in range(m + 1)]  # suffixes, short first

        def mle(j: int) -> tuple[np.ndarray, np.ndarray]:
            total = c.context_total[j].get(codes[j])
            count = c.counts[j + 1].get(codes[j] * radix + tokens)
            return np.where(total > 0, count / np.maximum(total, 1), 0.0), total > 0

        if self.smoothing == "mle":
            return mle(m)[0]
        if self.smoothing == "add_k":
            total = c.context_total[m].get(codes[m])
            count = c.counts[m + 1].get(codes[m] * radix + tokens)
            return (count + self.k) / (total + radix * self.k)
        if self.smoothing == "interpolated":
            mixed, weights = np.zeros(len(tokens)), np.zeros(len(tokens))
            for weight, j in zip(self.lambdas, range(m, -1, -1), strict=False):
                p, seen = mle(j)
                mixed, weights = mixed + weight * seen * p, weights + weight * seen
            return mixed / weights
        if self.order == 1:  # no contexts to discount: Kneser-Ney of order 1 is the unigram MLE
            return mle(0)[0]
        d = self.discount
        # Continuation probability: in how many contexts was the token new?
        total = c.continuation_total[0].get(codes[0])
        p = c.continuation[1].get(tokens) / np.maximum(total, 1)
        for j in range(1, m + 1):
            seen = c.context_total[j].get(codes[j]) > 0
            if j + 1 == self.order:
                count = c.counts[self.order].get(codes[j] * radix + tokens)
                total, types = c.context_total[j].get(codes[j]), c.followers[j].get(codes[j])
            else:
                count = c.continuation[j + 1].get(codes[j] * radix + tokens)
                total = c.continuation_total[j].get(codes[j])
                types = c.continuation_followers[j].get(codes[j])
            total, use = np.maximum(total, 1), seen & (total > 0)  # unseen: pass p through
            p = np.where(use, np.maximum(count - d, 0.0) / total + d * types / total * p, p)
        return p

    def next_token_distribution(self, context: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """(tokens, probs) over the whole vocabulary except "<s>", most likely first.

        Under "mle" an unseen context has no distribution: it falls back to the longest seen
        suffix of the context so that sampling can go on (as notebook 00's counting model does).
        """
        context = self.context_used(context) if self.smoothing == "mle" else self._context(context)
        probs = self.distribution(context)
        if BOS in self._index:  # never a next token: drop it
            probs[self._index[BOS]] = 0.0
        order = np.argsort(-probs, kind="stable")
        if BOS in self._index:
            order = order[order != self._index[BOS]]
        return self._vocab_array[order].tolist(), probs[order] / probs.sum()

    def distribution(self, context: Sequence[str]) -> np.ndarray:
        """p(w | context) for every w in self.vocab at once, shape (V,): equal to `prob`, faster
        (it reads only the followers of each suffix of the context)."""
        self._check_fitted()
        c, radix = self._counts, len(self.vocab)
        ids = np.array([self._ids(self._context(context))], dtype=np.int64)
        m = ids.shape[1]
        codes = [int(encode(ids[:, m - j :], radix)[0]) for j in range(m + 1)]  # short first

        def total(tables: dict, j: int) -> int:
            return int(tables[j].get(codes[j]))

        def counts(j: int) -> np.ndarray:  # count(context[-j:], w) for every w
            return c.follower_vector(c.counts[j + 1], codes[j])

        if self.smoothing == "mle":
            seen = total(c.context_total, m)
            return counts(m) / seen if seen else counts(m)
        if self.smoothing == "add_k":
            return (counts(m) + self.k) / (total(c.context_total, m) + radix * self.k)
        if self.smoothing == "interpolated":
            levels = zip(self.lambdas, range(m, -1, -1), strict=False)
            seen = [(w, j) for w, j in levels if total(c.context_total, j)]
            mixed = sum(w * counts(j) / total(c.context_total, j) for w, j in seen)
            return mixed / sum(w for w, _ in seen)
        if self.order == 1:
            return counts(0) / total(c.context_total, 0)
        d = self.discount
        p = c.follower_vector(c.continuation[1], 0) / total(c.continuation_total, 0)
        for j in range(1, m + 1):
            if not total(c.context_total, j):
                continue
            if j + 1 == self.order:
                vector, seen = counts(j), total(c.context_total, j)
                types = total(c.followers, j)
            else:
                vector = c.follower_vector(c.continuation[j + 1], codes[j])
                seen, types = total(c.continuation_total, j), total(c.continuation_followers, j)
                if not seen:
                    continue
            p = np.maximum(vector - d, 0.0) / seen + d * types / seen * p
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
        return math.exp(-self.logprobs(pairs).mean())

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
