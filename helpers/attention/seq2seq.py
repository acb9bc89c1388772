"""GRU encoder-decoder models for a toy transduction task: reversing a string of letters.

    source "abcd" --encoder GRU--> states h_1..h_S (B, S, H), final state h_S (B, H)
    decoder, one step per output letter:  previous letter + context c_t --GRU cell--> s_t
                                          [s_t; c_t] --linear--> logits over the vocabulary

The three models differ only in the context c_t the decoder reads:

- "none" (Cho et al., 2014; Sutskever et al., 2014): c_t = h_S for every t. The whole input must
  squeeze through one fixed vector, the bottleneck.
- "additive" (Bahdanau et al., 2015): before step t, the previous decoder state s_{t-1} is a
  query, the encoder states are the keys and values, and c_t is their attention-weighted sum with
  MLP scores w^T tanh(W_q s + W_k h).
- "dot" (Luong et al., 2015): after step t, s_t is the query and the scores are dot products
  s_t . h_j; c_t enters the output and is fed to the next step (Luong's "input feeding").

Reversal has a known alignment: output position t should look at input position S - 1 - t, so the
attention weights should form an anti-diagonal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn
from torch.nn import functional as F

from helpers import data
from helpers.attention.attention import (
    AdditiveAttention,
    padding_mask,
    scaled_dot_product_attention,
)

ALPHABET = "abcdefghijkl"
SPECIALS = ("<pad>", "<s>", "</s>")
PAD, BOS, EOS = 0, 1, 2
VOCAB = (*SPECIALS, *ALPHABET)
Kind = Literal["none", "additive", "dot"]
KINDS = ("none", "additive", "dot")


def encode(text: str) -> list[int]:
    """Letters -> ids (the letters of ALPHABET only)."""
    bad = sorted(set(text) - set(ALPHABET))
    if bad:
        raise ValueError(f"text may only use the letters {ALPHABET!r}, got {bad}")
    return [len(SPECIALS) + ALPHABET.index(c) for c in text]


def decode(ids: Sequence[int]) -> str:
    """Ids -> letters, stopping at the first end token; other special tokens are dropped."""
    out = []
    for i in ids:
        if i == EOS:
            break
        if i >= len(SPECIALS):
            out.append(VOCAB[i])
    return "".join(out)


def random_strings(n: int, min_len: int, max_len: int, generator: torch.Generator) -> list[str]:
    """`n` random strings of ALPHABET letters, lengths uniform in [min_len, max_len]."""
    if not 1 <= min_len <= max_len:
        raise ValueError(f"need 1 <= min_len <= max_len, got {min_len}, {max_len}")
    lengths = torch.randint(min_len, max_len + 1, (n,), generator=generator)
    letters = torch.randint(0, len(ALPHABET), (n, max_len), generator=generator)
    return [
        "".join(ALPHABET[i] for i in row[:n_].tolist())
        for row, n_ in zip(letters, lengths, strict=True)
    ]


@dataclass
class Batch:
    """Padded tensors for teacher-forced training: src (B, S), src_lengths (B,),
    tgt_in (B, T) = <s> + target, tgt_out (B, T) = target + </s>; padding is PAD (0)."""

    src: torch.Tensor
    src_lengths: torch.Tensor
    tgt_in: torch.Tensor
    tgt_out: torch.Tensor


def make_batch(sources: Sequence[str], targets: Sequence[str] | None = None) -> Batch:
    """Pad sources and their targets (by default the reversed sources) into a Batch."""
    if not sources:
        raise ValueError("sources must not be empty")
    if any(len(s) == 0 for s in sources):
        raise ValueError("every source must have at least one letter")
    targets = [s[::-1] for s in sources] if targets is None else targets
    if len(targets) != len(sources):
        raise ValueError(f"got {len(sources)} sources but {len(targets)} targets")

    def pad(rows: list[list[int]]) -> torch.Tensor:
        width = max(map(len, rows))
        return torch.tensor([r + [PAD] * (width - len(r)) for r in rows], dtype=torch.long)

    src = [encode(s) for s in sources]
    tgt = [encode(t) for t in targets]
    return Batch(
        src=pad(src),
        src_lengths=torch.tensor([len(s) for s in src]),
        tgt_in=pad([[BOS, *t] for t in tgt]),
        tgt_out=pad([[*t, EOS] for t in tgt]),
    )


class Seq2Seq(nn.Module):
    """A GRU encoder-decoder; `attention` is "none", "additive" or "dot" (see the module text).

    vocab_size V, embed_dim E, hidden H. forward(src (B, S), src_lengths (B,), tgt_in (B, T)) ->
    (logits (B, T, V), attention weights (B, T, S); all zero for "none").
    """

    def __init__(
        self, attention: Kind, vocab_size: int = len(VOCAB), embed_dim: int = 32, hidden: int = 64
    ):
        super().__init__()
        if attention not in KINDS:
            raise ValueError(f"attention must be one of {KINDS}, got {attention!r}")
        for name, n in [("vocab_size", vocab_size), ("embed_dim", embed_dim), ("hidden", hidden)]:
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ValueError(f"{name} must be a positive int, got {n!r}")
        self.kind, self.vocab_size, self.hidden = attention, vocab_size, hidden
        self.src_embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD)
        self.encoder = nn.GRU(embed_dim, hidden, batch_first=True)
        self.tgt_embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD)
        self.decoder = nn.GRUCell(embed_dim + hidden, hidden)  # input: [letter; context]
        self.additive = (
            AdditiveAttention(hidden, hidden, hidden) if attention == "additive" else None
        )
        self.output = nn.Linear(2 * hidden, vocab_size)  # reads [s_t; c_t]

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Encoder states (B, S, H) (zeros past each length), final states (B, H), key mask
        (B, S) with True at real letters."""
        if src.ndim != 2 or src_lengths.shape != src.shape[:1]:
            raise ValueError(
                f"src must be (B, S) and src_lengths (B,), got {tuple(src.shape)} and "
                f"{tuple(src_lengths.shape)}"
            )
        if src_lengths.min() < 1 or src_lengths.max() > src.shape[1]:
            raise ValueError(f"src_lengths must be in [1, {src.shape[1]}], got {src_lengths}")
        # Packing runs the GRU over each row's real letters only, so the final state is the one
        # after its last letter, not after the padding.
        packed = nn.utils.rnn.pack_padded_sequence(
            self.src_embedding(src), src_lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        states, final = self.encoder(packed)
        states, _ = nn.utils.rnn.pad_packed_sequence(
            states, batch_first=True, total_length=src.shape[1]
        )
        return states, final[0], padding_mask(src_lengths, src.shape[1])

    def _attend(
        self, query: torch.Tensor, states: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """query (B, H) against the encoder states -> (context (B, H), weights (B, S))."""
        if self.kind == "additive":
            context, weights = self.additive(query[:, None], states, mask[:, None])
        else:  # Luong's dot score, unscaled as in the paper
            context, weights = scaled_dot_product_attention(
                query[:, None], states, states, mask[:, None], scale=1.0
            )
        return context[:, 0], weights[:, 0]

    def step(
        self,
        letter: torch.Tensor,
        state: torch.Tensor,
        context: torch.Tensor,
        encoded: tuple[torch.Tensor, ...],
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """One decoder step: letter (B,), state (B, H), the previous context (B, H) ->
        (logits (B, V), new state, new context, weights (B, S))."""
        states, final, mask = encoded
        weights = torch.zeros(mask.shape, dtype=states.dtype, device=states.device)
        if self.kind == "none":
            context = final
        elif self.kind == "additive":  # attend with the state *before* this step
            context, weights = self._attend(state, states, mask)
        state = self.decoder(torch.cat([self.tgt_embedding(letter), context], -1), state)
        if self.kind == "dot":  # attend with the state *after* this step
            context, weights = self._attend(state, states, mask)
        return self.output(torch.cat([state, context], -1)), state, context, weights

    def forward(
        self, src: torch.Tensor, src_lengths: torch.Tensor, tgt_in: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        encoded = self.encode(src, src_lengths)
        state, context = encoded[1], torch.zeros_like(encoded[1])
        logits, weights = [], []
        for t in range(tgt_in.shape[1]):  # teacher forcing: feed the true previous letter
            step_logits, state, context, w = self.step(tgt_in[:, t], state, context, encoded)
            logits.append(step_logits)
            weights.append(w)
        return torch.stack(logits, 1), torch.stack(weights, 1)

    def loss(self, batch: Batch) -> torch.Tensor:
        """Mean cross-entropy per target token (padding ignored)."""
        logits, _ = self(batch.src, batch.src_lengths, batch.tgt_in)
        return F.cross_entropy(logits.flatten(0, 1), batch.tgt_out.flatten(), ignore_index=PAD)

    @torch.no_grad()
    def greedy(
        self, sources: Sequence[str], max_len: int | None = None
    ) -> tuple[list[str], torch.Tensor]:
        """Greedy decoding of each source: (outputs, weights (B, T, S)), T = max_len steps
        (default: the longest source + 1)."""
        batch = make_batch(sources)
        max_len = batch.src.shape[1] + 1 if max_len is None else max_len
        encoded = self.encode(batch.src, batch.src_lengths)
        state, context = encoded[1], torch.zeros_like(encoded[1])
        letter = torch.full((len(sources),), BOS)
        ids, weights = [], []
        for _ in range(max_len):
            logits, state, context, w = self.step(letter, state, context, encoded)
            letter = logits.argmax(-1)
            ids.append(letter)
            weights.append(w)
        ids_t = torch.stack(ids, 1)
        return [decode(row) for row in ids_t.tolist()], torch.stack(weights, 1)


def train(
    model: Seq2Seq,
    steps: int,
    min_len: int,
    max_len: int,
    batch_size: int = 64,
    lr: float = 3e-3,
    seed: int = 0,
) -> list[float]:
    """Train on fresh random strings each step (Adam, gradients clipped at norm 1); return the
    loss of every step. Deterministic given `seed` and the model's initial weights."""
    if steps < 1 or batch_size < 1:
        raise ValueError(f"steps and batch_size must be >= 1, got {steps}, {batch_size}")
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    losses = []
    for _ in range(steps):
        batch = make_batch(random_strings(batch_size, min_len, max_len, generator))
        loss = model.loss(batch)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    return losses


def fixed_strings(
    lengths: Sequence[int], per_length: int, seed: int = 1234
) -> dict[int, list[str]]:
    """A fixed set of `per_length` random strings for each length (seeded, never trained on
    except by chance)."""
    generator = torch.Generator().manual_seed(seed)
    return {n: random_strings(per_length, n, n, generator) for n in lengths}


def accuracy_by_length(model: Seq2Seq, strings: dict[int, list[str]]) -> dict[int, float]:
    """Fraction of each length's strings that greedy decoding reverses exactly (and stops)."""
    model.eval()
    result = {}
    for n, sources in strings.items():
        outputs, _ = model.greedy(sources)
        result[n] = sum(o == s[::-1] for o, s in zip(outputs, sources, strict=True)) / len(sources)
    return result


def load_shipped(kind: Kind) -> tuple[Seq2Seq, dict]:
    """A shipped model trained by scripts/train_seq2seq.py (eval mode) and its metadata: the
    configuration, the training loss curve and the accuracy by length it was recorded with."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    blob = torch.load(data.path(f"seq2seq_{kind}.pt"), map_location="cpu", weights_only=True)
    meta = blob["meta"]
    model = Seq2Seq(meta["attention"], embed_dim=meta["embed_dim"], hidden=meta["hidden"])
    model.load_state_dict(blob["state_dict"])
    return model.eval(), meta
