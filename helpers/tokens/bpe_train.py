"""Learning byte-pair merges: the straightforward algorithm and a fast one with the same result.

At each step the most frequent adjacent pair of tokens is merged into a new token. When several
pairs are equally frequent, implementations differ; `tie_break` chooses the rule:

- "smallest" (ours): the smallest pair of ids, compared as tuples;
- "first" (Karpathy's minbpe): the pair that occurs first in the text;
- "greatest" (Stanford CS336's reference): the greatest pair of byte strings
  (vocab[a], vocab[b]), compared lexicographically.

Merge i creates id 256 + i. Training text is cut at special tokens first (document boundaries)
and then by the pre-splitting pattern; no merge crosses a cut.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from helpers.tokens.pretokenize import (
    check_special_tokens,
    check_text,
    resolve_pattern,
    training_chunks,
)

Pair = tuple[int, int]
TIE_BREAKS = ("smallest", "first", "greatest")


def pair_counts(ids_and_counts: Iterable[tuple[Sequence[int], int]]) -> Counter[Pair]:
    """How often each adjacent pair occurs, weighting each sequence by its count. The Counter
    keeps the order in which pairs first occur."""
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


def _check_training_args(
    text: object, vocab_size: object, special_tokens: object, tie_break: object
) -> tuple[str, list[str]]:
    text = check_text(text)
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int):
        raise TypeError(f"vocab_size must be an int, got {type(vocab_size).__name__}")
    if vocab_size < 256:
        raise ValueError(f"vocab_size must be >= 256 (the 256 byte tokens), got {vocab_size}")
    if not text:
        raise ValueError("text must not be empty: there is nothing to learn merges from")
    if tie_break not in TIE_BREAKS:
        raise ValueError(f"tie_break must be one of {TIE_BREAKS}, got {tie_break!r}")
    return text, check_special_tokens(special_tokens)


def train_naive(
    text: str,
    vocab_size: int,
    pattern: str | None = None,
    special_tokens: Iterable[str] = (),
    tie_break: str = "smallest",
) -> list[Pair]:
    """The straightforward algorithm: recount every pair of the whole text after each merge.

    Returns the merges in order (merge i creates id 256 + i). Slow; kept as the reference.
    """
    text, specials = _check_training_args(text, vocab_size, special_tokens, tie_break)
    sequences = [
        list(c.encode("utf-8")) for c in training_chunks(text, resolve_pattern(pattern), specials)
    ]
    vocab = {i: bytes([i]) for i in range(256)}
    merges = []
    for new_id in range(256, vocab_size):
        counts = pair_counts((s, 1) for s in sequences)
        if not counts:
            break
        if tie_break == "smallest":
            pair = min(counts, key=lambda p: (-counts[p], p))
        elif tie_break == "first":
            pair = max(counts, key=counts.__getitem__)  # max keeps the first of equals
        else:
            pair = max(counts, key=lambda p: (counts[p], vocab[p[0]], vocab[p[1]]))
        sequences = [merge(s, pair, new_id) for s in sequences]
        vocab[new_id] = vocab[pair[0]] + vocab[pair[1]]
        merges.append(pair)
    return merges


class _Descending:
    """Wraps a value so that a min-heap pops the greatest first."""

    __slots__ = ("value",)

    def __init__(self, value: tuple[bytes, bytes]):
        self.value = value

    def __lt__(self, other: _Descending) -> bool:
        return self.value > other.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.value == other.value


# Inside the fast trainer a pair (a, b) is one int, a << 32 | b: cheaper to hash than a tuple,
# and ordered like the tuple.
_SHIFT = 32
_LOW = (1 << _SHIFT) - 1


class _TokenList:
    """The training text as doubly linked lists of tokens, one list per distinct chunk, laid out
    one after another in the order the chunks first occur.

    A token is named by the position of its first byte, which never changes: merging the pair at
    (i, next[i]) keeps the token at i and unlinks the one after it (its id becomes -1).
    `where[code]` lists the positions at which the pair has started, so a merge touches only its
    own occurrences. Entries are never removed from it; a merge checks each one and skips those
    that no longer hold the pair (a pair never comes back at a position: a changed token always
    gets a fresh id)."""

    def __init__(self, chunk_counts: Counter[str]):
        data = [chunk.encode("utf-8") for chunk in chunk_counts]
        lengths = np.array([len(d) for d in data], dtype=np.int64)
        token = np.frombuffer(b"".join(data), dtype=np.uint8).astype(np.int64)
        weight = np.repeat(np.array(list(chunk_counts.values()), dtype=np.int64), lengths)
        ends = np.cumsum(lengths)
        nxt = np.arange(1, len(token) + 1)
        nxt[ends - 1] = -1  # no pair across chunks
        prv = np.arange(-1, len(token) - 1)
        prv[ends - lengths] = -1
        # Every pair at once: its code, its count, and the positions where it starts.
        starts = np.flatnonzero(nxt != -1)
        codes = token[starts] << _SHIFT | token[starts + 1]
        unique, inverse = np.unique(codes, return_inverse=True)
        totals = np.bincount(inverse, weights=weight[starts]).astype(np.int64)
        by_pair = starts[np.argsort(inverse, kind="stable")]
        groups = np.split(by_pair, np.cumsum(np.bincount(inverse))[:-1]) if len(starts) else []
        self.counts: Counter[int] = Counter(
            dict(zip(unique.tolist(), totals.tolist(), strict=True))
        )
        self.where: defaultdict[int, list[int]] = defaultdict(list)
        self.where.update(zip(unique.tolist(), (g.tolist() for g in groups), strict=True))
        self.token, self.weight = token.tolist(), weight.tolist()
        self.next, self.prev = nxt.tolist(), prv.tolist()

    def first_position(self, code: int) -> int:
        """Where the pair occurs first (positions follow the text's order)."""
        token, nxt = self.token, self.next
        return min(
            i
            for i in self.where[code]
            if nxt[i] != -1 and token[i] << _SHIFT | token[nxt[i]] == code
        )

    def merge(self, code: int, new_id: int) -> set[int]:
        """Merge each occurrence of the pair, left to right. Returns the new pairs (those holding
        new_id): the only pairs whose counts went up; every other count can only have gone down.

        The bookkeeping is written out inline: this loop is the trainer's hot path, run once for
        every token that a merge removes."""
        a, b = code >> _SHIFT, code & _LOW
        token, nxt, prv = self.token, self.next, self.prev
        weight, counts, where = self.weight, self.counts, self.where
        new_left, new_right = new_id, new_id << _SHIFT
        created: set[int] = set()
        for i in sorted(where.pop(code, ())):
            j = nxt[i]
            # Skip an outdated entry, or an occurrence an earlier merge of this pass used up
            # ("aaa" has two overlapping ("a", "a") pairs but only one can merge).
            if token[i] != a or j == -1 or token[j] != b:
                continue
            w, p, n = weight[i], prv[i], nxt[j]
            if p != -1:
                high = token[p] << _SHIFT
                counts[high | a] -= w
                counts[high | new_left] += w
                where[high | new_left].append(p)
                created.add(high | new_left)
            if n != -1:
                right = b << _SHIFT | token[n]
                if right != code:
                    counts[right] -= w
                right = new_right | token[n]
                counts[right] += w
                where[right].append(i)
                created.add(right)
                prv[n] = i
            token[i], nxt[i], token[j] = new_id, n, -1
        del counts[code]
        return created


def train_fast(
    text: str,
    vocab_size: int,
    pattern: str | None = None,
    special_tokens: Iterable[str] = (),
    tie_break: str = "smallest",
) -> list[Pair]:
    """The same merges as `train_naive`, much faster, on any text, with or without a pattern.

    Three ideas: work on the distinct chunks with their counts (a word repeated 1,000 times is
    merged once); index where each pair occurs in linked lists of tokens, so a merge touches only
    its own occurrences and updates the counts of their neighbours; and find the most frequent
    pair with a heap in which a count that went down is corrected only when it comes to the top.
    """
    text, specials = _check_training_args(text, vocab_size, special_tokens, tie_break)
    tokens = _TokenList(Counter(training_chunks(text, resolve_pattern(pattern), specials)))
    vocab = {i: bytes([i]) for i in range(256)}

    def key(code: int) -> object:
        if tie_break == "greatest":
            return _Descending((vocab[code >> _SHIFT], vocab[code & _LOW]))
        return code

    heap = [(-n, key(c), c) for c, n in tokens.counts.items() if n > 0]
    heapq.heapify(heap)
    merges: list[Pair] = []
    for new_id in range(256, vocab_size):
        code = _pop_best(heap, tokens, first=tie_break == "first", key=key)
        if code is None:
            break
        merges.append((code >> _SHIFT, code & _LOW))
        vocab[new_id] = vocab[code >> _SHIFT] + vocab[code & _LOW]
        counts = tokens.counts
        for c in tokens.merge(code, new_id):
            if counts[c] > 0:
                heapq.heappush(heap, (-counts[c], key(c), c))
    return merges


def _pop_best(
    heap: list, tokens: _TokenList, first: bool, key: Callable[[int], object]
) -> int | None:
    """Pop the most frequent pair (ties broken by the heap's key, or by first occurrence).

    An entry can only overstate its pair's count (counts go up only for new pairs, which get a
    fresh entry), so an outdated entry at the top is pushed back with the true count."""
    counts = tokens.counts
    while heap and counts.get(heap[0][2], 0) != -heap[0][0]:
        _, k, code = heapq.heappop(heap)
        if counts.get(code, 0) > 0:
            heapq.heappush(heap, (-counts[code], k, code))
    if not heap:
        return None
    if not first:
        return heapq.heappop(heap)[2]
    top, tied = heap[0][0], {}
    while heap and heap[0][0] == top:
        _, k, code = heapq.heappop(heap)
        if counts.get(code, 0) == -top:
            tied[code] = tokens.first_position(code)
        elif counts.get(code, 0) > 0:
            heapq.heappush(heap, (-counts[code], k, code))
    best = min(tied, key=tied.__getitem__)
    for code in tied:
        if code != best:
            heapq.heappush(heap, (top, key(code), code))
    return best
