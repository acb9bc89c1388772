"""Typical wrong answers to the exercises of notebook 01."""

from helpers.exercises.nb01_tokens import merge as _merge
from helpers.exercises.nb01_tokens import pair_counts as _pair_counts


def _code_points(text):
    return [ord(c) for c in text]


def _utf16(text):
    return list(text.encode("utf-16-le"))


def _pairs_short(ids):
    counts = {}
    for i in range(len(ids) - 2):
        counts[(ids[i], ids[i + 1])] = counts.get((ids[i], ids[i + 1]), 0) + 1
    return counts


def _pairs_as_set(ids):
    return {p: 1 for p in zip(ids, ids[1:])}


def _merge_overlapping(ids, pair, new_id):
    out = []
    for i in range(len(ids)):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
            out.append(new_id)
        elif not (i > 0 and (ids[i - 1], ids[i]) == pair):
            out.append(ids[i])
    return out


def _merge_first_only(ids, pair, new_id):
    for i in range(len(ids) - 1):
        if (ids[i], ids[i + 1]) == pair:
            return [*ids[:i], new_id, *ids[i + 2 :]]
    return list(ids)


def _train_first_max(ids, num_merges):
    merges = []
    for new_id in range(256, 256 + num_merges):
        counts = _pair_counts(ids)
        if not counts:
            break
        best = max(counts, key=counts.get)
        ids = _merge(ids, best, new_id)
        merges.append(best)
    return merges


def _train_no_recount(ids, num_merges):
    counts = _pair_counts(ids)
    order = sorted(counts, key=lambda p: (-counts[p], p))[:num_merges]
    return order


def _encode_single_pass(text, merges):
    ids = list(text.encode("utf-8"))
    for pair, new_id in merges.items():
        ids = _merge(ids, pair, new_id)
    return ids


def _encode_chars(text, merges):
    ids = [ord(c) for c in text]
    return _encode_single_pass("".join(chr(i) for i in ids), {}) if not merges else ids


def _decode_per_token(ids, vocab):
    return "".join(vocab[i].decode("utf-8", errors="replace") for i in ids)


def _decode_latin1(ids, vocab):
    return b"".join(vocab[i] for i in ids).decode("latin-1")


WRONG = {
    "01.1": [(_code_points, "code points"), (_utf16, "text.encode('utf-8')")],
    "01.2": [(_pairs_short, "one pair short"), (_pairs_as_set, "count every occurrence")],
    "01.3": [(_merge_overlapping, "skip both of its ids"), (_merge_first_only, "*every*")],
    "01.4": [(_train_first_max, "ties go to the smallest"), (_train_no_recount, "recount")],
    "01.5": [(_encode_single_pass, "repeatedly"), (_encode_chars, "UTF-8 bytes")],
    "01.6": [(_decode_per_token, "decode once"), (_decode_latin1, "errors='replace'")],
}
