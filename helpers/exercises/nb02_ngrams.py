"""Exercises and review questions of notebook 02, n-gram language models."""

from __future__ import annotations

import math
from collections import Counter

from helpers.exercises.checking import Case, Exercise, MultipleChoice, NumericAnswer

SENTENCES = [["the", "cat", "sat"], ["the", "dog", "sat"], ["a", "cat", "ran"]]


def bigram_counts(sentences):
    counts = Counter()
    for sentence in sentences:
        padded = ["<s>", *sentence, "</s>"]
        counts.update(zip(padded[:-1], padded[1:], strict=True))
    return dict(counts)


def _bigram_cases() -> list[Case]:
    return [
        Case(([["a", "b"]],)),
        Case(([["a", "a", "a"]],)),
        Case(([["x"]],)),
        Case((SENTENCES,), label="three sentences: the cat sat / the dog sat / a cat ran"),
        Case(([[], ["b"]],), label="an empty sentence and ['b']"),
    ]


def _diagnose_bigrams(case: Case, expected, got) -> str | None:
    if not isinstance(got, dict):
        return "return a dict mapping (previous, word) tuples to counts."
    if not any("<s>" in pair for pair in got):
        return "pad each sentence: '<s>' before the first word and '</s>' after the last."
    if sum(got.values()) != sum(expected.values()):
        return (
            f"you counted {sum(got.values())} bigrams, expected {sum(expected.values())}: a "
            "padded sentence of n words has n + 1 bigrams."
        )
    return None


def mle_prob(counts, prev, word):
    total = sum(c for (p, _), c in counts.items() if p == prev)
    return counts.get((prev, word), 0) / total if total else 0.0


COUNTS = bigram_counts(SENTENCES)


def _mle_cases() -> list[Case]:
    label = "the bigram counts of: the cat sat / the dog sat / a cat ran"
    return [
        Case((COUNTS, "the", "cat"), label=f"{label}; p(cat | the)"),
        Case((COUNTS, "cat", "sat"), label=f"{label}; p(sat | cat)"),
        Case((COUNTS, "<s>", "a"), label=f"{label}; p(a | <s>)"),
        Case((COUNTS, "sat", "</s>"), label=f"{label}; p(</s> | sat)"),
        Case((COUNTS, "dog", "cat"), label=f"{label}; p(cat | dog) (never seen)"),
        Case((COUNTS, "zebra", "cat"), label=f"{label}; p(cat | zebra) (unseen context)"),
    ]


def _diagnose_mle(case: Case, expected, got) -> str | None:
    counts, prev, word = case.args
    if not isinstance(got, int | float):
        return None
    everything = sum(counts.values())
    if expected and math.isclose(got, counts.get((prev, word), 0) / everything):
        return "divide by the count of the *context* (bigrams starting with prev), not all bigrams."
    if prev not in {p for p, _ in counts}:
        return "an unseen context has no counts at all: return 0.0 rather than dividing by zero."
    return "p(word | prev) = count(prev, word) / sum over w of count(prev, w)."


def add_k_prob(counts, vocab_size, prev, word, k):
    total = sum(c for (p, _), c in counts.items() if p == prev)
    return (counts.get((prev, word), 0) + k) / (total + k * vocab_size)


def _add_k_cases() -> list[Case]:
    label = "the bigram counts above, vocab_size 8"
    return [
        Case((COUNTS, 8, "the", "cat", 1.0), label=f"{label}; p(cat | the), k=1"),
        Case((COUNTS, 8, "dog", "cat", 1.0), label=f"{label}; p(cat | dog), k=1"),
        Case((COUNTS, 8, "the", "cat", 0.1), label=f"{label}; p(cat | the), k=0.1"),
        Case((COUNTS, 8, "zebra", "cat", 0.5), label=f"{label}; p(cat | zebra), k=0.5"),
    ]


def _diagnose_add_k(case: Case, expected, got) -> str | None:
    counts, _, prev, word, k = case.args
    total = sum(c for (p, _), c in counts.items() if p == prev)
    if isinstance(got, int | float) and math.isclose(
        got, (counts.get((prev, word), 0) + k) / (total + k) if total + k else -1
    ):
        return "each of the vocab_size words gets k added, so the denominator grows by k * V."
    if (
        isinstance(got, int | float)
        and total
        and math.isclose(got, (counts.get((prev, word), 0) + k) / total)
    ):
        return "adding k to every count also adds k * V to the total: divide by total + k * V."
    return "(count(prev, word) + k) / (count(prev) + k * vocab_size)."


def perplexity(log_probs):
    return math.exp(-sum(log_probs) / len(log_probs))


def _ppl_cases() -> list[Case]:
    return [
        Case(([math.log(0.25)] * 4,), label="four tokens, each with probability 0.25"),
        Case(([math.log(0.5), math.log(0.125)],), label="log(0.5), log(0.125)"),
        Case(([0.0, 0.0, 0.0],), label="three tokens with probability 1"),
        Case(
            ([math.log(0.1), math.log(0.2), math.log(0.3), math.log(0.4)],),
            label="log(0.1), log(0.2), log(0.3), log(0.4)",
        ),
    ]


def _diagnose_ppl(case: Case, expected, got) -> str | None:
    (log_probs,) = case.args
    if not isinstance(got, int | float) or got <= 0:
        return None
    if math.isclose(got, 1 / expected, rel_tol=1e-6) and expected != 1:
        return "wrong sign: perplexity is exp of the *negative* average log-probability (>= 1)."
    if math.isclose(math.log(got), math.log(expected) * len(log_probs), rel_tol=1e-6):
        return "average the log-probabilities over tokens before exponentiating."
    if math.isclose(got, 2 ** (math.log(expected)), rel_tol=1e-6):
        return "these are natural logs: use exp, not 2 ** (...)."
    return "perplexity = exp(-(1/N) * sum of log p)."


def continuation_count(counts, word):
    return sum(1 for (_, w), c in counts.items() if w == word and c > 0)


def _continuation_cases() -> list[Case]:
    return [
        Case((COUNTS, "cat"), label="the bigram counts above; word 'cat'"),
        Case((COUNTS, "sat"), label="the bigram counts above; word 'sat'"),
        Case((COUNTS, "</s>"), label="the bigram counts above; word '</s>'"),
        Case((COUNTS, "zebra"), label="the bigram counts above; word 'zebra'"),
        Case(
            ({("a", "b"): 5, ("c", "b"): 1, ("b", "a"): 2}, "b"),
            label="counts {(a, b): 5, (c, b): 1, (b, a): 2}; word 'b'",
        ),
    ]


def _diagnose_continuation(case: Case, expected, got) -> str | None:
    counts, word = case.args
    if got == sum(c for (_, w), c in counts.items() if w == word):
        return "count *distinct* previous words, not occurrences: each context counts once."
    if got == sum(1 for (p, _), c in counts.items() if p == word):
        return "that counts the words that follow it; we want the contexts it follows."
    return "how many different words come right before `word`?"


def unseen_share(train_ngrams, valid_ngrams):
    seen = set(train_ngrams)
    return sum(g not in seen for g in valid_ngrams) / len(valid_ngrams)


def _unseen_cases() -> list[Case]:
    return [
        Case(([("a", "b"), ("b", "c")], [("a", "b"), ("c", "d")])),
        Case(([("a", "b")], [("a", "b"), ("a", "b"), ("x", "y")])),
        Case(([("a",), ("b",)], [("a",), ("b",)])),
        Case(([("a", "b")], [("x", "y"), ("x", "y"), ("a", "b"), ("z", "z")])),
    ]


def _diagnose_unseen(case: Case, expected, got) -> str | None:
    train, valid = case.args
    if not isinstance(got, int | float):
        return None
    types = {g for g in valid}
    if math.isclose(got, sum(g not in set(train) for g in types) / len(types)):
        return "count every validation n-gram *occurrence*, repeats included, not distinct ones."
    if math.isclose(got, 1 - expected):
        return "that is the share that *was* seen; we want the unseen share."
    return "share = (validation n-grams not in the training set) / (all validation n-grams)."


EXERCISES = [
    Exercise(
        "02.1",
        "count the bigrams of padded sentences",
        bigram_counts,
        _bigram_cases,
        hints=[
            "Pad: ['<s>'] + sentence + ['</s>'].",
            "zip(padded[:-1], padded[1:]) gives the pairs; a Counter counts them.",
        ],
        diagnose=_diagnose_bigrams,
    ),
    Exercise(
        "02.2",
        "maximum-likelihood bigram probability",
        mle_prob,
        _mle_cases,
        hints=[
            "The denominator is how often prev appears as the first word of a bigram.",
            "If prev never appears, return 0.0.",
        ],
        diagnose=_diagnose_mle,
    ),
    Exercise(
        "02.3",
        "add-k smoothing",
        add_k_prob,
        _add_k_cases,
        hints=[
            "Pretend every one of the vocab_size words was seen k extra times after prev.",
            "(count + k) / (total + k * vocab_size).",
        ],
        diagnose=_diagnose_add_k,
    ),
    Exercise(
        "02.4",
        "perplexity from log-probabilities",
        perplexity,
        _ppl_cases,
        hints=["Average the log-probabilities.", "Negate, then exponentiate with math.exp."],
        diagnose=_diagnose_ppl,
    ),
    Exercise(
        "02.5",
        "a Kneser-Ney continuation count",
        continuation_count,
        _continuation_cases,
        hints=[
            "Look at every bigram (prev, w) with w == word.",
            "Count how many such bigrams exist (each distinct prev once).",
        ],
        diagnose=_diagnose_continuation,
    ),
    Exercise(
        "02.6",
        "the share of unseen validation n-grams",
        unseen_share,
        _unseen_cases,
        hints=[
            "Put the training n-grams in a set.",
            "Go through the validation n-grams (with repeats) and count those missing.",
        ],
        diagnose=_diagnose_unseen,
    ),
    MultipleChoice(
        id="02.q1",
        question="Why does Kneser-Ney give 'Francisco' a low unigram probability although the "
        "word is frequent?",
        options={
            "a": "Because it is a proper noun.",
            "b": "Because it follows very few different words (almost always 'San').",
            "c": "Because its count is discounted more than other words' counts.",
        },
        answer="b",
        explanations={
            "a": "Kneser-Ney knows nothing about parts of speech.",
            "b": "The lower-order distribution asks how likely a word is to appear in a *new* "
            "context: its continuation count is small.",
            "c": "Every count gets the same discount d.",
        },
    ),
    MultipleChoice(
        id="02.q2",
        question="As the order n grows, what happens to a word n-gram model's perplexity on "
        "training and on validation text?",
        options={
            "a": "Both fall steadily.",
            "b": "Training perplexity falls towards 1; validation perplexity falls, then rises "
            "as more and more contexts are unseen.",
            "c": "Both rise.",
        },
        answer="b",
        explanations={
            "a": "Only until the contexts become too rare to have been seen.",
            "b": "Longer contexts memorise the training text but are mostly unseen in new text: "
            "the context-length trade-off that neural models get round.",
            "c": "More context always helps on the training text.",
        },
    ),
    MultipleChoice(
        id="02.q3",
        question="What can an LLM do that an n-gram model cannot?",
        options={
            "a": "Assign probabilities to the next token.",
            "b": "Use thousands of tokens of context and generalise to contexts it never saw "
            "exactly.",
            "c": "Generate text by sampling.",
        },
        answer="b",
        explanations={
            "a": "Both are next-token probability models.",
            "b": "n-grams look up exact contexts of a few tokens; a network maps similar contexts "
            "to similar predictions, over very long contexts.",
            "c": "n-gram models sample text too (this notebook does).",
        },
    ),
    NumericAnswer(
        id="02.q4",
        question="A model gives every one of the 50 possible next characters the same "
        "probability. What is its perplexity?",
        answer=50.0,
        tolerance=0.001,
        explanation="Uniform over V choices: perplexity = V.",
    ),
]
