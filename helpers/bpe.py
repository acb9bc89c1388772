"""Byte-level byte-pair encoding (BPE), trained from scratch or loaded from tiktoken's rank files.

Text is split into chunks by a regex (GPT-2's or GPT-4's pattern, optional), each chunk is turned
into UTF-8 bytes, and learned merges join adjacent tokens into longer ones, earliest merge first.

    tok = BPETokenizer.train(text, vocab_size=512, pattern="gpt2")
    tok.decode(tok.encode("To be, or not to be")) == "To be, or not to be"
    gpt2 = from_tiktoken("gpt2")   # tiktoken's ranks as our merges: identical ids

Training tie-breaking: at each step the most frequent adjacent pair is merged; among pairs with the
same count, the smallest pair of ids (compared as tuples) wins. The fast trainer and the
straightforward one (`train_naive`) follow the same rule and learn the same merges.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import regex

from helpers import encodings


def _official_patterns() -> dict[str, str]:
    """GPT-2's and GPT-4's (cl100k) pre-splitting regexes, exactly as tiktoken defines them."""
    return {
        "gpt2": encodings.get_encoding("gpt2")._pat_str,
        "gpt4": encodings.get_encoding("cl100k_base")._pat_str,
    }


PATTERNS = _official_patterns()
Pair = tuple[int, int]


def _resolve_pattern(pattern: str | None) -> str | None:
    if pattern is None or pattern in PATTERNS:
        return PATTERNS.get(pattern) if pattern else None
    if not isinstance(pattern, str):
        raise TypeError(f"pattern must be None, 'gpt2', 'gpt4' or a regex string, got {pattern!r}")
    try:
        regex.compile(pattern)
    except regex.error as err:
        raise ValueError(f"pattern is not a valid regex: {err}") from None
    return pattern


def _check_text(text: object, name: str = "text") -> str:
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str, got {type(text).__name__}")
    return text


def chunks(text: str, pattern: str | None) -> list[str]:
    """Split text into the pieces BPE works on separately (the whole text without a pattern)."""
    if pattern is None:
        return [text] if text else []
    return regex.findall(pattern, text)


def pair_counts(ids_and_counts: Iterable[tuple[Sequence[int], int]]) -> Counter[Pair]:
    """How often each adjacent pair occurs, weighting each sequence by its count."""
    counts: Counter[Pair] = Counter()
    for ids, n in ids_and_counts:
        for pair in zip(ids, ids[1:], strict=False):
            counts[pair] += n
    return counts


def merge(ids: Sequence[int], pair: Pair, new_id: int) -> list[int]:
    """Replace every occurrence of `pair` in `ids`, left to right, by `new_id`."""
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def _best(counts: Counter[Pair]) -> Pair:
    """The most frequent pair; ties go to the smallest pair."""
    return min(counts, key=lambda p: (-counts[p], p))


def _check_training_args(text: object, vocab_size: object) -> str:
    text = _check_text(text)
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int):
        raise TypeError(f"vocab_size must be an int, got {type(vocab_size).__name__}")
    if vocab_size < 256:
        raise ValueError(f"vocab_size must be >= 256 (the 256 byte tokens), got {vocab_size}")
    if not text:
        raise ValueError("text must not be empty: there is nothing to learn merges from")
    return text


def train_naive(text: str, vocab_size: int, pattern: str | None = None) -> list[Pair]:
    """The straightforward algorithm: recount every pair of the whole text after each merge.

    Returns the merges in order (merge i creates id 256 + i). Slow; kept as the reference.
    """
    text = _check_training_args(text, vocab_size)
    sequences = [list(c.encode("utf-8")) for c in chunks(text, _resolve_pattern(pattern))]
    merges = []
    for new_id in range(256, vocab_size):
        counts = pair_counts((s, 1) for s in sequences)
        if not counts:
            break
        pair = _best(counts)
        sequences = [merge(s, pair, new_id) for s in sequences]
        merges.append(pair)
    return merges


def train_fast(text: str, vocab_size: int, pattern: str | None = None) -> list[Pair]:
    """The same merges as `train_naive`, much faster.

    Two ideas: work on the distinct chunks with their counts (a word repeated 1,000 times is
    merged once), and keep the pair counts up to date incrementally, touching only the chunks
    that contain the merged pair, with a heap to find the most frequent pair.
    """
    text = _check_training_args(text, vocab_size)
    distinct = Counter(chunks(text, _resolve_pattern(pattern)))
    words = [list(c.encode("utf-8")) for c in distinct]
    freq = list(distinct.values())
    counts: Counter[Pair] = Counter()
    where: defaultdict[Pair, set[int]] = defaultdict(set)
    for w, ids in enumerate(words):
        for pair in zip(ids, ids[1:], strict=False):
            counts[pair] += freq[w]
            where[pair].add(w)
    heap = [(-n, pair) for pair, n in counts.items()]
    heapq.heapify(heap)
    merges: list[Pair] = []
    for new_id in range(256, vocab_size):
        while heap and (counts.get(heap[0][1], 0) != -heap[0][0] or heap[0][0] == 0):
            heapq.heappop(heap)  # a stale entry: that pair's count has changed since
        if not heap:
            break
        pair = heapq.heappop(heap)[1]
        merges.append(pair)
        changed: set[Pair] = set()
        for w in where.pop(pair):
            old = words[w]
            new = merge(old, pair, new_id)
            if len(new) == len(old):
                continue
            for p in zip(old, old[1:], strict=False):
                counts[p] -= freq[w]
                changed.add(p)
            for p in zip(new, new[1:], strict=False):
                counts[p] += freq[w]
                where[p].add(w)
                changed.add(p)
            words[w] = new
        counts.pop(pair, None)
        for p in changed:
            if counts.get(p, 0) > 0:
                heapq.heappush(heap, (-counts[p], p))
            else:
                counts.pop(p, None)
    return merges


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
        self.pattern = _resolve_pattern(pattern)
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
    ) -> BPETokenizer:
        """Learn vocab_size - 256 merges from text; special tokens get the ids after them."""
        merges = train_fast(text, vocab_size, pattern)
        specials = {s: 256 + len(merges) + i for i, s in enumerate(special_tokens)}
        return cls({pair: 256 + i for i, pair in enumerate(merges)}, pattern, specials)

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
        text = _check_text(text)
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
        text = _check_text(text)
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
        if not allowed:
            return self.encode_ordinary(text)
        splitter = regex.compile("(" + "|".join(regex.escape(s) for s in sorted(allowed)) + ")")
        ids: list[int] = []
        for part in splitter.split(text):
            if part in allowed:
                ids.append(self.special_tokens[part])
            elif part:
                ids.extend(self.encode_ordinary(part))
        return ids

    def decode_bytes(self, ids: Iterable[int]) -> bytes:
        return b"".join(self.token_bytes(i) for i in ids)

    def decode(self, ids: Iterable[int]) -> str:
        """Text of the ids; bytes that are not valid UTF-8 become U+FFFD, as in tiktoken."""
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

    def merge_steps(self, text: str) -> list[tuple[Pair | None, list[int]]]:
        """How `text` (one chunk, no pre-splitting) is built up: (pair merged, ids after) per step,
        starting with (None, the byte ids)."""
        ids = [self.byte_ids[b] for b in _check_text(text).encode("utf-8")]
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
