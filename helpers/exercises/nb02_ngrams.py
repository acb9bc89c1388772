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
        Case(([["x"]],)),
        Case(([["a", "a", "a"]],), label="one sentence ['a', 'a', 'a'] (the pair (a, a) twice)"),
        Case((SENTENCES,), label="three sentences: the cat sat / the dog sat / a cat ran"),
        Case(([[], ["b"]],), label="an empty sentence and ['b']"),
    ]


def _padded_pairs(sentence) -> list[tuple[str, str]]:
    return list(zip(["<s>", *sentence], [*sentence, "</s>"], strict=True))


def _diagnose_bigrams(case: Case, expected, got) -> str | None:
    (sentences,) = case.args
    if not isinstance(got, dict):
        return "return a dict mapping (previous, word) tuples to counts."
    pairs = [pair for pair in got if isinstance(pair, tuple)]
    if not any("<s>" in pair for pair in pairs):
        return "pad each sentence: '<s>' before the first word and '</s>' after the last."
    if not any("</s>" in pair for pair in pairs):
        return "you never count a pair ending in '</s>': pad '</s>' after the last word too."
    if got == dict(Counter(p for s in sentences if s for p in _padded_pairs(s))):
        return "an empty sentence still has one bigram, ('<s>', '</s>'): do not skip it."
    if got == dict(Counter(_padded_pairs([w for s in sentences for w in s]))):
        return (
            "you joined the sentences into one stream: pad and count each sentence on its own, "
            "so that no bigram runs from one sentence into the next."
        )
    if got == dict(Counter(p for s in sentences for p in set(_padded_pairs(s)))):
        return (
            "count every occurrence: a pair that appears twice in one sentence counts twice "
            "(a set keeps it once)."
        )
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
# Competing counts: "a" is followed by three different words (counts 3, 1, 1) and comes second
# in 2 bigrams, so counting types (3), or occurrences *of* "a" (2), gives other totals than 5.
COMPETING = {("a", "b"): 3, ("a", "c"): 1, ("a", "a"): 1, ("b", "a"): 1}


def _mle_cases() -> list[Case]:
    label = "the bigram counts of: the cat sat / the dog sat / a cat ran"
    return [
        Case((COUNTS, "the", "cat"), label=f"{label}; p(cat | the)"),
        Case((COUNTS, "cat", "sat"), label=f"{label}; p(sat | cat)"),
        Case((COMPETING, "a", "b"), label=f"counts {COMPETING}; p(b | a)"),
        Case((COUNTS, "<s>", "a"), label=f"{label}; p(a | <s>)"),
        Case((COUNTS, "sat", "</s>"), label=f"{label}; p(</s> | sat)"),
        Case((COUNTS, "dog", "cat"), label=f"{label}; p(cat | dog) (never seen)"),
        Case((COUNTS, "zebra", "cat"), label=f"{label}; p(cat | zebra) (unseen context)"),
    ]


def _diagnose_mle(case: Case, expected, got) -> str | None:
    counts, prev, word = case.args
    unseen = prev not in {p for p, _ in counts}
    if not isinstance(got, int | float) or math.isnan(got):
        if unseen:
            return "an unseen context has no counts at all: return 0.0, do not divide by zero."
        return None
    count = counts.get((prev, word), 0)
    types = sum(1 for p, _ in counts if p == prev)
    as_second = sum(c for (_, w), c in counts.items() if w == prev)
    if expected and math.isclose(got, count / sum(counts.values())):
        return "divide by the count of the *context* (bigrams starting with prev), not all bigrams."
    if types and math.isclose(got, count / types):
        return (
            "you divided by the number of *different* words after prev; divide by how often prev "
            "was followed by anything (the sum of their counts)."
        )
    if math.isclose(got, count / as_second if as_second else 0.0):
        return (
            "you divided by how often prev comes *second* in a bigram; the context total counts "
            "the bigrams that *start* with prev."
        )
    if unseen:
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
        Case((COMPETING, 5, "a", "b", 0.2), label=f"counts {COMPETING}, V 5; p(b | a), k=0.2"),
    ]


def _diagnose_add_k(case: Case, expected, got) -> str | None:
    counts, vocab_size, prev, word, k = case.args
    if not isinstance(got, int | float):
        return None
    count = counts.get((prev, word), 0)
    total = sum(c for (p, _), c in counts.items() if p == prev)
    if math.isclose(got, (count + k) / (total + k)):
        return "each of the vocab_size words gets k added, so the denominator grows by k * V."
    if total and math.isclose(got, (count + k) / total):
        return "adding k to every count also adds k * V to the total: divide by total + k * V."
    if math.isclose(got, (count + k) / (total + vocab_size)):
        return (
            "you added V to the total, which is right only for k = 1: each of the V words gets "
            "k extra, so add k * V."
        )
    if not total and got == 0:
        return (
            "an unseen context is where smoothing matters most: every word gets k / (k * V) = "
            "1/V there, not 0."
        )
    seen_words = len({w for pair in counts for w in pair})
    if seen_words != vocab_size and math.isclose(got, (count + k) / (total + k * seen_words)):
        return (
            "use the vocab_size argument for V: the vocabulary also holds words that never "
            "appear in these counts, and each of them gets k too."
        )
    return "(count(prev, word) + k) / (count(prev) + k * vocab_size)."


def continuation_count(counts, word):
    return sum(1 for (_, w), c in counts.items() if w == word and c > 0)


def _continuation_cases() -> list[Case]:
    return [
        Case((COUNTS, "cat"), label="the bigram counts above; word 'cat'"),
        Case((COUNTS, "sat"), label="the bigram counts above; word 'sat'"),
        Case((COUNTS, "</s>"), label="the bigram counts above; word '</s>'"),
        Case((COUNTS, "zebra"), label="the bigram counts above; word 'zebra'"),
        Case((COUNTS, "the"), label="the bigram counts above; word 'the' (only after '<s>')"),
        Case(
            ({("a", "b"): 5, ("c", "b"): 1, ("b", "a"): 2}, "b"),
            label="counts {(a, b): 5, (c, b): 1, (b, a): 2}; word 'b'",
        ),
    ]


def _diagnose_continuation(case: Case, expected, got) -> str | None:
    counts, word = case.args
    if isinstance(got, bool) or not isinstance(got, int | float):
        return None
    if not float(got).is_integer():
        return (
            "return the count itself: dividing by the number of bigram types gives the "
            "continuation *probability*, the next step."
        )
    if got == sum(c for (_, w), c in counts.items() if w == word):
        return "count *distinct* previous words, not occurrences: each context counts once."
    if got == sum(1 for p, _ in counts if p == word):
        return "that counts the words that follow it; we want the contexts it follows."
    if got == sum(1 for pair in counts if word in pair):
        return (
            "you counted every bigram that contains the word, on either side; count only those "
            "where it comes second."
        )
    if got == sum(1 for p, w in counts if w == word and p != "<s>"):
        return "'<s>' is a context like any other: a word that starts sentences follows it."
    return "how many different words come right before `word`?"


def kneser_ney_prob(counts, prev, word, d=0.75):
    context_total = sum(c for (p, _), c in counts.items() if p == prev)
    followers = sum(1 for p, _ in counts if p == prev)  # N1+(prev •)
    p_continuation = sum(1 for _, w in counts if w == word) / len(counts)  # N1+(• w) / N1+(• •)
    if not context_total:  # an unseen context hands everything to the continuation probability
        return p_continuation
    discounted = max(counts.get((prev, word), 0) - d, 0) / context_total
    return discounted + d * followers / context_total * p_continuation


# "francisco" is frequent but only ever follows "san"; "city" follows four different words.
CITIES = {
    ("<s>", "san"): 3,
    ("san", "francisco"): 6,
    ("francisco", "</s>"): 6,
    ("<s>", "the"): 4,
    ("the", "city"): 3,
    ("the", "san"): 1,
    ("old", "city"): 1,
    ("big", "city"): 1,
    ("new", "city"): 1,
    ("city", "</s>"): 6,
    ("<s>", "old"): 1,
    ("<s>", "big"): 1,
    ("<s>", "new"): 1,
}


def _kn_variant(
    counts, prev, word, d, lower="continuation", weight="followers", clip=True, unseen="lower"
) -> float:
    """kneser_ney_prob with one part done another way: the typical mistakes, for diagnoses."""
    total = sum(c for (p, _), c in counts.items() if p == prev)
    contexts_of_word = sum(1 for _, w in counts if w == word)
    p_lower = {
        "continuation": contexts_of_word / len(counts),
        "over_count_total": contexts_of_word / sum(counts.values()),
        "distinct_words": contexts_of_word / len({w for _, w in counts}),
        "unigram": sum(c for (_, w), c in counts.items() if w == word) / sum(counts.values()),
    }[lower]
    if not total:
        return {"zero": 0.0, "uniform": 1 / len({w for _, w in counts})}.get(unseen, p_lower)
    count = counts.get((prev, word), 0)
    if unseen == "backoff" and count:
        return (count - d) / total
    n_weight = {
        "followers": sum(1 for p, _ in counts if p == prev),
        "one": 1,
        "predecessors": sum(1 for _, w in counts if w == prev),
    }[weight]
    top = max(count - d, 0) if clip else count - d
    return top / total + d * n_weight / total * p_lower


def _kn_cases() -> list[Case]:
    words = "the bigram counts of: the cat sat / the dog sat / a cat ran"
    cities = "the CITIES counts (san francisco x6, the city x3, old/big/new city x1, the san x1)"
    return [
        Case((COUNTS, "the", "cat", 0.75), label=f"{words}; p(cat | the), d=0.75"),
        Case((COUNTS, "sat", "</s>", 0.75), label=f"{words}; p(</s> | sat), d=0.75"),
        Case((COUNTS, "<s>", "the", 0.75), label=f"{words}; p(the | <s>), d=0.75 (counts 2, 1)"),
        Case((COUNTS, "dog", "sat", 0.5), label=f"{words}; p(sat | dog), d=0.5 (dog seen once)"),
        Case((COUNTS, "dog", "ran", 0.5), label=f"{words}; p(ran | dog), d=0.5 (never after dog)"),
        Case((COUNTS, "zebra", "cat", 0.75), label=f"{words}; p(cat | zebra) (unseen context)"),
        Case((COUNTS, "the", "zebra", 0.75), label=f"{words}; p(zebra | the) (unseen word)"),
        Case((CITIES, "the", "francisco", 0.75), label=f"{cities}; p(francisco | the), d=0.75"),
        Case((CITIES, "the", "city", 0.75), label=f"{cities}; p(city | the), d=0.75"),
        Case((CITIES, "san", "francisco", 0.75), label=f"{cities}; p(francisco | san), d=0.75"),
    ]


KN_MISTAKES = [
    (
        {"unseen": "zero"},
        "an unseen context has no counts to discount: give it the whole continuation "
        "probability P_cont(word), not 0.",
    ),
    (
        {"unseen": "uniform"},
        "an unseen context gives its whole mass to the continuation probability P_cont(word), "
        "not to a uniform distribution over the words.",
    ),
    (
        {"clip": False},
        "clip at zero: max(c(v, w) - d, 0). A pair never seen has count 0, not -d.",
    ),
    (
        {"unseen": "backoff"},
        "this is *interpolated* Kneser-Ney: add lambda(v) * P_cont(w) to a seen pair too, not "
        "only to unseen ones (that would be back-off).",
    ),
    (
        {"weight": "one"},
        "lambda(v) = d * N1+(v •) / c(v): d was taken from each *distinct* follower of v, so "
        "multiply d by how many there are.",
    ),
    (
        {"weight": "predecessors"},
        "N1+(v •) in lambda(v) counts the distinct words that *follow* v, not those before it.",
    ),
    (
        {"lower": "unigram"},
        "the lower order is the *continuation* probability N1+(• w) / N1+(• •) (in how many "
        "contexts w appears), not w's unigram frequency.",
    ),
    (
        {"lower": "over_count_total"},
        "N1+(• •), the denominator of P_cont, is the number of distinct bigrams (len(counts)), "
        "not the total count of all bigrams.",
    ),
    (
        {"lower": "distinct_words"},
        "N1+(• •), the denominator of P_cont, is the number of distinct bigrams (len(counts)), "
        "not the number of distinct words.",
    ),
]


def _diagnose_kn(case: Case, expected, got) -> str | None:
    counts, prev, word, d = case.args
    if isinstance(got, bool) or not isinstance(got, int | float) or math.isnan(got):
        return None
    if d != 0.75 and math.isclose(got, kneser_ney_prob(counts, prev, word, 0.75)):
        return f"use the discount d passed in (here d = {d}), not a fixed 0.75."
    matches = [
        advice
        for changes, advice in KN_MISTAKES
        if not math.isclose(variant := _kn_variant(counts, prev, word, d, **changes), expected)
        and math.isclose(got, variant)
    ]
    if len(matches) > 1:  # two slips give the same number on this case: name both
        return "two slips give this number; check both: (1) " + " (2) ".join(matches[:2])
    if matches:
        return matches[0]
    return (
        "p(w | v) = max(c(v, w) - d, 0) / c(v) + lambda(v) * P_cont(w), with "
        "lambda(v) = d * N1+(v •) / c(v) and P_cont(w) = N1+(• w) / N1+(• •)."
    )


def perplexity(log_probs):
    return math.exp(-sum(log_probs) / len(log_probs))


def _ppl_cases() -> list[Case]:
    return [
        Case(([math.log(0.25)] * 4,), label="four tokens, each with probability 0.25"),
        Case(([0.0, 0.0, 0.0],), label="three tokens with probability 1"),
        Case(([math.log(0.5), math.log(0.125)],), label="log(0.5), log(0.125)"),
        Case(
            ([math.log(0.1), math.log(0.2), math.log(0.3), math.log(0.4)],),
            label="log(0.1), log(0.2), log(0.3), log(0.4)",
        ),
        Case(([math.log(0.9), math.log(0.001)],), label="log(0.9), log(0.001)"),
    ]


def _diagnose_ppl(case: Case, expected, got) -> str | None:
    (log_probs,) = case.args
    if isinstance(got, bool) or not isinstance(got, int | float) or not got > 0:
        return None
    probs = [math.exp(lp) for lp in log_probs]
    if math.isclose(got, 1 / expected, rel_tol=1e-6) and expected != 1:
        return "wrong sign: perplexity is exp of the *negative* average log-probability (>= 1)."
    if math.isclose(math.log(got), math.log(expected) * len(log_probs), rel_tol=1e-6):
        return "average the log-probabilities over tokens before exponentiating."
    if math.isclose(got, 2 ** (math.log(expected)), rel_tol=1e-6):
        return "these are natural logs: use exp, not 2 ** (...)."
    if math.isclose(got, len(probs) / sum(probs), rel_tol=1e-6):
        return (
            "you inverted the average *probability*; perplexity averages the log-probabilities "
            "(a geometric mean), so one very unlikely token weighs much more."
        )
    return "perplexity = exp(-(1/N) * sum of log p)."


EXERCISES = [
    Exercise(
        "02.1",
        "count the bigrams of padded sentences",
        bigram_counts,
        _bigram_cases,
        hints=[
            "Pad each sentence on its own: ['<s>'] + sentence + ['</s>'].",
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
            "The denominator is the sum of the counts of all bigrams that start with prev.",
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
        "02.5",
        "an interpolated Kneser-Ney bigram probability",
        kneser_ney_prob,
        _kn_cases,
        hints=[
            "Three counts about v: c(v) (sum of the counts of bigrams starting with v), "
            "N1+(v •) (how many distinct bigrams start with v); one about w: N1+(• w) (how many "
            "distinct bigrams end with w); and N1+(• •) = len(counts).",
            "An unseen context (c(v) = 0) returns P_cont(w) alone.",
            "max(c(v, w) - d, 0) / c(v) + d * N1+(v •) / c(v) * N1+(• w) / N1+(• •).",
        ],
        diagnose=_diagnose_kn,
    ),
    Exercise(
        "02.6",
        "perplexity from log-probabilities",
        perplexity,
        _ppl_cases,
        hints=["Average the log-probabilities.", "Negate, then exponentiate with math.exp."],
        diagnose=_diagnose_ppl,
    ),
    MultipleChoice(
        id="02.q1",
        question="Why does Kneser-Ney give 'Francisco' a low lowest-order probability although "
        "the word is frequent?",
        options={
            "a": "Because the discount d takes a bigger share from frequent words.",
            "b": "Because it follows very few different words (almost always 'San').",
            "c": "Because after 'San' the bigram estimate is already high, so its unigram term "
            "is set to zero to keep the probabilities summing to 1.",
        },
        answer="b",
        explanations={
            "a": "Every count loses the same d, frequent or not (which is why frequent words keep "
            "most of their mass).",
            "b": "The lower-order distribution asks how likely a word is to appear in a *new* "
            "context: its continuation count N1+(• Francisco) is small.",
            "c": "The lower order is one distribution shared by every context; the weight "
            "lambda(v) makes the sum 1, not a per-word zero.",
        },
    ),
    MultipleChoice(
        id="02.q2",
        question="With d = 0.75 our interpolated Kneser-Ney word 4-gram has a higher validation "
        "perplexity than the trigram. Splitting the validation tokens by how often the 4-gram "
        "saw their 3-word context, where does the 4-gram lose?",
        options={
            "a": "In contexts never seen in training: the 4-gram has no estimate for them.",
            "b": "In contexts seen only a few times: one fixed discount leaves too much of their "
            "mass on the few words seen after them; a larger d removes the loss.",
            "c": "In the most frequent contexts: their counts are discounted too heavily.",
            "d": "Nowhere on validation tokens: the 4-gram is only worse because it memorises "
            "the training text, so its training perplexity is too low.",
        },
        answer="b",
        explanations={
            "a": "An unseen context hands all its mass to the trigram estimate for free: those "
            "tokens score about as the trigram does (slightly better, in the table).",
            "b": "The loss per token is largest in contexts seen fewer than ten times, and with "
            "d = 0.95 the 4-gram is as good as the trigram at its best d (as Chen & Goodman 1999 "
            "found: a well-smoothed higher order does not get worse).",
            "c": "Frequent contexts lose least per token, and a larger d (more discounting) "
            "helps rather than hurts.",
            "d": "A low training perplexity does not by itself raise validation perplexity; "
            "the split shows where the validation loss comes from.",
        },
    ),
    MultipleChoice(
        id="02.q3",
        question="What can an LLM do that an n-gram model cannot?",
        options={
            "a": "Assign a probability to every possible next token, including ones never seen "
            "after this context.",
            "b": "Use thousands of tokens of context and generalise to contexts it never saw "
            "exactly.",
            "c": "Be trained by maximising the likelihood of its training text.",
        },
        answer="b",
        explanations={
            "a": "A smoothed n-gram model does that too: that is what smoothing is for.",
            "b": "n-grams look up exact contexts of a few tokens; a network maps similar contexts "
            "to similar predictions, over very long contexts.",
            "c": "Counting *is* maximum likelihood: the relative frequencies are the likelihood's "
            "maximum.",
        },
    ),
    NumericAnswer(
        id="02.q4",
        question="A model gives the three scored tokens of a short text (two words and '</s>') "
        "probabilities 0.5, 0.25 and 0.125. What is its perplexity on that text?",
        answer=4.0,
        tolerance=0.001,
        explanation="exp(-(ln 0.5 + ln 0.25 + ln 0.125) / 3) = (2 * 4 * 8) ** (1/3) = 4: the "
        "geometric mean of 1/p.",
        hints=["Average the three log-probabilities, negate, exponentiate."],
    ),
    NumericAnswer(
        id="02.q5",
        question="Bigram counts (and no others): (a, b): 3, (a, c): 1, (b, c): 2, (c, a): 1, "
        "(b, a): 1. With d = 0.5, what is the interpolated Kneser-Ney probability p(c | a)?",
        answer=0.225,
        tolerance=0.001,
        explanation="c(a) = 4, N1+(a •) = 2, N1+(• c) = 2, N1+(• •) = 5: "
        "(1 - 0.5)/4 + 0.5 * 2/4 * 2/5 = 0.125 + 0.1 = 0.225 (maximum likelihood says 0.25).",
        hints=[
            "Count c(a), the distinct followers of a, the distinct words before c, and the "
            "distinct bigrams.",
            "max(1 - d, 0) / c(a) + d * N1+(a •) / c(a) * N1+(• c) / N1+(• •).",
        ],
    ),
]
