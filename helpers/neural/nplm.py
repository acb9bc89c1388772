"""The neural probabilistic language model of Bengio et al. (2003): an MLP over a fixed window.

    previous n-1 token ids --embedding table C--> n-1 vectors --concatenate--> one vector
      --linear + tanh--> hidden layer --linear--> one score (logit) per vocabulary token

Unlike counts, similar tokens get similar embeddings, so what the model learns about one context
carries over to contexts it never saw.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F


class Vocabulary:
    """A fixed token <-> id mapping. Id 0 is the boundary token `boundary` (start and end).

    Built from training sequences; a token outside the vocabulary is an error (character models
    on names never meet one; word models map rare words to an unknown token before this step).
    """

    def __init__(self, tokens: Sequence[str], boundary: str = "."):
        unique = sorted(set(tokens) - {boundary})
        if not unique:
            raise ValueError("tokens must contain at least one token besides the boundary")
        self.boundary = boundary
        self.itos = [boundary, *unique]
        self.stoi = {t: i for i, t in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, tokens: Sequence[str]) -> list[int]:
        try:
            return [self.stoi[t] for t in tokens]
        except KeyError as err:
            raise ValueError(f"token {err.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids: Sequence[int]) -> list[str]:
        return [self.itos[i] for i in ids]


def windows(sequences: Sequence[Sequence[int]], context: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Every (context, next id) pair of boundary-padded id sequences.

    Each sequence is padded with `context` boundary ids (0) in front and one at the end, so the
    model learns to start and to stop. Returns X of shape (N, context) and Y of shape (N,), int64.
    """
    if context < 1:
        raise ValueError(f"context must be >= 1, got {context}")
    xs, ys = [], []
    for seq in sequences:
        padded = [0] * context + list(seq) + [0]
        for i in range(context, len(padded)):
            xs.append(padded[i - context : i])
            ys.append(padded[i])
    if not xs:
        raise ValueError("sequences must not be empty")
    return torch.tensor(xs, dtype=torch.long), torch.tensor(ys, dtype=torch.long)


def char_datasets(
    train_words: Sequence[str], valid_words: Sequence[str], context: int
) -> tuple[Vocabulary, tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    """Character-level (X, Y) windows for a word list such as names: (vocab, train, valid).

    The vocabulary is the training characters plus the boundary "."; a validation word with a
    character never seen in training is an error.
    """
    vocab = Vocabulary([c for w in train_words for c in w])
    train = windows([vocab.encode(w) for w in train_words], context)
    valid = windows([vocab.encode(w) for w in valid_words], context)
    return vocab, train, valid


class NPLM(nn.Module):
    """Bengio-style MLP language model.

    vocab_size V, context n-1 tokens, embedding size d, hidden size H:
    C: (V, d), W1: (n-1)*d -> H, tanh, dropout, W2: H -> V.
    """

    def __init__(
        self, vocab_size: int, context: int, embed_dim: int, hidden: int, dropout: float = 0.0
    ):
        super().__init__()
        for name, value in [
            ("vocab_size", vocab_size),
            ("context", context),
            ("embed_dim", embed_dim),
            ("hidden", hidden),
        ]:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.vocab_size, self.context = vocab_size, context
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.hidden = nn.Linear(context * embed_dim, hidden)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(hidden, vocab_size)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """idx: (B, context) token ids -> logits (B, V)."""
        if idx.ndim != 2 or idx.shape[1] != self.context:
            raise ValueError(f"idx must have shape (batch, {self.context}), got {tuple(idx.shape)}")
        if idx.numel() and (idx.min() < 0 or idx.max() >= self.vocab_size):
            raise ValueError(
                f"token ids must be in [0, {self.vocab_size}), got "
                f"min {int(idx.min())}, max {int(idx.max())}"
            )
        e = self.embedding(idx).flatten(1)  # (B, context * d)
        h = torch.tanh(self.hidden(e))  # (B, H)
        return self.output(self.dropout(h))  # (B, V)

    def loss(self, idx: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy in nats per token of `targets` (B,) given `idx` (B, context)."""
        return F.cross_entropy(self(idx), targets)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator, max_len: int = 30) -> list[list[int]]:
        """`n` sequences of ids sampled from boundary to boundary (without the boundaries)."""
        was_training = self.training
        self.eval()
        out = []
        for _ in range(n):
            ctx, seq = [0] * self.context, []
            for _ in range(max_len):
                probs = F.softmax(self(torch.tensor([ctx])), dim=-1)
                nxt = int(torch.multinomial(probs[0], 1, generator=generator))
                if nxt == 0:
                    break
                seq.append(nxt)
                ctx = [*ctx[1:], nxt]
            out.append(seq)
        self.train(was_training)
        return out
