"""Pre-splitting text before byte-pair encoding: regex chunks and special-token boundaries.

BPE never merges across a chunk boundary. GPT-2 and GPT-4 cut text into words, numbers,
punctuation runs and whitespace with a regex; special tokens such as `<|endoftext|>` cut it too,
since they mark where one document ends and the next begins.
"""

from __future__ import annotations

from collections.abc import Iterable

import regex

from helpers.tokens import encodings


def _official_patterns() -> dict[str, str]:
    """GPT-2's and GPT-4's (cl100k) pre-splitting regexes, exactly as tiktoken defines them."""
    return {
        "gpt2": encodings.get_encoding("gpt2")._pat_str,
        "gpt4": encodings.get_encoding("cl100k_base")._pat_str,
    }


PATTERNS = _official_patterns()


def resolve_pattern(pattern: str | None) -> str | None:
    """The regex for `pattern`: None (no pre-splitting), "gpt2", "gpt4" or a regex string."""
    if pattern is None or pattern in PATTERNS:
        return PATTERNS.get(pattern) if pattern else None
    if not isinstance(pattern, str):
        raise TypeError(f"pattern must be None, 'gpt2', 'gpt4' or a regex string, got {pattern!r}")
    try:
        regex.compile(pattern)
    except regex.error as err:
        raise ValueError(f"pattern is not a valid regex: {err}") from None
    return pattern


def check_text(text: object, name: str = "text") -> str:
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str, got {type(text).__name__}")
    return text


def check_special_tokens(special_tokens: object) -> list[str]:
    """The special tokens as a list of distinct, non-empty strings, in the order given."""
    if isinstance(special_tokens, str) or not isinstance(special_tokens, Iterable):
        raise TypeError(
            f"special_tokens must be an iterable of strings, got {type(special_tokens).__name__}"
        )
    tokens = list(special_tokens)
    bad = [s for s in tokens if not isinstance(s, str) or not s]
    if bad:
        raise ValueError(f"special_tokens must be non-empty strings, got {bad[0]!r}")
    if len(set(tokens)) != len(tokens):
        raise ValueError(f"special_tokens must be distinct, got {tokens}")
    return tokens


def special_splitter(special_tokens: Iterable[str]) -> regex.Pattern | None:
    """A regex that finds special tokens, the longest first where one starts another (as
    tiktoken does: `<|a|><|b|>` wins over `<|a|>` when both are special). None if there are none."""
    tokens = sorted(set(special_tokens), key=lambda s: (-len(s), s))
    if not tokens:
        return None
    return regex.compile("(" + "|".join(regex.escape(s) for s in tokens) + ")")


def split_at_special(text: str, special_tokens: Iterable[str]) -> list[str]:
    """The pieces of text between special tokens (the special tokens themselves dropped)."""
    splitter = special_splitter(special_tokens)
    if splitter is None:
        return [text]
    return splitter.split(text)[::2]


def chunks(text: str, pattern: str | None) -> list[str]:
    """Split text into the pieces BPE works on separately (the whole text without a pattern)."""
    if pattern is None:
        return [text] if text else []
    return regex.findall(pattern, text)


def training_chunks(
    text: str, pattern: str | None, special_tokens: Iterable[str] = ()
) -> list[str]:
    """The chunks BPE learns from: text cut at special tokens, then each piece by the pattern."""
    return [c for piece in split_at_special(text, special_tokens) for c in chunks(piece, pattern)]
