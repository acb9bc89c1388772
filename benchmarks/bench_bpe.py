"""BPE training: our incremental trainer vs the straightforward recount-every-merge algorithm,
and encoding: our encoder vs tiktoken, side by side on the Shakespeare corpus.

    python benchmarks/bench_bpe.py                 # 200 KB and 1 MB, vocab 512 and 1024
    python benchmarks/bench_bpe.py --sizes 200000  # quicker

The straightforward trainer is slow (minutes on 1 MB); both must learn identical merges before
their times are compared.
"""

from __future__ import annotations

import argparse
import os
import platform

import tiktoken
from stopwatch import timed

from helpers import data, encodings
from helpers.bpe import from_tiktoken, train_fast, train_naive


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200_000, 1_000_000])
    parser.add_argument("--vocab", type=int, nargs="+", default=[512, 1024])
    args = parser.parse_args()
    corpus = data.load_text("shakespeare", "train")
    print(
        f"{platform.machine()}, {os.cpu_count()} CPUs, python {platform.python_version()}, "
        f"tiktoken {tiktoken.__version__}; pattern: GPT-4 (cl100k) pre-splitting\n"
    )
    print(f"{'text':>9s} {'vocab':>5s} {'naive s':>9s} {'ours s':>8s} {'speed-up':>9s}  merges")
    for size in args.sizes:
        text = corpus[:size]
        for vocab in args.vocab:
            slow, t_slow = timed(lambda: train_naive(text, vocab, "gpt4"))  # noqa: B023
            fast, t_fast = timed(lambda: train_fast(text, vocab, "gpt4"))  # noqa: B023
            same = "identical" if slow == fast else "DIFFERENT"
            ratio = t_slow / t_fast
            print(f"{size:>9,d} {vocab:>5d} {t_slow:9.1f} {t_fast:8.2f} {ratio:8.0f}x  {same}")

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
