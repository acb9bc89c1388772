"""word2vec from scratch: skip-gram and CBOW with negative sampling (Mikolov et al. 2013a/b).

    sentences = tokenize(data.load_text("shakespeare", split="train"))
    wv = train(sentences, dim=100, window=5, negative=5, min_count=5, epochs=5, sg=True, seed=0)
    wv.most_similar("king")                  # [(word, cosine), ...]
    wv.analogy("man", "king", "woman")       # man : king :: woman : ?

Skip-gram learns two vectors per word: an input vector v_w (the embedding we keep) and an output
vector u_w. For a (centre, context) pair (c, o) and K noise words n_1..n_K drawn from the unigram
distribution raised to the power 0.75, negative sampling minimises

    loss = -log σ(u_o · v_c) - Σ_k log σ(-u_{n_k} · v_c)

so that real pairs score high and random pairs low. CBOW does the same with v_c replaced by the
mean of the context words' input vectors, predicting the centre word. Training follows the original
recipe: frequent words are randomly dropped (subsampling), each centre word draws its own window
size from 1..window (a dynamic window, which weights near words more), noise words that equal the
word to predict are skipped (as in word2vec's C code and gensim), and the learning rate decays
linearly from lr to min_lr over the pairs actually built. Pairs are processed in shuffled,
vectorised batches with plain SGD on the rows they touch: close to a million pairs a second on a
2-core CPU.

This module holds the training: tokenising, the vocabulary, subsampling, the noise distribution,
the loss and its gradients, and the training loop. `train` returns a `TrainedVectors`: a
`WordVectors` (helpers.vectors.word_vectors, the container that answers neighbour, analogy and
evaluation queries) with the training log and the word counts.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F
from tqdm.auto import tqdm

from helpers.vectors.word_vectors import WordVectors, _check_positive_int

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
    center: torch.Tensor,
    context: torch.Tensor,
    negatives: torch.Tensor,
    use: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Skip-gram negative-sampling loss of a batch of pairs, and its gradients, computed by hand.

    center: (B, D) input vectors v_c; context: (B, D) output vectors u_o; negatives: (B, K, D)
    output vectors of the noise words; use: optional (B, K) bool, False for a noise word to skip
    (the trainer skips noise words equal to the context word). Returns (loss (B,), d_center
    (B, D), d_context (B, D), d_negatives (B, K, D)), where loss = -log σ(u_o·v_c) - Σ_k log
    σ(-u_k·v_c) over the used k. Using d/ds [-log σ(s)] = σ(s) - 1 and d/ds [-log σ(-s)] = σ(s):
        d_center = (σ(s_o) - 1) u_o + Σ_k σ(s_k) u_k
        d_context = (σ(s_o) - 1) v_c,   d_negatives[k] = σ(s_k) v_c  (0 for a skipped k)
    """
    outputs = torch.cat([context.unsqueeze(1), negatives], dim=1)
    loss, d_center, d_outputs = _loss_and_grads(center, outputs, use=use)
    return loss, d_center, d_outputs[:, 0], d_outputs[:, 1:]


def _loss_and_grads(
    center: torch.Tensor,
    outputs: torch.Tensor,
    scale: float = 1.0,
    use: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The SGNS loss (B,) and `scale` times its gradients for center (B, D) and outputs
    (B, 1 + K, D), whose first row per example is the true context, the others noise words;
    `use` (B, K) bool, if given, drops the noise words marked False from loss and gradients."""
    scores = (outputs * center.unsqueeze(1)).sum(-1)  # (B, 1 + K); faster than bmm on CPU
    noise_terms = F.logsigmoid(-scores[:, 1:])
    g = torch.sigmoid(scores)
    if use is not None:
        noise_terms = noise_terms * use
        g[:, 1:] *= use
    loss = -F.logsigmoid(scores[:, 0]) - noise_terms.sum(-1)
    g[:, 0] -= 1.0
    g *= scale
    d_center = torch.bmm(g.unsqueeze(1), outputs).squeeze(1)
    d_outputs = g.unsqueeze(2) * center.unsqueeze(1)
    return loss, d_center, d_outputs


# --------------------------------------------------------------------------------------------
# Training.


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
    """Mean loss per epoch, how many updates (pairs or centre words) each epoch made, and the
    learning rate of the last batch."""

    epoch_loss: list[float]
    epoch_examples: list[int]
    final_lr: float = float("nan")


class TrainedVectors(WordVectors):
    """Word vectors as `train` returns them: a WordVectors that also keeps how it was made.

    log: the TrainingLog of the run; counts: (V,) how often each word occurred in the corpus."""

    def __init__(
        self, words: Sequence[str], vectors: np.ndarray, log: TrainingLog, counts: np.ndarray
    ):
        super().__init__(words, vectors)
        self.log = log
        self.counts = counts


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
) -> TrainedVectors:
    """Train word2vec on `sentences` (lists of words) and return the input vectors.

    sg=True is skip-gram (each pair (centre, context) is one example), sg=False is CBOW (the mean
    of a centre's context vectors predicts it). `negative` noise words per example, drawn from
    the unigram^0.75 distribution; frequent words subsampled with threshold `sample`; each
    centre's window size drawn from 1..`window`; noise words equal to the word to predict are
    skipped; the learning rate falls linearly from `lr` to `min_lr` over the whole run, measured
    as gensim does: epochs done plus the share of this epoch's examples (which are built before
    the epoch starts, so counted exactly). The defaults are gensim's. Deterministic for a given
    `seed`. The training log (loss per epoch, last learning rate) is kept in the result's `log`.

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
    bar = tqdm(total=epochs, desc="word2vec", disable=not progress, leave=False)
    with torch_threads(threads):
        for epoch in range(epochs):
            tokens, ctx = _epoch_windows(ids, sent, keep, window, rng)
            if sg:
                step, examples = _sg_step, _sg_pairs(tokens, ctx, rng)
            else:
                step, examples = _cbow_step, _cbow_examples(tokens, ctx, rng)
            total, count, size = 0.0, 0, max(len(examples[0]), 1)
            for start in range(0, len(examples[0]), batch_size):
                # progress through the run, from this epoch's pairs already used (an expected
                # count of pairs, ignoring sentence ends, would leave the rate well above min_lr)
                progress_share = (epoch + start / size) / epochs
                rate = lr - (lr - min_lr) * progress_share
                batch = tuple(e[start : start + batch_size] for e in examples)
                loss_sum, n = step(w_in, w_out, batch, noise, negative, rate)
                total, count = total + loss_sum, count + n
                log.final_lr = rate
            if not math.isfinite(total):
                raise FloatingPointError(
                    f"training diverged (the loss became {total}): lower lr (now {lr}) or "
                    f"batch_size (now {batch_size})"
                )
            log.epoch_loss.append(total / max(count, 1))
            log.epoch_examples.append(count)
            bar.update(1)
    bar.close()
    return TrainedVectors(vocab.words, w_in.numpy(), log, vocab.counts)


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
    noise_ids = noise.draw((len(centers), negative))
    outputs = torch.cat([contexts.unsqueeze(1), noise_ids], dim=1)
    # a noise word that is the context word itself is skipped, as word2vec's C code does
    use = noise_ids != contexts.unsqueeze(1)
    loss, d_in, d_out = _loss_and_grads(
        w_in.index_select(0, centers), _rows(w_out, outputs), scale=-rate, use=use
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
    noise_ids = noise.draw((len(centers), negative))
    outputs = torch.cat([centers.unsqueeze(1), noise_ids], dim=1)
    use = noise_ids != centers.unsqueeze(1)  # skip noise words equal to the centre word
    loss, d_hidden, d_out = _loss_and_grads(hidden, _rows(w_out, outputs), scale=-rate, use=use)
    # As in word2vec's code and gensim (cbow_mean=1), every context word receives the hidden
    # vector's full gradient, not 1 / n_ctx of it as the exact gradient of the mean would give:
    # the context vectors then learn as fast as skip-gram's input vectors.
    d_ctx = d_hidden.unsqueeze(1) * mask.unsqueeze(2)
    w_in.index_add_(0, ctx.reshape(-1), d_ctx.reshape(-1, w_in.shape[1]))
    w_out.index_add_(0, outputs.reshape(-1), d_out.reshape(-1, w_out.shape[1]))
    return float(loss.sum()), len(centers)
