"""Typical wrong answers to the exercises of notebook 01."""

from helpers.exercises.nb01_tokens import merge as _merge
from helpers.exercises.nb01_tokens import pair_counts as _pair_counts


def _code_points(text):
    return [ord(c) for c in text]


def _utf16(text):
    return list(text.encode("utf-16-le"))


def _bytes_object(text):
    return text.encode("utf-8")


def _latin1(text):
    return list(text.encode("latin-1", errors="replace"))


def _pairs_even_positions(ids):
    counts = {}
    for pair in zip(ids[::2], ids[1::2]):
        counts[pair] = counts.get(pair, 0) + 1
    return counts


def _pairs_no_overlap(ids):
    counts, i = {}, 0
    while i + 1 < len(ids):  # scans like merge: skips past a repeated pair
        pair = (ids[i], ids[i + 1])
        counts[pair] = counts.get(pair, 0) + 1
        i += 2 if ids[i] == ids[i + 1] else 1
    return counts


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


def _merge_string_replace(ids, pair, new_id):
    text = " ".join(map(str, ids)).replace(f"{pair[0]} {pair[1]}", str(new_id))
    return [int(t) for t in text.split()]


def _merge_drops_last(ids, pair, new_id):
    out, i = [], 0
    while i < len(ids) - 1:  # forgets the final id when it is not merged
        if (ids[i], ids[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


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


def _train_largest_tie(ids, num_merges):
    merges = []
    for new_id in range(256, 256 + num_merges):
        counts = _pair_counts(ids)
        if not counts:
            break
        best = max(counts, key=lambda p: (counts[p], p))
        ids = _merge(ids, best, new_id)
        merges.append(best)
    return merges


def _train_ids_from_257(ids, num_merges):
    merges = []
    for new_id in range(257, 257 + num_merges):
        counts = _pair_counts(ids)
        if not counts:
            break
        best = min(counts, key=lambda p: (-counts[p], p))
        ids = _merge(ids, best, new_id)
        merges.append(best)
    return merges


def _encode_by(text, merges, choose):
    ids = list(text.encode("utf-8"))
    while True:
        present = [p for p in zip(ids, ids[1:]) if p in merges]
        if not present:
            return ids
        pair = choose(present, merges)
        ids = _merge(ids, pair, merges[pair])


def _encode_leftmost(text, merges):
    return _encode_by(text, merges, lambda present, merges: present[0])


def _encode_smallest_pair(text, merges):
    return _encode_by(text, merges, lambda present, merges: min(present))


def _encode_latest_first(text, merges):
    return _encode_by(text, merges, lambda present, merges: max(present, key=merges.get))


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


def _decode_ignore(ids, vocab):
    return b"".join(vocab[i] for i in ids).decode("utf-8", errors="ignore")


def _decode_chr(ids, vocab):
    return "".join(chr(i) for i in ids)


WRONG = {
    "01.1": [
        (_code_points, "code points"),
        (_utf16, "UTF-16"),
        (_bytes_object, "bytes object"),
        (_latin1, "Latin-1 or ASCII"),
    ],
    "01.2": [
        (_pairs_short, "one pair short"),
        (_pairs_as_set, "count every occurrence"),
        (_pairs_even_positions, "even positions"),
        (_pairs_no_overlap, "pairs overlap when counting"),
    ],
    "01.3": [
        (_merge_overlapping, "skip both of its ids"),
        (_merge_first_only, "*every*"),
        (_merge_string_replace, "written as a string"),
        (_merge_drops_last, "the last id is missing"),
    ],
    "01.4": [
        (_train_first_max, "ties go to the smallest"),
        (_train_no_recount, "recount"),
        (_train_largest_tie, "ties go to the smallest"),
        (_train_ids_from_257, "creates id 256 + k"),
    ],
    "01.5": [
        (_encode_single_pass, "repeatedly"),
        (_encode_chars, "UTF-8 bytes"),
        (_encode_leftmost, "leftmost"),
        (_encode_smallest_pair, "smallest ids"),
        (_encode_latest_first, "latest merge first"),
    ],
    "01.6": [
        (_decode_per_token, "decode once"),
        (_decode_latin1, "errors='replace'"),
        (_decode_ignore, "errors='ignore'"),
        (_decode_chr, "chr(id)"),
    ],
}
