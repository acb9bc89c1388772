"""word2vec from scratch: skip-gram and CBOW with negative sampling (Mikolov et al. 2013a/b).

    sentences = tokenize(data.load_text("shakespeare", split="train"))
    wv = train(sentences, dim=100, window=5, negative=5, min_count=5, epochs=5, sg=True, seed=0)
    wv.most_similar("king")                  # [(word, cosine), ...]
    wv.analogy("man", "king", "woman")       # man : king :: woman : ?
    load_glove().analogy("man", "king", "woman")[0][0]  # 'queen'

Skip-gram learns two vectors per word: an input vector v_w (the embedding we keep) and an output
vector u_w. For a (centre, context) pair (c, o) and K noise words n_1..n_K drawn from the unigram
distribution raised to the power 0.75, negative sampling minimises

    loss = -log σ(u_o · v_c) - Σ_k log σ(-u_{n_k} · v_c)

so that real pairs score high and random pairs low. CBOW does the same with v_c replaced by the
mean of the context words' input vectors, predicting the centre word. Training follows the original
recipe: frequent words are randomly dropped (subsampling), each centre word draws its own window
size from 1..window (a dynamic window, which weights near words more), and the learning rate decays
linearly to almost zero. Pairs are processed in shuffled, vectorised batches with plain SGD on the
rows they touch: close to a million pairs a second on a 2-core CPU.

`WordVectors` holds any set of word vectors (ours, gensim's, or the shipped GloVe subset) and
answers neighbour, analogy and evaluation queries.
"""

from __future__ import annotations

import difflib
import io
import math
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F
from tqdm.auto import tqdm

from helpers import data

GLOVE = "glove_6b_50d_top20k.npz"
ANALOGIES = "questions-words.txt"
WORDSIM = "wordsim353.tsv"
SIMLEX = "simlex999.txt"

# A small analogy set that Shakespeare's vocabulary supports: in each section, any two pairs
# (a, b) and (c, d) make the question a : b :: c : d.
SHAKESPEARE_ANALOGY_PAIRS = {
    "gender": [
        ("king", "queen"), ("lord", "lady"), ("he", "she"), ("his", "her"), ("man", "woman"),
        ("father", "mother"), ("son", "daughter"), ("brother", "sister"), ("husband", "wife"),
        ("uncle", "aunt"), ("prince", "princess"), ("duke", "duchess"), ("sir", "madam"),
        ("boy", "girl"), ("master", "mistress"), ("gentleman", "gentlewoman"),
        ("men", "women"), ("lords", "ladies"),
    ],
    "thou-verbs": [
        ("have", "hast"), ("do", "dost"), ("will", "wilt"), ("shall", "shalt"), ("can", "canst"),
        ("are", "art"), ("would", "wouldst"), ("should", "shouldst"), ("could", "couldst"),
        ("may", "mayst"),
    ],
    "plural": [
        ("lord", "lords"), ("friend", "friends"), ("eye", "eyes"), ("hand", "hands"),
        ("heart", "hearts"), ("sword", "swords"), ("soldier", "soldiers"), ("enemy", "enemies"),
        ("word", "words"), ("thing", "things"), ("day", "days"), ("god", "gods"),
        ("king", "kings"), ("son", "sons"),
    ],
}  # fmt: skip

WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")
SPEAKER_LINE = re.compile(r"^[^\s:][^:]*:$")


# --------------------------------------------------------------------------------------------
# Tokenising: one rule shared by our trainer and gensim's.


def tokenize(text: str) -> list[list[str]]:
    """Split `text` into sentences of lower-case words, the corpus format of word2vec and gensim.

    The rule: a sentence is a block of lines between blank lines (in the Shakespeare corpus, one
    speech); a block's first line of the form `Name:` is a speaker label and is dropped; a word is
    a run of letters a-z with inner apostrophes kept ("o'er", "woo'd"), after lower-casing;
    everything else (digits, punctuation, a leading or trailing apostrophe) separates words.
    Empty sentences are dropped. Returns a list of sentences, each a list of words.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    sentences = []
    for block in re.split(r"\n\s*\n", text.lower()):
        lines = block.strip().split("\n")
        if len(lines) > 1 and SPEAKER_LINE.match(lines[0].strip()):
            lines = lines[1:]
        words = WORD.findall(" ".join(lines))
        if words:
            sentences.append(words)
    return sentences


# --------------------------------------------------------------------------------------------
# The vocabulary, subsampling and the noise distribution.


@dataclass(frozen=True)
class Vocabulary:
    """Words kept for training, most frequent first (ties alphabetical), and their counts."""

    words: list[str]
    counts: np.ndarray  # (V,) int64

    @classmethod
    def build(cls, sentences: Sequence[Sequence[str]], min_count: int = 5) -> Vocabulary:
        """Count words; keep those seen at least `min_count` times."""
        _check_positive_int("min_count", min_count)
        counts = Counter(word for sentence in sentences for word in sentence)
        kept = sorted(
            (w for w, n in counts.items() if n >= min_count), key=lambda w: (-counts[w], w)
        )
        if not kept:
            most = max(counts.values(), default=0)
            raise ValueError(
                f"min_count={min_count} leaves no vocabulary: the most frequent word occurs "
                f"{most} times; lower min_count"
            )
        return cls(kept, np.array([counts[w] for w in kept], dtype=np.int64))

    def __len__(self) -> int:
        return len(self.words)


def keep_probabilities(counts: np.ndarray, sample: float = 1e-3) -> np.ndarray:
    """The chance of keeping each occurrence of a word when subsampling frequent words.

    With f = count / total the word's frequency and t = `sample`, word2vec's code (and gensim) keep
    an occurrence with probability min(1, (sqrt(f / t) + 1) * t / f): about sqrt(t / f) for very
    frequent words, 1 for words rarer than about 2.6 t. (The paper states the discard probability
    1 - sqrt(t / f); the code's version is a little gentler.) `sample=0` keeps everything.
    Returns an array shaped like `counts`.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if sample < 0:
        raise ValueError(f"sample must be >= 0, got {sample}")
    if sample == 0:
        return np.ones_like(counts)
    f = counts / counts.sum()
    return np.minimum(1.0, (np.sqrt(f / sample) + 1.0) * sample / f)


def noise_distribution(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """Negative-sampling noise: P(w) = count(w)^power / Σ count^power, shape like `counts`.

    The power 0.75 (Mikolov et al. 2013b) flattens the unigram distribution: rare words are drawn
    more often than their frequency, frequent ones less.
    """
    weights = np.asarray(counts, dtype=np.float64) ** power
    return weights / weights.sum()


# --------------------------------------------------------------------------------------------
# The loss and its gradients, by hand.


def sgns_loss_and_grads(
    center: torch.Tensor, context: torch.Tensor, negatives: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Skip-gram negative-sampling loss of a batch of pairs, and its gradients, computed by hand.

    center: (B, D) input vectors v_c; context: (B, D) output vectors u_o; negatives: (B, K, D)
    output vectors of the noise words. Returns (loss (B,), d_center (B, D), d_context (B, D),
    d_negatives (B, K, D)), where loss = -log σ(u_o·v_c) - Σ_k log σ(-u_k·v_c). Using
    d/ds [-log σ(s)] = σ(s) - 1 and d/ds [-log σ(-s)] = σ(s):
        d_center = (σ(s_o) - 1) u_o + Σ_k σ(s_k) u_k
        d_context = (σ(s_o) - 1) v_c,   d_negatives[k] = σ(s_k) v_c
    """
    outputs = torch.cat([context.unsqueeze(1), negatives], dim=1)
    loss, d_center, d_outputs = _loss_and_grads(center, outputs)
    return loss, d_center, d_outputs[:, 0], d_outputs[:, 1:]


def _loss_and_grads(
    center: torch.Tensor, outputs: torch.Tensor, scale: float = 1.0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The SGNS loss (B,) and `scale` times its gradients for center (B, D) and outputs
    (B, 1 + K, D), whose first row per example is the true context, the others noise words."""
    scores = (outputs * center.unsqueeze(1)).sum(-1)  # (B, 1 + K); faster than bmm on CPU
    loss = -F.logsigmoid(scores[:, 0]) - F.logsigmoid(-scores[:, 1:]).sum(-1)
    g = torch.sigmoid(scores)
    g[:, 0] -= 1.0
    g *= scale
    d_center = torch.bmm(g.unsqueeze(1), outputs).squeeze(1)
    d_outputs = g.unsqueeze(2) * center.unsqueeze(1)
    return loss, d_center, d_outputs


# --------------------------------------------------------------------------------------------
# Training.


def _check_positive_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


def _encode(sentences: Sequence[Sequence[str]], vocab: Vocabulary) -> tuple[np.ndarray, np.ndarray]:
    """All in-vocabulary words as ids (N,) and the sentence each belongs to (N,)."""
    index = {w: i for i, w in enumerate(vocab.words)}
    ids, sent = [], []
    for s, sentence in enumerate(sentences):
        row = [index[w] for w in sentence if w in index]
        ids.extend(row)
        sent.extend([s] * len(row))
    return np.array(ids, dtype=np.int64), np.array(sent, dtype=np.int64)


def _epoch_windows(
    ids: np.ndarray, sent: np.ndarray, keep: np.ndarray, window: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Subsample, then draw each centre's window size b in 1..window.

    Returns the kept ids (M,) and a table ctx (M, 2 * window) of their context ids at offsets
    -window..-1, 1..window (-1 where that position is outside the sentence or farther than b).
    """
    mask = rng.random(len(ids)) < keep[ids]
    tokens, sentence = ids[mask], sent[mask]
    reach = rng.integers(1, window + 1, size=len(tokens))
    ctx = np.full((len(tokens), 2 * window), -1, dtype=np.int64)
    for d in range(1, window + 1):
        same = sentence[d:] == sentence[:-d]
        # context d to the left of centre i + d, and d to the right of centre i
        left = same & (reach[d:] >= d)
        ctx[d:, window - d][left] = tokens[:-d][left]
        right = same & (reach[:-d] >= d)
        ctx[:-d, window + d - 1][right] = tokens[d:][right]
    return tokens, ctx


def _sg_pairs(
    tokens: np.ndarray, ctx: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """All (centre, context) pairs of an epoch, shuffled: two arrays of shape (P,)."""
    rows, cols = np.nonzero(ctx >= 0)
    order = rng.permutation(len(rows))
    rows, cols = rows[order], cols[order]
    return tokens[rows], ctx[rows, cols]


class _Noise:
    """Draws word ids from a distribution in O(1) per draw with Walker's alias method.

    Each of the V slots holds its own word with probability `accept[i]`, else the word
    `alias[i]`; a draw picks a slot uniformly, then one of its two words. Exact, and several
    times faster than a binary search on the cumulative distribution.
    """

    def __init__(self, probs: np.ndarray, seed: int):
        accept, alias = alias_table(probs)
        self.accept = torch.from_numpy(accept).float()
        self.alias = torch.from_numpy(alias)
        self.generator = torch.Generator().manual_seed(seed)

    def draw(self, shape: tuple[int, ...]) -> torch.Tensor:
        slot = torch.randint(len(self.alias), shape, generator=self.generator)
        u = torch.rand(shape, generator=self.generator)
        return torch.where(u < self.accept[slot], slot, self.alias[slot])


def alias_table(probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vose's alias table for `probs` (V,): (accept (V,) float64, alias (V,) int64)."""
    n = len(probs)
    scaled = np.asarray(probs, dtype=np.float64) * n / np.sum(probs)
    accept, alias = np.ones(n), np.arange(n)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        accept[s], alias[s] = scaled[s], g
        scaled[g] -= 1.0 - scaled[s]  # the large word gives slot s what it lacks
        (small if scaled[g] < 1.0 else large).append(g)
    return accept, alias


@dataclass
class TrainingLog:
    """Mean loss per epoch and how many updates (pairs or centre words) each epoch made."""

    epoch_loss: list[float]
    epoch_examples: list[int]


def _check_train_args(
    sentences: object, dim: int, window: int, negative: int, epochs: int, lr: float
) -> None:
    if isinstance(sentences, str) or not isinstance(sentences, Sequence):
        raise TypeError(
            "sentences must be a list of sentences, each a list of words (see tokenize)"
        )
    if not any(len(s) for s in sentences):
        raise ValueError("sentences is empty: the corpus must contain at least one word")
    for name, value in [
        ("dim", dim),
        ("window", window),
        ("negative", negative),
        ("epochs", epochs),
    ]:
        _check_positive_int(name, value)
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}")


def train(
    sentences: Sequence[Sequence[str]],
    dim: int = 100,
    window: int = 5,
    negative: int = 5,
    min_count: int = 5,
    epochs: int = 5,
    sg: bool = True,
    seed: int = 0,
    *,
    lr: float = 0.025,
    min_lr: float = 0.0001,
    sample: float = 1e-3,
    batch_size: int = 1024,
    threads: int = 1,
    progress: bool = True,
) -> WordVectors:
    """Train word2vec on `sentences` (lists of words) and return the input vectors.

    sg=True is skip-gram (each pair (centre, context) is one example), sg=False is CBOW (the mean
    of a centre's context vectors predicts it). `negative` noise words per example, drawn from
    the unigram^0.75 distribution; frequent words subsampled with threshold `sample`; each
    centre's window size drawn from 1..`window`; the learning rate falls linearly from `lr` to
    `min_lr` over the whole run. The defaults are gensim's. Deterministic for a given `seed`.
    The training log (loss per epoch) is kept in the result's `log` attribute.

    `threads` is the number of torch threads used while training (restored afterwards). One is
    the default: a batch is many small operations, and with two threads on a CPU that another
    process is also using, every operation waits for the descheduled thread (we measured an
    eightfold slow-down). On an otherwise idle machine two threads are somewhat faster.
    """
    _check_train_args(sentences, dim, window, negative, epochs, lr)
    _check_positive_int("batch_size", batch_size)
    _check_positive_int("threads", threads)
    vocab = Vocabulary.build(sentences, min_count)
    ids, sent = _encode(sentences, vocab)
    keep = keep_probabilities(vocab.counts, sample)
    rng = np.random.default_rng(seed)
    noise = _Noise(noise_distribution(vocab.counts), seed)
    gen = torch.Generator().manual_seed(seed)
    # word2vec's initialisation: small random input vectors, zero output vectors
    w_in = (torch.rand(len(vocab), dim, generator=gen) - 0.5) / dim
    w_out = torch.zeros(len(vocab), dim)
    log = TrainingLog([], [])
    # the expected number of examples, to decay the learning rate smoothly across epochs
    expected = float((keep[ids]).sum()) * ((window + 1) if sg else 1.0) * epochs
    done = 0
    bar = tqdm(total=epochs, desc="word2vec", disable=not progress, leave=False)
    with torch_threads(threads):
        for _ in range(epochs):
            tokens, ctx = _epoch_windows(ids, sent, keep, window, rng)
            if sg:
                step, examples = _sg_step, _sg_pairs(tokens, ctx, rng)
            else:
                step, examples = _cbow_step, _cbow_examples(tokens, ctx, rng)
            total, count = 0.0, 0
            for start in range(0, len(examples[0]), batch_size):
                rate = max(min_lr, lr - (lr - min_lr) * done / expected)
                batch = tuple(e[start : start + batch_size] for e in examples)
                loss_sum, n = step(w_in, w_out, batch, noise, negative, rate)
                total, count, done = total + loss_sum, count + n, done + n
            if not math.isfinite(total):
                raise FloatingPointError(
                    f"training diverged (the loss became {total}): lower lr (now {lr}) or "
                    f"batch_size (now {batch_size})"
                )
            log.epoch_loss.append(total / max(count, 1))
            log.epoch_examples.append(count)
            bar.update(1)
    bar.close()
    vectors = WordVectors(vocab.words, w_in.numpy())
    vectors.log = log
    vectors.counts = vocab.counts
    return vectors


@contextmanager
def torch_threads(n: int):
    """Run the body with n torch threads, then restore the previous number (see `train` on why
    one thread is often faster on a shared CPU)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _sg_step(
    w_in: torch.Tensor,
    w_out: torch.Tensor,
    batch: tuple[np.ndarray, np.ndarray],
    noise: _Noise,
    negative: int,
    rate: float,
) -> tuple[float, int]:
    """One SGD step on a batch of skip-gram pairs (centres (B,), contexts (B,)); returns
    (summed loss, B)."""
    centers, contexts = (torch.from_numpy(a) for a in batch)
    outputs = torch.cat([contexts.unsqueeze(1), noise.draw((len(centers), negative))], dim=1)
    loss, d_in, d_out = _loss_and_grads(
        w_in.index_select(0, centers), _rows(w_out, outputs), scale=-rate
    )
    # sparse SGD: only the rows in the batch move; repeated rows add their updates, as in word2vec
    w_in.index_add_(0, centers, d_in)
    w_out.index_add_(0, outputs.reshape(-1), d_out.reshape(-1, w_out.shape[1]))
    return float(loss.sum()), len(centers)


def _rows(table: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """table[ids] for an index array of any shape (index_select is the fast gather on CPU)."""
    return table.index_select(0, ids.reshape(-1)).reshape(*ids.shape, table.shape[1])


def _cbow_examples(
    tokens: np.ndarray, ctx: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Centres that have at least one context word, with their context tables, shuffled."""
    has_context = (ctx >= 0).any(axis=1)
    order = rng.permutation(int(has_context.sum()))
    return tokens[has_context][order], ctx[has_context][order]


def _cbow_step(
    w_in: torch.Tensor,
    w_out: torch.Tensor,
    batch: tuple[np.ndarray, np.ndarray],
    noise: _Noise,
    negative: int,
    rate: float,
) -> tuple[float, int]:
    """One SGD step of CBOW: the mean context vector predicts the centre word. Returns (summed
    loss, B)."""
    centers, ctx = (torch.from_numpy(a) for a in batch)
    mask = (ctx >= 0).to(w_in.dtype)  # (B, 2W)
    n_ctx = mask.sum(1, keepdim=True)
    ctx = ctx.clamp(min=0)
    hidden = (_rows(w_in, ctx) * mask.unsqueeze(2)).sum(1) / n_ctx
    outputs = torch.cat([centers.unsqueeze(1), noise.draw((len(centers), negative))], dim=1)
    loss, d_hidden, d_out = _loss_and_grads(hidden, _rows(w_out, outputs), scale=-rate)
    # As in word2vec's code and gensim (cbow_mean=1), every context word receives the hidden
    # vector's full gradient, not 1 / n_ctx of it as the exact gradient of the mean would give:
    # the context vectors then learn as fast as skip-gram's input vectors.
    d_ctx = d_hidden.unsqueeze(1) * mask.unsqueeze(2)
    w_in.index_add_(0, ctx.reshape(-1), d_ctx.reshape(-1, w_in.shape[1]))
    w_out.index_add_(0, outputs.reshape(-1), d_out.reshape(-1, w_out.shape[1]))
    return float(loss.sum()), len(centers)


def analogy_questions(sections: dict[str, Sequence[tuple[str, str]]]) -> list[str]:
    """Google-format analogy lines from word pairs: `: section`, then `a b c d` for every ordered
    choice of two different pairs (a, b), (c, d) of the section (n pairs make n (n - 1) lines)."""
    lines = []
    for name, pairs in sections.items():
        lines.append(f": {name}")
        lines += [f"{a} {b} {c} {d}" for (a, b) in pairs for (c, d) in pairs if (a, b) != (c, d)]
    return lines


# --------------------------------------------------------------------------------------------
# Word vectors: neighbours, analogies, evaluations, saving.


class UnknownWordError(ValueError):
    """A word that is not in the vocabulary; the message lists close matches."""


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation: Pearson correlation of the ranks (ties get their mean rank)."""
    rx, ry = _ranks(np.asarray(x, dtype=float)), _ranks(np.asarray(y, dtype=float))
    rx, ry = rx - rx.mean(), ry - ry.mean()
    return float((rx * ry).sum() / math.sqrt((rx * rx).sum() * (ry * ry).sum()))


def _ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    for value in np.unique(values):
        tied = values == value
        ranks[tied] = ranks[tied].mean()
    return ranks


@dataclass(frozen=True)
class AnalogyResult:
    """Accuracy on the analogy questions whose four words are all in the vocabulary."""

    correct: int
    answered: int  # questions with all four words in the vocabulary
    total: int  # all questions in the file
    sections: dict[str, tuple[int, int]]  # section -> (correct, answered)

    @property
    def accuracy(self) -> float:
        return self.correct / self.answered if self.answered else float("nan")

    @property
    def coverage(self) -> float:
        """The in-vocabulary share of the questions."""
        return self.answered / self.total if self.total else float("nan")


@dataclass(frozen=True)
class SimilarityResult:
    """Spearman correlation between cosine similarities and human scores on in-vocabulary pairs."""

    spearman: float
    pairs: int  # pairs used
    total: int  # pairs in the file

    @property
    def coverage(self) -> float:
        return self.pairs / self.total if self.total else float("nan")


Source = str | Path | Sequence[str]


def _lines(source: Source) -> list[str]:
    """The lines of a shipped asset (by name, e.g. "questions-words.txt"), of a file, or the
    list of lines itself."""
    if isinstance(source, list | tuple):
        return [str(line) for line in source]
    if isinstance(source, str) and source in data.manifest():
        return data.path(source).read_text(encoding="utf-8").splitlines()
    file = Path(source)
    if not file.exists():
        raise FileNotFoundError(f"no such file or shipped asset: {source!r}")
    return file.read_text(encoding="utf-8").splitlines()


class WordVectors:
    """A fixed set of word vectors with similarity, neighbour and analogy queries.

    words: V distinct strings; vectors: (V, D) array. Lookups are exact, then lower-cased; an
    unknown word raises UnknownWordError naming close matches.
    """

    def __init__(self, words: Sequence[str], vectors: np.ndarray):
        vectors = np.asarray(vectors, dtype=np.float32)
        words = [str(w) for w in words]
        if vectors.ndim != 2 or len(words) != len(vectors):
            raise ValueError(
                f"vectors must have shape (len(words), D) = ({len(words)}, D), got {vectors.shape}"
            )
        if len(set(words)) != len(words):
            raise ValueError("words must be distinct")
        self.words = words
        self.vectors = vectors
        self.index = {w: i for i, w in enumerate(words)}
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        self.unit = vectors / np.maximum(norms, 1e-12)
        self.log: TrainingLog | None = None
        self.counts: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and (word in self.index or word.lower() in self.index)

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    def id(self, word: str) -> int:
        """The row of `word`; raises UnknownWordError with close matches if it is unknown."""
        if not isinstance(word, str):
            raise TypeError(f"word must be a str, got {type(word).__name__}")
        if word in self.index:
            return self.index[word]
        if word.lower() in self.index:
            return self.index[word.lower()]
        close = difflib.get_close_matches(word.lower(), self.words, n=5, cutoff=0.75)
        hint = f"; close matches: {', '.join(close)}" if close else "; no close matches"
        raise UnknownWordError(f"{word!r} is not in the vocabulary ({len(self)} words){hint}")

    def __getitem__(self, word: str) -> np.ndarray:
        return self.vectors[self.id(word)]

    def similarity(self, w1: str, w2: str) -> float:
        """Cosine similarity of two words' vectors, in [-1, 1]."""
        return float(self.unit[self.id(w1)] @ self.unit[self.id(w2)])

    def nearest(
        self, vector: np.ndarray, k: int = 10, exclude: Iterable[str] = ()
    ) -> list[tuple[str, float]]:
        """The k words whose vectors have the highest cosine with `vector` (D,), best first."""
        _check_positive_int("k", k)
        vector = np.asarray(vector, dtype=np.float32)
        scores = self.unit @ (vector / max(float(np.linalg.norm(vector)), 1e-12))
        return self._top(scores, k, exclude)

    def _top(self, scores: np.ndarray, k: int, exclude: Iterable[str]) -> list[tuple[str, float]]:
        banned = [self.id(w) for w in exclude]
        scores = scores.copy()
        scores[banned] = -np.inf
        k = min(k, len(self) - len(set(banned)))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(self) else np.arange(len(self))
        top = top[np.argsort(-scores[top], kind="stable")][:k]
        return [(self.words[i], float(scores[i])) for i in top]

    def most_similar(self, word: str, k: int = 10) -> list[tuple[str, float]]:
        """The k nearest words to `word` by cosine similarity (the word itself left out)."""
        return self.nearest(self.unit[self.id(word)], k, exclude=[word])

    def analogy(
        self, a: str, b: str, c: str, k: int = 1, method: str = "3cosadd"
    ) -> list[tuple[str, float]]:
        """Answers to a : b :: c : ?, best first, the three question words left out.

        "3cosadd" ranks words d by cos(d, b - a + c) on unit vectors (Mikolov et al. 2013c);
        "3cosmul" (Levy & Goldberg 2014) by cos'(d, b) cos'(d, c) / (cos'(d, a) + 0.001) with
        cos' = (cos + 1) / 2, which stops one large similarity from dominating the sum.
        """
        ia, ib, ic = self.id(a), self.id(b), self.id(c)
        return self._top(self._analogy_scores(ia, ib, ic, method), k, exclude=[a, b, c])

    def _analogy_scores(self, ia, ib, ic, method: str) -> np.ndarray:
        """Every word's score as the answer; ia, ib, ic: ints -> (V,), or (Q,) arrays -> (Q, V)."""
        if method == "3cosadd":
            target = self.unit[ib] - self.unit[ia] + self.unit[ic]
            norm = np.linalg.norm(target, axis=-1, keepdims=True)
            return (target / np.maximum(norm, 1e-12)) @ self.unit.T
        if method == "3cosmul":
            cos = [(self.unit[i] @ self.unit.T + 1.0) / 2.0 for i in (ia, ib, ic)]
            return cos[1] * cos[2] / (cos[0] + 1e-3)
        raise ValueError(f"method must be '3cosadd' or '3cosmul', got {method!r}")

    def evaluate_analogies(
        self, source: Source = ANALOGIES, method: str = "3cosadd"
    ) -> AnalogyResult:
        """Accuracy on analogies in Google's format (`: section` lines, then `a b c d` lines).

        Words are compared lower-case. Questions with a word outside the vocabulary are skipped
        and counted in `total` only; the answer must be the top word other than a, b and c.
        `source` is a shipped asset name, a path, or a list of lines.
        """
        sections: dict[str, list[tuple[int, int, int, int]]] = {}
        total, current = 0, "(no section)"
        for line in _lines(source):
            if line.startswith(":"):
                current = line[1:].strip()
                sections.setdefault(current, [])
                continue
            words = line.lower().split()
            if len(words) != 4:
                continue
            total += 1
            if all(w in self.index for w in words):
                sections.setdefault(current, []).append(tuple(self.index[w] for w in words))
        scores = {}
        for name, questions in sections.items():
            scores[name] = (
                self._count_correct(np.array(questions).reshape(-1, 4), method),
                len(questions),
            )
        correct = sum(c for c, _ in scores.values())
        answered = sum(n for _, n in scores.values())
        return AnalogyResult(correct, answered, total, scores)

    def _count_correct(self, questions: np.ndarray, method: str, chunk: int = 512) -> int:
        correct = 0
        for start in range(0, len(questions), chunk):
            q = questions[start : start + chunk]
            scores = self._analogy_scores(q[:, 0], q[:, 1], q[:, 2], method)
            rows = np.arange(len(q))[:, None]
            scores[rows, q[:, :3]] = -np.inf
            correct += int((scores.argmax(axis=1) == q[:, 3]).sum())
        return correct

    def evaluate_similarity(self, source: Source = WORDSIM) -> SimilarityResult:
        """Spearman correlation of cosine similarity with human ratings (`w1 <tab> w2 <tab> score`,
        `#` comments), on the pairs whose two words are in the vocabulary."""
        model, human, total = [], [], 0
        for line in _lines(source):
            if not line.strip() or line.startswith("#"):
                continue
            w1, w2, score = line.lower().split("\t")[:3]
            total += 1
            if w1 in self.index and w2 in self.index:
                model.append(self.similarity(w1, w2))
                human.append(float(score))
        rho = spearman(model, human) if len(model) > 1 else float("nan")
        return SimilarityResult(rho, len(model), total)

    def to_bytes(self, dtype: str = "float32") -> bytes:
        """The vectors as a .npz archive (arrays `words`, `vectors`); the same bytes every time."""
        buf = io.BytesIO()
        arrays = {"words": np.array(self.words), "vectors": self.vectors.astype(dtype)}
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, array in arrays.items():
                # a fixed timestamp keeps the archive byte-identical across rebuilds
                info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                payload = io.BytesIO()
                np.lib.format.write_array(payload, array, allow_pickle=False)
                archive.writestr(info, payload.getvalue())
        return buf.getvalue()

    def save(self, path: str | Path, dtype: str = "float32") -> None:
        """Write the vectors to `path` (.npz; dtype "float32" or "float16")."""
        Path(path).write_bytes(self.to_bytes(dtype))

    @classmethod
    def load(cls, path: str | Path) -> WordVectors:
        """Read vectors written by `save` (no pickles are loaded)."""
        with np.load(path, allow_pickle=False) as archive:
            return cls(archive["words"].tolist(), archive["vectors"].astype(np.float32))

    def __repr__(self) -> str:
        return f"WordVectors({len(self)} words, dim {self.dim})"


def load_glove() -> WordVectors:
    """The shipped GloVe 6B 50-d subset: the 20,000 most frequent words (Pennington et al. 2014)."""
    return WordVectors.load(data.path(GLOVE))


def neighbour_overlap(
    first: WordVectors, second: WordVectors, words: Sequence[str], k: int = 10
) -> float:
    """Mean share of common words among the k nearest neighbours of each of `words` in two sets
    of vectors (1.0: identical neighbourhoods). Words missing from either set are skipped."""
    shared = [w for w in words if w in first and w in second]
    if not shared:
        raise ValueError("none of `words` is in both vocabularies")
    overlaps = [
        len(
            {w for w, _ in first.most_similar(word, k)}
            & {w for w, _ in second.most_similar(word, k)}
        )
        / k
        for word in shared
    ]
    return float(np.mean(overlaps))
