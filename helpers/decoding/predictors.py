"""Our GPT as a NextTokenModel (helpers.counting.next_token), so that the widgets of notebook 00 and
08 serve it as they serve the counting models:

    chars = GPTPredictor(model, tok.encode, tok.decode, start=tok.encode("\\n").tolist())
    smol = GPTPredictor.from_pretrained(load_smollm2())
    tokens, probs = smol.next_token_distribution(smol.tokenize("The cat sat on the"))

The protocol speaks in token strings; the GPT in ids. Each id gets a unique name: its text, or,
for a piece of a multi-byte character (a byte-level BPE token such as SmolLM2's can hold one),
its bytes written as \\xNN escapes. Text is rebuilt from the ids, so such pieces join up again.

Reading a context token by token (as a widget does when it samples) would re-read the whole
context for each token; the predictor keeps a KV cache of the last context it read instead, and
reads only what is new after the longest prefix the two share.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from helpers.transformer.gpt import GPT

if TYPE_CHECKING:  # only for the type hint: the predictor needs no GGUF reader
    from helpers.transformer.pretrained import Pretrained

Encode = Callable[[str], Sequence[int] | torch.Tensor]
Decode = Callable[[list[int]], str]


class GPTPredictor:
    """A GPT and its tokenizer behind the NextTokenModel protocol.

    encode: text -> ids (a list or a 1-d tensor); decode: list of ids -> text. token_names: one
    unique string per id (default: decode([i]) for each id, which must then be unique). start:
    the ids the model reads when the context is empty (a start-of-text token, or a newline for
    a model of plays); without them an empty context is a ValueError. Contexts longer than the
    model's are cropped to their last cfg.context tokens. The model is read in eval mode and must
    not change while the predictor is used, except through its parameters in place (training,
    load_state_dict), which the predictor notices.
    """

    def __init__(
        self,
        model: GPT,
        encode: Encode,
        decode: Decode,
        *,
        token_names: Sequence[str] | None = None,
        start: Sequence[int] = (),
    ):
        if not isinstance(model, GPT):
            raise TypeError(
                f"model must be a helpers.transformer.gpt.GPT, got {type(model).__name__}"
            )
        vocab = model.cfg.vocab_size
        names = [decode([i]) for i in range(vocab)] if token_names is None else list(token_names)
        if len(names) != vocab:
            raise ValueError(f"token_names must name all {vocab} ids, got {len(names)}")
        if len(set(names)) != vocab:
            duplicate = next(n for n in names if names.count(n) > 1)
            raise ValueError(
                f"token names must be unique, but {duplicate!r} names several ids: pass "
                "token_names (e.g. from the tokenizer's bytes)"
            )
        if not all(isinstance(i, int) and 0 <= i < vocab for i in start):
            raise ValueError(f"start must be ids in [0, {vocab}), got {list(start)}")
        self.model, self.encode, self.decode = model, encode, decode
        self.names = names
        self.ids = {name: i for i, name in enumerate(names)}
        self.start = list(start)
        self._cache = None  # a KVCache of the last ids read, which are _read
        self._read: list[int] = []
        self._weights: list[tuple[int, int]] = []  # each parameter's identity and version

    @classmethod
    def from_pretrained(cls, pretrained: Pretrained) -> GPTPredictor:
        """The predictor of a loaded checkpoint (helpers.transformer.pretrained): special tokens
        such as <|im_start|> typed in the text are read as such, and an empty context starts from
        <|endoftext|> (the separator between documents in SmolLM2's training data)."""
        tok = pretrained.tokenizer
        names = [
            tok.decode_single_token_bytes(i).decode("utf-8", "backslashreplace")
            for i in range(tok.n_vocab)
        ]
        start = [tok.encode_single_token("<|endoftext|>")] if "<|endoftext|>" in names else []
        return cls(
            pretrained.model,
            lambda text: tok.encode(text, allowed_special="all"),
            tok.decode,
            token_names=names,
            start=start,
        )

    def tokenize(self, text: str) -> list[str]:
        ids = self.encode(text)
        ids = ids.tolist() if isinstance(ids, torch.Tensor) else list(ids)
        return [self.names[i] for i in ids]

    def detokenize(self, tokens: Sequence[str]) -> str:
        return self.decode(self._to_ids(tokens))

    def context_used(self, context: Sequence[str]) -> tuple[str, ...]:
        """The last cfg.context tokens of context: all the model reads."""
        return tuple(context)[-self.model.cfg.context :]

    def next_token_distribution(self, context: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """(every token's name, in id order; its probability (V,) float64) after context."""
        ids = self._to_ids(context) or list(self.start)
        if not ids:
            raise ValueError("the context is empty and this predictor has no start ids")
        logits = self._last_logits(ids[-self.model.cfg.context :])
        probs = torch.softmax(logits.double(), dim=-1).numpy()
        return list(self.names), probs

    def _to_ids(self, tokens: Sequence[str]) -> list[int]:
        unknown = [t for t in tokens if t not in self.ids]
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not one of this model's tokens")
        return [self.ids[t] for t in tokens]

    @torch.no_grad()
    def _last_logits(self, ids: list[int]) -> torch.Tensor:
        """The logits (V,) after ids (at most cfg.context of them), reusing the cached prefix."""
        model = self.model
        weights = [(id(p), p._version) for p in model.parameters()]  # in-place updates bump it
        if self._cache is None or len(ids) > self._cache.max_len or weights != self._weights:
            self._cache = model.new_cache(1, min(model.cfg.context, max(256, 2 * len(ids))))
            self._read, self._weights = [], weights
        shared = 0
        for a, b in zip(self._read, ids[:-1], strict=False):  # the last id must be read again
            if a != b:
                break
            shared += 1
        self._cache.crop(shared)
        self._read = ids[:shared]  # what the cache holds, even if the forward below fails
        was_training = model.training
        model.eval()
        try:
            device = model.tok_emb.weight.device
            new = torch.tensor([ids[shared:]], dtype=torch.long, device=device)
            logits, _ = model(new, cache=self._cache, only_last=True)
        finally:
            model.train(was_training)
        self._read = list(ids)
        return logits[0, -1].float().cpu()
