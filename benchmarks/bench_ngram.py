"""Kneser-Ney word trigram: helpers.counting.ngram side by side with nltk.lm, on the Shakespeare
corpus.

    python benchmarks/bench_ngram.py [--score-tokens 2000] [--small-lines 3000]

Two corpora: the first --small-lines lines of the training plays, and all of them. On each, both
models are fitted on the same sentences and score the same (context, token) pairs of the
validation plays. nltk scores about 25 tokens/s, so it scores only the first --score-tokens
pairs; we score those (all at once, `logprobs`) and then the whole validation split. The script
checks that both give the same log-probabilities on the shared part before comparing speed; the
headline is the ratio of fit + score times.
"""

from __future__ import annotations

import argparse
import math
import os
import platform

import nltk
from nltk.lm import KneserNeyInterpolated, Vocabulary
from nltk.lm.preprocessing import padded_everygram_pipeline
from stopwatch import timed

from helpers import data
from helpers.counting.ngram import BOS, NGramLM
from helpers.device import cpu_description

ORDER, DISCOUNT, MIN_COUNT = 3, 0.75, 2


def sentences(split: str) -> list[list[str]]:
    tokenizer = NGramLM(1)
    text = data.load_text("shakespeare", split)
    return [tokenizer.tokenize(line) for line in text.split("\n") if line and line[-1] != ":"]


def compare(name: str, train: list[list[str]], valid: list[list[str]], score_tokens: int) -> None:
    """Fit both models on `train`, score the same validation pairs, print the times side by side."""
    ours, ours_fit = timed(
        lambda: NGramLM(ORDER, "kneser_ney", discount=DISCOUNT, min_count=MIN_COUNT).fit(train)
    )

    def fit_nltk():
        lm = KneserNeyInterpolated(
            ORDER, discount=DISCOUNT, vocabulary=Vocabulary(unk_cutoff=MIN_COUNT)
        )
        lm.fit(*padded_everygram_pipeline(ORDER, train))
        return lm

    theirs, theirs_fit = timed(fit_nltk)
    # Pairs whose context ends in <s> are where the two differ by design (see
    # helpers/counting/ngram.py).
    pairs = [
        (ctx, ours.lookup(tok))
        for s in valid
        for ctx, tok in ours.sentence_ngrams(s)
        if ctx[-1] != BOS
    ]
    shared = pairs[:score_tokens]
    ours_lp, ours_score = timed(lambda: ours.logprobs(shared))
    theirs_lp, theirs_score = timed(lambda: [math.log(theirs.score(t, c)) for c, t in shared])
    worst = max(abs(a - b) for a, b in zip(ours_lp, theirs_lp, strict=True))
    _, ours_all = timed(lambda: ours.logprobs(pairs))
    ours_total, theirs_total = ours_fit + ours_score, theirs_fit + theirs_score
    print(f"\n{name}: {sum(map(len, train)):,} tokens in {len(train):,} lines")
    print(
        f"  fit          ours {ours_fit:7.2f} s   nltk {theirs_fit:7.2f} s   "
        f"ratio {theirs_fit / ours_fit:6.1f}x"
    )
    print(
        f"  score        ours {ours_score:7.3f} s   nltk {theirs_score:7.2f} s   "
        f"ratio {theirs_score / ours_score:,.0f}x (on {len(shared):,} tokens)"
    )
    print(
        f"  fit + score  ours {ours_total:7.2f} s   nltk {theirs_total:7.2f} s   "
        f"ratio {theirs_total / ours_total:6.1f}x"
    )
    print(f"  largest log-prob difference {worst:.1e}")
    print(
        f"  whole validation split ({len(pairs):,} tokens): ours {ours_all:.2f} s "
        f"= {len(pairs) / ours_all:,.0f} tok/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--score-tokens", type=int, default=2000)
    parser.add_argument("--small-lines", type=int, default=3000)
    args = parser.parse_args()
    train, valid = sentences("train"), sentences("valid")
    print(
        f"{cpu_description()}, {os.cpu_count()} CPUs, "
        f"python {platform.python_version()}, nltk {nltk.__version__}"
    )
    compare("small corpus", train[: args.small_lines], valid, args.score_tokens)
    compare("full training split", train, valid, args.score_tokens)


if __name__ == "__main__":
    main()
