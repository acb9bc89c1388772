"""BPE training: our trainer vs the straightforward recount-every-merge algorithm, with and without
pre-splitting and under each tie rule; and encoding: our encoder vs tiktoken, side by side on the
Shakespeare corpus.

    python benchmarks/bench_bpe.py            # the straightforward trainer up to 200 KB
    python benchmarks/bench_bpe.py --naive-up-to 1000000   # also on 1 MB (many minutes)

Both trainers must learn identical merges before their times are compared.
"""

from __future__ import annotations

import argparse
import os
import platform

import tiktoken
from stopwatch import timed

from helpers import data
from helpers.device import cpu_description
from helpers.tokens import encodings
from helpers.tokens.bpe import TIE_BREAKS, from_tiktoken, train_fast, train_naive

# (characters of text, vocabulary size, pre-splitting pattern)
CASES = [
    (200_000, 512, None),
    (200_000, 512, "gpt4"),
    (200_000, 1024, "gpt4"),
    (1_000_000, 1024, None),
    (1_000_000, 1024, "gpt4"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--naive-up-to", type=int, default=200_000, metavar="CHARS")
    args = parser.parse_args()
    corpus = data.load_text("shakespeare", "train")
    print(
        f"{cpu_description()}, {os.cpu_count()} CPUs, python {platform.python_version()}, "
        f"tiktoken {tiktoken.__version__}; tie rule 'smallest' unless shown\n"
    )
    print(f"{'text':>9s} {'vocab':>5s} {'pattern':>7s} {'naive s':>8s} {'ours s':>7s} "
          f"{'speed-up':>8s}  merges")  # fmt: skip
    for size, vocab, pattern in CASES:
        text = corpus[:size]
        fast, t_fast = timed(lambda: train_fast(text, vocab, pattern))  # noqa: B023
        shown = pattern or "none"
        if size > args.naive_up_to:
            print(f"{size:>9,d} {vocab:>5d} {shown:>7s} {'-':>8s} {t_fast:7.2f} {'-':>8s}")
            continue
        slow, t_slow = timed(lambda: train_naive(text, vocab, pattern))  # noqa: B023
        same = "identical" if slow == fast else "DIFFERENT"
        print(f"{size:>9,d} {vocab:>5d} {shown:>7s} {t_slow:8.1f} {t_fast:7.2f} "
              f"{t_slow / t_fast:7.0f}x  {same}")  # fmt: skip

    print("\ntie rules, no pre-splitting (ours; each checked against the naive trainer on 200 KB)")
    for rule in TIE_BREAKS:
        times = []
        for size, vocab in ((200_000, 512), (1_000_000, 1024)):
            fast, t_fast = timed(lambda: train_fast(corpus[:size], vocab, tie_break=rule))  # noqa: B023
            times.append(t_fast)
        slow = train_naive(corpus[:200_000], 512, tie_break=rule)
        same = train_fast(corpus[:200_000], 512, tie_break=rule) == slow
        print(f"{rule:>9s}: 200 KB/512 {times[0]:5.2f} s, 1 MB/1024 {times[1]:5.2f} s, "
              f"{'identical' if same else 'DIFFERENT'} merges on 200 KB")  # fmt: skip

    text = corpus[:1_000_000]
    mb = len(text.encode()) / 1e6
    print(f"\nencoding {mb:.2f} MB")
    for name in ("gpt2", "cl100k_base"):
        ours, theirs = from_tiktoken(name), encodings.get_encoding(name)
        ids_ours, t_ours = timed(lambda: ours.encode(text))  # noqa: B023
        ids_theirs, t_theirs = timed(lambda: theirs.encode(text))  # noqa: B023
        same = "identical ids" if ids_ours == ids_theirs else "DIFFERENT ids"
        print(
            f"{name:12s} ours {mb / t_ours:6.2f} MB/s   tiktoken {mb / t_theirs:6.2f} MB/s   "
            f"tiktoken is {t_ours / t_theirs:.0f}x faster   {same}"
        )


if __name__ == "__main__":
    main()
