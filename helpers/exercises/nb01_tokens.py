"""Exercises and review questions of notebook 01, tokens."""

from __future__ import annotations

from collections import Counter

from helpers.exercises.checking import Case, Exercise, MultipleChoice, NumericAnswer


def utf8_bytes(text):
    return list(text.encode("utf-8"))


def _bytes_cases() -> list[Case]:
    return [Case(("hi",)), Case(("",)), Case(("你好",)), Case(("café",)), Case(("🤖!",))]


def _diagnose_bytes(case: Case, expected, got) -> str | None:
    (text,) = case.args
    if isinstance(got, bytes | bytearray):
        return "that is a bytes object; return a list of ints: list(text.encode('utf-8'))."
    if got == list(text.encode("latin-1", errors="replace")) or got == list(
        text.encode("ascii", errors="replace")
    ):
        return (
            "that is a one-byte-per-character encoding (Latin-1 or ASCII), which cannot spell "
            "every character; UTF-8 uses 2 to 4 bytes beyond ASCII: text.encode('utf-8')."
        )
    if got in (list(text.encode("utf-16-le")), list(text.encode("utf-16"))):
        return "those are UTF-16 bytes (2 or 4 per character); ask for UTF-8: text.encode('utf-8')."
    if got == [ord(c) for c in text]:
        return (
            "those are code points (ord), not bytes: a character beyond ASCII takes 2 to 4 "
            "bytes in UTF-8. Use text.encode('utf-8')."
        )
    return "list(text.encode('utf-8')) gives the byte values 0-255."


def pair_counts(ids):
    counts = {}
    for pair in zip(ids, ids[1:], strict=False):
        counts[pair] = counts.get(pair, 0) + 1
    return counts


def _pair_cases() -> list[Case]:
    return [
        Case(([1, 2, 3, 4, 5],)),
        Case(([1, 2, 3],)),
        Case(([1, 2, 1, 2],)),
        Case(([5, 5, 5],), label="ids [5, 5, 5] (overlapping pairs count twice)"),
        Case(([7],)),
        Case(([],)),
    ]


def _diagnose_pairs(case: Case, expected, got) -> str | None:
    (ids,) = case.args
    if not isinstance(got, dict):
        return None
    if got == _pairs_without_overlap(ids):
        return (
            "pairs overlap when counting: [5, 5, 5] holds the pair (5, 5) twice (positions "
            "0-1 and 1-2). Only merging skips overlaps."
        )
    if got == dict(Counter(zip(ids[::2], ids[1::2], strict=False))):
        return (
            "you counted only the pairs that start at even positions: every position i "
            "(but the last) starts a pair (ids[i], ids[i + 1]), so pairs overlap."
        )
    if set(got) == set(expected) and set(got.values()) == {1}:
        return "count every occurrence: a pair that appears twice has count 2."
    if sum(got.values()) == len(ids) - 2 >= 0:
        return "one pair short: a list of n ids has n - 1 adjacent pairs (zip(ids, ids[1:]))."
    return "look at each adjacent pair (ids[i], ids[i + 1]) and count how often it occurs."


def _pairs_without_overlap(ids) -> dict:
    counts, i = {}, 0
    while i + 1 < len(ids):
        pair = (ids[i], ids[i + 1])
        counts[pair] = counts.get(pair, 0) + 1
        i += 2 if pair[0] == pair[1] else 1
    return counts


def merge(ids, pair, new_id):
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def _merge_cases() -> list[Case]:
    return [
        Case(([1, 2, 3, 1, 2], (1, 2), 99)),
        Case(([1, 1, 1], (1, 1), 7), label="ids [1, 1, 1], pair (1, 1), new_id 7 (overlap)"),
        Case(([1, 1, 1, 1], (1, 1), 7)),
        Case(([3, 4], (4, 3), 9), label="ids [3, 4], pair (4, 3) (not present), new_id 9"),
        Case(([], (1, 2), 5)),
        Case(
            ([11, 2, 1, 21, 1, 2], (1, 2), 99),
            label="ids [11, 2, 1, 21, 1, 2], pair (1, 2), new_id 99 (ids whose digits contain "
            "each other)",
        ),
    ]


def _merge_as_text(ids, pair, new_id) -> list[int]:
    """What replacing "a b" by "new_id" in the ids written as one string gives."""
    text = " ".join(map(str, ids)).replace(f"{pair[0]} {pair[1]}", str(new_id))
    return [int(t) for t in text.split()]


def _diagnose_merge(case: Case, expected, got) -> str | None:
    ids, pair, new_id = case.args
    if not isinstance(got, list):
        return None
    if got == _merge_as_text(ids, pair, new_id) != expected:
        return (
            "you replaced text in the ids written as a string: '11 2' contains '1 2', so "
            "pieces of different ids were merged. Compare the ids themselves, pair by pair."
        )
    if ids and got == expected[:-1]:
        return (
            "the last id is missing: when the loop stops at len(ids) - 1, append the final id "
            "if it was not part of a merge."
        )
    if pair[0] == pair[1] and len(got) >= len(expected):
        return "after merging a pair, skip both of its ids: [1, 1, 1] with (1, 1) gives [7, 1]."
    if len(got) < len(expected):
        return "the two ids of a merged pair cannot take part in another merge (no overlaps)."
    if len(got) > len(expected):
        return "replace *every* occurrence of the pair, scanning left to right."
    return "walk left to right; where (ids[i], ids[i + 1]) == pair, emit new_id and jump by 2."


def train_merges(ids, num_merges):
    merges = []
    for new_id in range(256, 256 + num_merges):
        counts = pair_counts(ids)
        if not counts:
            break
        best = min(counts, key=lambda p: (-counts[p], p))
        ids = merge(ids, best, new_id)
        merges.append(best)
    return merges


def _train_cases() -> list[Case]:
    def case(text: str, n: int) -> Case:
        return Case((list(text.encode()), n), label=f"the bytes of {text!r}, {n} merges")

    return [
        case("aaabdaaabac", 3),
        case("abab cdcd", 3),
        case("hello hello hello", 4),
        case("xy", 5),
        case("banana bandana", 4),
        case("cdcd abab", 2),  # competing pairs: the later (97, 98) is smaller than (99, 100)
    ]


def _diagnose_train(case: Case, expected, got) -> str | None:
    if not isinstance(got, list) or not got:
        return None
    ids = list(case.args[0])
    for k, (want, have) in enumerate(zip(expected, got, strict=False)):
        if want != have:
            counts = pair_counts(ids)
            if isinstance(have, tuple) and counts.get(have) == counts[want]:
                return (
                    f"merge {k} (counting from 0): {want} and {have} are equally frequent; ties "
                    "go to the smallest pair (min over (-count, pair)), not to the first seen or "
                    "the largest."
                )
            if isinstance(have, tuple) and any(i == 255 + k or i == 257 + k for i in have):
                return (
                    f"merge {k} refers to a token id that is off by one: merge k (counting from "
                    "0) creates id 256 + k, so the first new token is 256."
                )
            return "recount the pairs after every merge: merging changes which pairs are adjacent."
        ids = merge(ids, want, 256 + k)
    return "stop after num_merges merges, or earlier when no pairs are left."


def encode(text, merges):
    ids = list(text.encode("utf-8"))
    while len(ids) > 1:
        present = [p for p in zip(ids, ids[1:], strict=False) if p in merges]
        if not present:
            break
        pair = min(present, key=lambda p: merges[p])
        ids = merge(ids, pair, merges[pair])
    return ids


# Deliberately not in rank order: apply merges by rank, not in dict order.
MERGES = {(257, 258): 259, (32, 119): 260, (108, 111): 258, (256, 108): 257, (104, 101): 256}


def _encode_cases() -> list[Case]:
    label = "merges {(257, 258): 259, (32, 119): 260, (108, 111): 258, (256, 108): 257, ...}"
    return [
        Case(("hello", MERGES), label=f"'hello', {label}"),
        Case(("hello world", MERGES), label=f"'hello world', {label}"),
        Case(("lo", MERGES), label=f"'lo', {label}"),
        Case(("", MERGES), label=f"'', {label}"),
        Case(("éh", MERGES), label=f"'éh', {label}"),
        Case(
            ("abc", IN_ORDER),
            label="'abc', merges {(97, 98): 256, (98, 99): 257} (the pairs compete for the b)",
        ),
        Case(
            ("cab", LATER_FIRST),
            label="'cab', merges {(97, 98): 256, (99, 97): 257} (the pairs compete for the a)",
        ),
        Case(
            ("cab", SMALL_LAST),
            label="'cab', merges {(99, 97): 256, (97, 98): 257} (the pairs compete for the a)",
        ),
    ]


# Competing pairs, each dict in rank order. IN_ORDER: the lowest-ranked pair is the leftmost and
# the smallest; LATER_FIRST: it is not the leftmost; SMALL_LAST: it is not the smallest pair.
IN_ORDER = {(97, 98): 256, (98, 99): 257}
LATER_FIRST = {(97, 98): 256, (99, 97): 257}
SMALL_LAST = {(99, 97): 256, (97, 98): 257}


def _encode_by(text: str, merges: dict, choose) -> list[int]:
    """Encode, picking the pair to merge at each step with `choose(present pairs)`."""
    ids = list(text.encode("utf-8"))
    while True:
        present = [p for p in zip(ids, ids[1:], strict=False) if p in merges]
        if not present:
            return ids
        pair = choose(present)
        ids = merge(ids, pair, merges[pair])


def _diagnose_encode(case: Case, expected, got) -> str | None:
    text, merges = case.args
    single_pass = list(text.encode("utf-8"))
    for pair, new_id in merges.items():
        single_pass = merge(single_pass, pair, new_id)
    if got == single_pass != expected:
        return (
            "apply merges by rank, repeatedly: at each step merge the present pair with the "
            "smallest new id, until no mergeable pair is left."
        )
    if got == _encode_by(text, merges, lambda present: present[0]) != expected:
        return (
            "you merged the leftmost mergeable pair; merge the one learned first (the smallest "
            "new id), wherever it is."
        )
    if got == _encode_by(text, merges, min) != expected:
        return (
            "you merged the pair with the smallest ids; the order is the merge's rank (its new "
            "id, merges[pair]), not the ids of the pair."
        )
    if got == _encode_by(text, merges, lambda present: max(present, key=merges.get)) != expected:
        return "you merged the latest merge first: take the smallest new id (the earliest)."
    return "start from the UTF-8 bytes and apply the earliest available merge until none is left."


def decode(ids, vocab):
    return b"".join(vocab[i] for i in ids).decode("utf-8", errors="replace")


VOCAB = {**{b: bytes([b]) for b in range(256)}, 256: b"\xc3", 257: b"\xa9t", 258: b"\xe4\xbd"}


def _decode_cases() -> list[Case]:
    label = "vocab: the 256 bytes plus 256: b'\\xc3', 257: b'\\xa9t', 258: b'\\xe4\\xbd'"
    return [
        Case(([104, 105], VOCAB), label=f"ids [104, 105], {label}"),
        Case(([256, 257], VOCAB), label=f"ids [256, 257] (é split across tokens), {label}"),
        Case(([258], VOCAB), label=f"ids [258] (half a Chinese character), {label}"),
        Case(([], VOCAB), label=f"ids [], {label}"),
    ]


def _diagnose_decode(case: Case, expected, got) -> str | None:
    ids, vocab = case.args
    joined = b"".join(vocab[i] for i in ids)
    if got == joined.decode("latin-1"):
        return "decode the bytes as UTF-8 with errors='replace', not as Latin-1."
    if got == joined.decode("utf-8", errors="ignore"):
        return "errors='ignore' drops invalid bytes silently; errors='replace' shows them as �."
    if got == "".join(chr(i) for i in ids):
        return (
            "chr(id) treats an id as a character; an id names a token: look up its bytes in "
            "vocab, join them, then decode."
        )
    if got == "".join(vocab[i].decode("utf-8", errors="replace") for i in ids):
        return (
            "join all the bytes first, then decode once: a character's bytes can be split "
            "across tokens."
        )
    return "b''.join(vocab[i] for i in ids).decode('utf-8', errors='replace')."


EXERCISES = [
    Exercise(
        "01.1",
        "text to UTF-8 bytes",
        utf8_bytes,
        _bytes_cases,
        hints=["str.encode('utf-8') returns bytes; list(...) of bytes gives ints 0-255."],
        diagnose=_diagnose_bytes,
    ),
    Exercise(
        "01.2",
        "count adjacent pairs",
        pair_counts,
        _pair_cases,
        hints=[
            "zip(ids, ids[1:]) yields the adjacent pairs.",
            "Count them in a dict: counts[pair] = counts.get(pair, 0) + 1.",
        ],
        diagnose=_diagnose_pairs,
    ),
    Exercise(
        "01.3",
        "merge one pair",
        merge,
        _merge_cases,
        hints=[
            "Use an index i and a while loop, so you can jump over a merged pair.",
            "If (ids[i], ids[i + 1]) == pair: append new_id, i += 2; else append ids[i].",
        ],
        diagnose=_diagnose_merge,
    ),
    Exercise(
        "01.4",
        "the BPE training loop",
        train_merges,
        _train_cases,
        hints=[
            "Loop num_merges times: count pairs, pick the best, merge it everywhere.",
            "Best = highest count; ties go to the smallest pair: "
            "min(counts, key=lambda p: (-counts[p], p)).",
            "The k-th merge creates id 256 + k.",
        ],
        diagnose=_diagnose_train,
    ),
    Exercise(
        "01.5",
        "encode with learned merges",
        encode,
        _encode_cases,
        hints=[
            "Start from list(text.encode('utf-8')).",
            "Among adjacent pairs that are in merges, merge the one with the smallest "
            "new id; repeat until none is left.",
        ],
        diagnose=_diagnose_encode,
    ),
    Exercise(
        "01.6",
        "decode ids to text",
        decode,
        _decode_cases,
        hints=[
            "Concatenate the bytes of all tokens, then decode once.",
            "errors='replace' turns invalid UTF-8 into the character U+FFFD.",
        ],
        diagnose=_diagnose_decode,
    ),
    MultipleChoice(
        id="01.q1",
        question="Why do GPT-2 and later models run BPE on bytes rather than on characters or "
        "words?",
        options={
            "a": "Bytes are faster to read from disk.",
            "b": "Any text is a sequence of the 256 possible bytes, so no input is ever "
            "out of vocabulary.",
            "c": "Bytes make every token exactly one letter.",
        },
        answer="b",
        explanations={
            "a": "Disk speed has nothing to do with it.",
            "b": "A word never seen in training is spelled with smaller pieces, down to bytes.",
            "c": "Merges make most tokens several letters long.",
        },
    ),
    MultipleChoice(
        id="01.q2",
        question="Why do language models often miscount the r's in 'strawberry'?",
        options={
            "a": "They see one or a few sub-word tokens, not letters; the letters inside a token "
            "are not directly visible.",
            "b": "Their training data misspells the word.",
            "c": "Counting is impossible for neural networks.",
        },
        answer="a",
        explanations={
            "a": "The model must have memorised how each token is spelled to count letters.",
            "b": "The spelling in the data is fine.",
            "c": "They count well when the items are separate tokens.",
        },
    ),
    MultipleChoice(
        id="01.q3",
        question="In a chat, where does the model learn who is speaking?",
        options={
            "a": "From a separate input channel for each role.",
            "b": "From special tokens and role names in the single token sequence (the chat "
            "template).",
            "c": "It cannot know.",
        },
        answer="b",
        explanations={
            "a": "There is one sequence of tokens, nothing else.",
            "b": "<|im_start|>user ... <|im_end|> markers are ordinary tokens of that sequence.",
            "c": "The template tells it.",
        },
    ),
    NumericAnswer(
        id="01.q4",
        question="A byte-level BPE tokenizer learns 1,000 merges and has 2 special tokens. How "
        "many tokens are in its vocabulary?",
        answer=1258.0,
        tolerance=0.0005,
        explanation="256 byte tokens + 1,000 merged tokens + 2 special tokens = 1,258.",
    ),
]
