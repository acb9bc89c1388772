"""n-gram counts as sorted integer arrays, the storage behind helpers.counting.ngram.NGramLM.

Tokens are integer ids 0..V-1 and an n-gram (t1, ..., tn) is one int64, its mixed-radix code
t1 * V^(n-1) + ... + tn. Sorting the codes sorts the n-grams by their contexts, so

- the followers of a context c are the codes in [c * V, c * V + V) (one np.searchsorted),
- the context of every n-gram is code // V and comes out sorted: its totals are np.add.reduceat
  over runs, and
- the suffix (t2, ..., tn) is code % V^(n-1): the Kneser-Ney continuation count of a suffix is
  how many distinct n-grams end in it, an np.unique.

Each table is two arrays (keys, values), about 16 bytes an n-gram where a dict of string tuples
takes about 200.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np


class CountTable:
    """Sorted int64 keys and their int64 values, looked up with np.searchsorted."""

    def __init__(self, keys: np.ndarray, values: np.ndarray):
        self.keys, self.values = keys, values

    def __len__(self) -> int:
        return len(self.keys)

    def get(self, codes: np.ndarray) -> np.ndarray:
        """Values of `codes` (any shape), 0 where a code is absent."""
        if not len(self.keys):
            return np.zeros(np.shape(codes), dtype=np.int64)
        at = np.minimum(np.searchsorted(self.keys, codes), len(self.keys) - 1)
        return np.where(self.keys[at] == codes, self.values[at], 0)

    def span(self, low: int, high: int) -> tuple[np.ndarray, np.ndarray]:
        """(keys, values) of the keys in [low, high)."""
        lo, hi = np.searchsorted(self.keys, [low, high])
        return self.keys[lo:hi], self.values[lo:hi]

    @classmethod
    def tally(cls, codes: np.ndarray) -> CountTable:
        """How often each distinct code occurs."""
        keys, counts = np.unique(codes, return_counts=True)
        return cls(keys, counts.astype(np.int64))

    def by_prefix(self, radix: int) -> tuple[CountTable, CountTable]:
        """Per prefix (key // radix): the total of the values and the number of keys."""
        prefix = self.keys // radix
        if not len(prefix):
            empty = np.zeros(0, dtype=np.int64)
            return CountTable(empty, empty), CountTable(empty, empty)
        starts = np.flatnonzero(np.r_[True, prefix[1:] != prefix[:-1]])
        totals = np.add.reduceat(self.values, starts)
        types = np.diff(np.r_[starts, len(prefix)])
        return CountTable(prefix[starts], totals), CountTable(prefix[starts], types)


def encode(ids: np.ndarray, radix: int) -> np.ndarray:
    """Codes of the rows of `ids`, shape (N, n) -> (N,); the empty tuple (n = 0) is code 0."""
    code = np.zeros(len(ids), dtype=np.int64)
    for column in range(ids.shape[1]):
        code = code * radix + ids[:, column]
    return code


class NGramCounts:
    """Every n-gram of orders 1..order of padded sentences, and what Kneser-Ney derives from them.

    stream: the token ids of all padded sentences one after the other, shape (T,);
    sentence: which sentence each position belongs to, shape (T,), non-decreasing.
    Tables, indexed by the number of tokens m in their keys:
      counts[n]              n-gram -> count
      context_total[m]       context -> total count of the (m+1)-grams that extend it
      followers[m]           context -> number of distinct tokens seen after it
      continuation[m]        m-gram -> number of distinct tokens seen before it (m >= 1)
      continuation_total[m]  context -> sum of the continuation counts of its extensions
      continuation_followers[m]  context -> number of extensions with a continuation count
    """

    def __init__(self, stream: np.ndarray, sentence: np.ndarray, vocab_size: int, order: int):
        if vocab_size**order >= 2**63:
            raise ValueError(
                f"order {order} with {vocab_size:,} tokens needs codes above 2**63: "
                "lower the order or raise min_count"
            )
        self.radix, self.order = vocab_size, order
        self.counts: dict[int, CountTable] = {}
        for n in range(1, order + 1):
            starts = np.flatnonzero(sentence[: len(sentence) - n + 1] == sentence[n - 1 :])
            code = np.zeros(len(starts), dtype=np.int64)
            for j in range(n):  # encode() on the windows, without building them
                code = code * vocab_size + stream[starts + j]
            self.counts[n] = CountTable.tally(code)
        self.context_total, self.followers = {}, {}
        for n in range(1, order + 1):
            self.context_total[n - 1], self.followers[n - 1] = self.counts[n].by_prefix(vocab_size)
        self.continuation, self.continuation_total, self.continuation_followers = {}, {}, {}
        for n in range(2, order + 1):  # an n-gram is a left extension of its (n-1)-token suffix
            suffixes = self.counts[n].keys % vocab_size ** (n - 1)
            self.continuation[n - 1] = CountTable.tally(suffixes)
            self.continuation_total[n - 2], self.continuation_followers[n - 2] = self.continuation[
                n - 1
            ].by_prefix(vocab_size)

    def follower_vector(self, table: CountTable, context_code: int) -> np.ndarray:
        """The values of `table` for (context, w), for every token w at once, shape (V,)."""
        vector = np.zeros(self.radix)
        low = context_code * self.radix
        keys, values = table.span(low, low + self.radix)
        vector[keys - low] = values
        return vector


class TupleView(Mapping):
    """A read-only dict view of count tables, keyed by tuples of token strings (as the dicts of
    earlier versions were): view[("my", "lord")], view.get(context, 0), set(view)."""

    def __init__(self, tables: dict[int, CountTable], vocab: list[str], index: dict[str, int]):
        self._tables, self._vocab, self._index = tables, vocab, index

    def __getitem__(self, gram: tuple[str, ...]) -> int:
        table = self._tables.get(len(gram)) if isinstance(gram, tuple) else None
        if table is None or not all(t in self._index for t in gram):
            raise KeyError(gram)
        ids = np.array([[self._index[t] for t in gram]], dtype=np.int64).reshape(1, len(gram))
        value = int(table.get(encode(ids, len(self._vocab)))[0])
        if not value:
            raise KeyError(gram)
        return value

    def __iter__(self) -> Iterator[tuple[str, ...]]:
        radix = len(self._vocab)
        for n, table in self._tables.items():
            digits = [(table.keys // radix**p) % radix for p in range(n - 1, -1, -1)]
            words = [np.array(self._vocab, dtype=object)[d] for d in digits]
            yield from zip(*words, strict=True) if n else [()] * len(table)

    def __len__(self) -> int:
        return sum(len(table) for table in self._tables.values())
