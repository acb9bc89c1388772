"""A character-level tokenizer: one token per character, the vocabulary read off a training text.

    tok = CharTokenizer.from_text(train_text)      # 77 characters on our Shakespeare train split
    ids = tok.encode("To be, or not")              # torch.long tensor, shape (13,)
    tok.decode(ids)                                # "To be, or not"

Ids follow the sorted order of the characters (so "\\n" is 0 and " " is 1 on Shakespeare), as in
nanoGPT's shakespeare_char. A character that the training text never contained has no id: encoding
it raises a ValueError naming the character and where it is, rather than mapping it to some
"unknown" id that the model never saw in training. Our validation plays use only characters that
also occur in the training plays, so nothing is lost there (tests/pretraining/test_trainer.py checks
it).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import torch

from helpers import data


class CharTokenizer:
    """Maps each character of a fixed alphabet to an id in [0, vocab_size) and back."""

    def __init__(self, chars: str):
        if not isinstance(chars, str) or not chars:
            raise ValueError(f"chars must be a non-empty string, got {chars!r:.60}")
        if len(set(chars)) != len(chars):
            raise ValueError("chars must not repeat a character")
        self.chars = chars
        self._points = np.array([ord(c) for c in chars], dtype=np.int64)

    @classmethod
    def from_text(cls, text: str) -> CharTokenizer:
        """The tokenizer whose alphabet is every character of `text`, sorted."""
        if not isinstance(text, str) or not text:
            raise ValueError("text must be a non-empty string")
        return cls("".join(sorted(set(text))))

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> torch.Tensor:
        """`text` -> ids, a torch.long tensor of shape (len(text),)."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        # A lookup table indexed by code point: 30x faster than a dict per character on 4M chars.
        points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        table = np.full(max(self._points.max(), points.max(initial=0)) + 1, -1, dtype=np.int64)
        table[self._points] = np.arange(self.vocab_size)
        ids = table[points]
        if (ids < 0).any():
            where = int(np.argmax(ids < 0))
            raise ValueError(
                f"text holds the character {text[where]!r} (at index {where}), which is not in "
                f"this tokenizer's {self.vocab_size}-character alphabet: remove or replace it"
            )
        return torch.from_numpy(ids)

    def decode(self, ids: torch.Tensor | list[int]) -> str:
        """ids (N,) -> the text they stand for."""
        ids = ids.tolist() if isinstance(ids, torch.Tensor) else list(ids)
        bad = [i for i in ids if not isinstance(i, int) or not 0 <= i < self.vocab_size]
        if bad:
            raise ValueError(f"ids must be ints in [0, {self.vocab_size}), got {bad[0]!r}")
        return "".join(self.chars[i] for i in ids)


@cache
def shakespeare_tokenizer() -> CharTokenizer:
    """The tokenizer of our Shakespeare training split (77 characters)."""
    return CharTokenizer.from_text(data.load_text("shakespeare", "train"))


def shakespeare_tokens(split: str) -> torch.Tensor:
    """The "train" or "valid" split of Shakespeare as ids (N,), with the training alphabet."""
    if split not in ("train", "valid"):
        raise ValueError(f"split must be 'train' or 'valid', got {split!r}")
    return shakespeare_tokenizer().encode(data.load_text("shakespeare", split))
