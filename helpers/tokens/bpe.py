"""Byte-level byte-pair encoding (BPE), trained from scratch or loaded from tiktoken's rank files.

Text is split into chunks by a regex (GPT-2's or GPT-4's pattern, optional), each chunk is turned
into UTF-8 bytes, and learned merges join adjacent tokens into longer ones, earliest merge first.

    tok = BPETokenizer.train(text, vocab_size=512, pattern="gpt2")
    tok.decode(tok.encode("To be, or not to be")) == "To be, or not to be"
    gpt2 = from_tiktoken("gpt2")   # tiktoken's ranks as our merges: identical ids

Training lives in `helpers.tokens.bpe_train` (the fast trainer and the straightforward one, with a
choice of tie rule), pre-splitting in `helpers.tokens.pretokenize`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import regex

from helpers.tokens import encodings
from helpers.tokens.bpe_train import TIE_BREAKS, Pair, merge, pair_counts, train_fast, train_naive
from helpers.tokens.pretokenize import (
    PATTERNS,
    check_special_tokens,
    check_text,
    chunks,
    resolve_pattern,
    special_splitter,
)

__all__ = [
    "PATTERNS",
    "TIE_BREAKS",
    "BPETokenizer",
    "chunks",
    "from_tiktoken",
    "merge",
    "pair_counts",
    "train_fast",
    "train_naive",
]


class BPETokenizer:
    """A byte-level BPE tokenizer: 256 byte tokens, learned merges, optional special tokens.

    `byte_ids[b]` is the id of the single byte b (b for a trained tokenizer; tiktoken's ranks
    permute them), `merges` maps a pair of ids to the id it becomes, and a smaller new id means an
    earlier merge.
    """

    def __init__(
        self,
        merges: dict[Pair, int],
        pattern: str | None = None,
        special_tokens: dict[str, int] | None = None,
        byte_ids: Sequence[int] | None = None,
    ):
        self.merges = dict(merges)
        self.pattern = resolve_pattern(pattern)
        self.special_tokens = dict(special_tokens or {})
        self.byte_ids = list(byte_ids) if byte_ids is not None else list(range(256))
        self.vocab: dict[int, bytes] = {i: bytes([b]) for b, i in enumerate(self.byte_ids)}
        for (a, b), new in sorted(self.merges.items(), key=lambda item: item[1]):
            self.vocab[new] = self.vocab[a] + self.vocab[b]
        self.inverse_special = {i: s for s, i in self.special_tokens.items()}
        self._compiled = regex.compile(self.pattern) if self.pattern else None

    @classmethod
    def train(
        cls,
        text: str,
        vocab_size: int,
        pattern: str | None = None,
        special_tokens: Iterable[str] = (),
        tie_break: str = "smallest",
    ) -> BPETokenizer:
        """Learn vocab_size - 256 merges from text; special tokens get the ids after them.

        Special tokens in the training text are document boundaries: no merge is learned from
        their bytes or across them. `tie_break` is "smallest", "first" or "greatest" (see
        `helpers.tokens.bpe_train`).
        """
        specials = check_special_tokens(special_tokens)
        merges = train_fast(text, vocab_size, pattern, specials, tie_break)
        ids = {s: 256 + len(merges) + i for i, s in enumerate(specials)}
        return cls({pair: 256 + i for i, pair in enumerate(merges)}, pattern, ids)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab) + len(self.special_tokens)

    def merge_list(self) -> list[tuple[Pair, int]]:
        """The merges in the order they were learned: [((a, b), new_id), ...]."""
        return sorted(self.merges.items(), key=lambda item: item[1])

    def token_bytes(self, token_id: int) -> bytes:
        """The bytes of one token (special tokens: their text as UTF-8)."""
        if token_id in self.inverse_special:
            return self.inverse_special[token_id].encode("utf-8")
        if token_id not in self.vocab:
            raise ValueError(
                f"token id {token_id} is not in the vocabulary (size {self.vocab_size})"
            )
        return self.vocab[token_id]

    def _encode_chunk(self, chunk: bytes) -> list[int]:
        ids = [self.byte_ids[b] for b in chunk]
        while len(ids) > 1:
            candidates = [
                (self.merges[p], p) for p in zip(ids, ids[1:], strict=False) if p in self.merges
            ]
            if not candidates:
                break
            new_id, pair = min(candidates)
            ids = merge(ids, pair, new_id)
        return ids

    def encode_ordinary(self, text: str) -> list[int]:
        """Encode text, treating special-token strings as ordinary text."""
        text = check_text(text)
        ids: list[int] = []
        pieces = self._compiled.findall(text) if self._compiled else ([text] if text else [])
        for piece in pieces:
            ids.extend(self._encode_chunk(piece.encode("utf-8")))
        return ids

    def encode(
        self,
        text: str,
        allowed_special: str | set[str] = frozenset(),
        disallowed_special: str | set[str] = "all",
    ) -> list[int]:
        """Encode text like tiktoken: special tokens in `allowed_special` become their ids; any
        in `disallowed_special` ("all" = every special token not allowed) raise ValueError; the
        rest are encoded as ordinary text."""
        text = check_text(text)
        allowed = set(self.special_tokens) if allowed_special == "all" else set(allowed_special)
        unknown = allowed - set(self.special_tokens)
        if unknown:
            raise ValueError(
                f"allowed_special names tokens this tokenizer lacks: {sorted(unknown)}"
            )
        disallowed = (
            set(self.special_tokens) - allowed
            if disallowed_special == "all"
            else set(disallowed_special)
        )
        found = [s for s in disallowed if s in text]
        if found:
            raise ValueError(
                f"text contains the special token {found[0]!r}, which is disallowed; pass "
                f"allowed_special={{{found[0]!r}}} to encode it as a special token, or "
                "disallowed_special=() to encode it as plain text"
            )
        splitter = special_splitter(allowed)
        if splitter is None:
            return self.encode_ordinary(text)
        ids: list[int] = []
        for part in splitter.split(text):
            if part in allowed:
                ids.append(self.special_tokens[part])
            elif part:
                ids.extend(self.encode_ordinary(part))
        return ids

    def encode_iterable(
        self,
        lines: Iterable[str],
        allowed_special: str | set[str] = frozenset(),
        disallowed_special: str | set[str] = "all",
        chunk_chars: int = 1 << 16,
    ) -> Iterator[int]:
        """Encode a long text given in pieces (the lines of a file, say), yielding its ids one by
        one, with memory bounded by about `chunk_chars` characters.

        The ids are exactly those of `encode("".join(lines), ...)`: the text is cut only where
        the GPT-2, GPT-4 and o200k patterns always split, after a newline that follows a
        non-space character and comes before a letter. Text with no such place (one very long
        line) is held until one comes. Without a pattern (one chunk) or with a custom one, no cut
        is known to be safe, and the text is encoded whole at the end.
        """
        if isinstance(lines, str) or not isinstance(lines, Iterable):
            raise TypeError(f"lines must be an iterable of str, got {type(lines).__name__}")
        if isinstance(chunk_chars, bool) or not isinstance(chunk_chars, int) or chunk_chars < 1:
            raise ValueError(f"chunk_chars must be a positive int, got {chunk_chars!r}")
        can_cut = _can_cut(self.pattern)
        longest_special = max(map(len, self.special_tokens), default=0)
        pending: list[str] = []
        size = 0
        for line in lines:
            pending.append(check_text(line, "each line"))
            size += len(line)
            if not can_cut or size < chunk_chars:
                continue
            buffer = "".join(pending)
            cut = _last_safe_cut(buffer, self.special_tokens, longest_special)
            if cut:
                yield from self.encode(buffer[:cut], allowed_special, disallowed_special)
                buffer = buffer[cut:]
            pending, size = [buffer], len(buffer)
        yield from self.encode("".join(pending), allowed_special, disallowed_special)

    def decode_bytes(self, ids: Iterable[int]) -> bytes:
        return b"".join(self.token_bytes(i) for i in ids)

    def decode(self, ids: Iterable[int]) -> str:
        """Text of the ids; bytes that are not valid UTF-8 become U+FFFD, as in tiktoken."""
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

    def merge_steps(self, text: str) -> list[tuple[Pair | None, list[int]]]:
        """How `text` (one chunk, no pre-splitting) is built up: (pair merged, ids after) per step,
        starting with (None, the byte ids)."""
        ids = [self.byte_ids[b] for b in check_text(text).encode("utf-8")]
        steps: list[tuple[Pair | None, list[int]]] = [(None, ids)]
        while True:
            candidates = [
                (self.merges[p], p) for p in zip(ids, ids[1:], strict=False) if p in self.merges
            ]
            if not candidates:
                return steps
            new_id, pair = min(candidates)
            ids = merge(ids, pair, new_id)
            steps.append((pair, ids))

    def save(self, path: str | Path) -> None:
        """A small text file: the pattern, the special tokens, then one merge per line."""
        lines = ["bpe v1", self.pattern or "", str(len(self.special_tokens))]
        lines += [f"{i} {s}" for s, i in self.special_tokens.items()]
        lines += [" ".join(map(str, self.byte_ids))]
        lines += [f"{a} {b} {new}" for (a, b), new in self.merge_list()]
        Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> BPETokenizer:
        lines = Path(path).read_text(encoding="utf-8").split("\n")
        if lines[0] != "bpe v1":
            raise ValueError(f"{path} is not a file written by BPETokenizer.save")
        n_special = int(lines[2])
        specials = {}
        for line in lines[3 : 3 + n_special]:
            i, s = line.split(" ", 1)
            specials[s] = int(i)
        byte_ids = [int(x) for x in lines[3 + n_special].split()]
        merges = {}
        for line in lines[4 + n_special :]:
            if line:
                a, b, new = map(int, line.split())
                merges[(a, b)] = new
        return cls(merges, lines[1] or None, specials, byte_ids)


# A cut after "<non-space>\n" and before a letter never changes the chunks of GPT-2's, GPT-4's
# or o200k's pattern: no piece of theirs runs from a newline into a letter, nor starts with a
# newline and holds more (GPT-2's "\s+(?!\S)" would, were the newline preceded by spaces).
_SAFE_CUT = regex.compile(r"(?<=\S\n)(?=\p{L})")


def _can_cut(pattern: str | None) -> bool:
    if pattern is None:
        return False
    return pattern in PATTERNS.values() or pattern == encodings.get_encoding("o200k_base")._pat_str


def _last_safe_cut(text: str, special_tokens: Iterable[str], longest_special: int) -> int:
    """The last position in text where a cut changes no chunk and splits no special token."""
    cuts = [m.start() for m in _SAFE_CUT.finditer(text)]
    for cut in reversed(cuts):
        window = text[max(0, cut - longest_special) : cut + longest_special]
        offset = max(0, cut - longest_special)
        spans = (
            (offset + m.start(), offset + m.end())
            for s in special_tokens
            for m in regex.finditer(regex.escape(s), window, overlapped=True)
        )
        if not any(start < cut < end for start, end in spans):
            return cut
    return 0


def _recover_merges(ranks: dict[bytes, int]) -> dict[Pair, int]:
    """tiktoken stores only token -> rank. Each multi-byte token was made by merging two earlier
    tokens; running BPE on its bytes with only the earlier ranks finds those two."""
    merges: dict[Pair, int] = {}
    for token, rank in sorted(ranks.items(), key=lambda item: item[1]):
        if len(token) == 1:
            continue
        parts = [bytes([b]) for b in token]
        while len(parts) > 2:
            best = min((ranks.get(parts[i] + parts[i + 1], rank), i) for i in range(len(parts) - 1))
            if best[0] >= rank:
                break
            i = best[1]
            parts[i : i + 2] = [parts[i] + parts[i + 1]]
        if len(parts) != 2:
            raise ValueError(f"cannot recover the merge that made token {token!r} (rank {rank})")
        merges[(ranks[parts[0]], ranks[parts[1]])] = rank
    return merges


def from_tiktoken(name: str) -> BPETokenizer:
    """Our tokenizer with the merges, pattern and special tokens of a tiktoken encoding.

    name: "gpt2", "r50k_base" or "cl100k_base" (o200k_base works too but is slow to load).
    """
    enc = encodings.get_encoding(name)
    ranks = enc._mergeable_ranks
    byte_ids = [ranks[bytes([b])] for b in range(256)]
    return BPETokenizer(_recover_merges(ranks), enc._pat_str, enc._special_tokens, byte_ids)
