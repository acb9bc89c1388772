"""Kneser-Ney word trigram: helpers.ngram side by side with nltk.lm, on the Shakespeare corpus.

    python benchmarks/bench_ngram.py [--score-tokens 2000]

Both models are fitted on the same sentences (the lines of the training plays) and score the same
(context, token) pairs of the validation plays. nltk scores about 25 tokens/s here, so it scores
only the first --score-tokens pairs; we score those and then the whole validation split. The
script checks that both give the same perplexity on the shared part before comparing speed.
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
from helpers.ngram import BOS, NGramLM

ORDER, DISCOUNT, MIN_COUNT = 3, 0.75, 2


def sentences(split: str) -> list[list[str]]:
    tokenizer = NGramLM(1)
    text = data.load_text("shakespeare", split)
    return [tokenizer.tokenize(line) for line in text.split("\n") if line and line[-1] != ":"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--score-tokens", type=int, default=2000)
    args = parser.parse_args()
    train, valid = sentences("train"), sentences("valid")
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"python {platform.python_version()}, nltk {nltk.__version__}"
    )
    print(
        f"train: {sum(map(len, train)):,} tokens in {len(train):,} lines; "
        f"valid: {sum(map(len, valid)):,} tokens"
    )

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

    # Pairs whose context ends in <s> are where the two differ by design (see helpers/ngram.py).
    pairs = [
        (ctx, ours.lookup(tok))
        for s in valid
        for ctx, tok in ours.sentence_ngrams(s)
        if ctx[-1] != BOS
    ]
    shared = pairs[: args.score_tokens]
    ours_lp, ours_score = timed(lambda: [ours.logprob(t, c) for c, t in shared])
    theirs_lp, theirs_score = timed(lambda: [math.log(theirs.score(t, c)) for c, t in shared])
    ppl_ours = math.exp(-sum(ours_lp) / len(shared))
    ppl_theirs = math.exp(-sum(theirs_lp) / len(shared))
    worst = max(abs(a - b) for a, b in zip(ours_lp, theirs_lp, strict=True))
    _, ours_all = timed(lambda: [ours.logprob(t, c) for c, t in pairs])

    print(
        f"\nfit        ours {ours_fit:7.2f} s   nltk {theirs_fit:7.2f} s   "
        f"ratio {theirs_fit / ours_fit:6.1f}x"
    )
    print(
        f"score      ours {len(shared) / ours_score:9,.0f} tok/s   nltk "
        f"{len(shared) / theirs_score:9,.1f} tok/s   ratio {theirs_score / ours_score:,.0f}x "
        f"(on {len(shared):,} tokens)"
    )
    print(
        f"perplexity ours {ppl_ours:.6f}   nltk {ppl_theirs:.6f}   "
        f"largest log-prob difference {worst:.1e}"
    )
    print(
        f"whole validation split ({len(pairs):,} tokens): ours {ours_all:.2f} s "
        f"= {len(pairs) / ours_all:,.0f} tok/s"
    )


if __name__ == "__main__":
    main()
