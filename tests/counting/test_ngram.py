"""n-gram models: parity with nltk.lm, distributions that sum to 1, documented differences, and
bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from nltk.lm import MLE, KneserNeyInterpolated, Laplace, Lidstone, Vocabulary
from nltk.lm.preprocessing import pad_both_ends, padded_everygram_pipeline
from nltk.util import ngrams

from helpers import data
from helpers.counting.ngram import BOS, SMOOTHINGS, UNK, NGramLM


def _word_sentences(text: str) -> list[list[str]]:
    tokenizer = NGramLM(1)
    return [tokenizer.tokenize(line) for line in text.split("\n") if line and line[-1] != ":"]


@pytest.fixture(scope="module")
def corpora():
    names = data.load_names("train")
    words = _word_sentences(data.load_text("shakespeare", "valid"))
    return {
        "char": ([list(n) for n in names[::10]], [list(n) for n in data.load_names("valid")[:40]]),
        "word": ([s for s in words[:1500] if s], [s for s in words[1500:1560] if s]),
    }


def _pair(kind: str, order: int, min_count: int):
    vocabulary = Vocabulary(unk_cutoff=min_count)
    return {
        "mle": (NGramLM(order, "mle", min_count=min_count), MLE(order, vocabulary=vocabulary)),
        "laplace": (
            NGramLM(order, "add_k", k=1.0, min_count=min_count),
            Laplace(order, vocabulary=vocabulary),
        ),
        "lidstone": (
            NGramLM(order, "add_k", k=0.1, min_count=min_count),
            Lidstone(0.1, order, vocabulary=vocabulary),
        ),
        "kneser_ney": (
            NGramLM(order, "kneser_ney", discount=0.1, min_count=min_count),
            KneserNeyInterpolated(order, discount=0.1, vocabulary=vocabulary),
        ),
    }[kind]


@pytest.mark.parametrize("kind", ["mle", "laplace", "lidstone", "kneser_ney"])
@pytest.mark.parametrize(
    ("level", "order", "min_count"), [("char", 3, 1), ("word", 2, 1), ("word", 3, 2)]
)
def test_probabilities_equal_nltk(corpora, kind, level, order, min_count):
    train, test = corpora[level]
    ours, theirs = _pair(kind, order, min_count)
    ours.fit(train)
    everygrams, vocab = padded_everygram_pipeline(order, train)
    theirs.fit(everygrams, vocab)
    assert sorted(ours.vocab) == sorted(theirs.vocab)
    compared = 0
    for sentence in test:
        for *context, token in ngrams(pad_both_ends(sentence, n=order), order):
            if kind == "kneser_ney" and context and context[-1] == BOS:
                continue  # the documented difference, tested below
            expected = theirs.score(token, context)
            assert ours.prob(token, context) == pytest.approx(expected, rel=1e-9, abs=1e-300)
            compared += expected > 0
    assert compared > 50


@pytest.mark.parametrize("kind", ["laplace", "kneser_ney"])
def test_perplexity_equals_nltk_on_the_same_ngrams(corpora, kind):
    train, test = corpora["word"]
    ours, theirs = _pair(kind, 3, 2)
    ours.fit(train)
    theirs.fit(*padded_everygram_pipeline(3, train))
    pairs = [
        p for s in test for p in ours.sentence_ngrams(s) if kind != "kneser_ney" or p[0][-1] != BOS
    ]
    expected = theirs.perplexity([(*ctx, ours.lookup(tok)) for ctx, tok in pairs])
    ours_ppl = math.exp(-np.mean([ours.logprob(tok, ctx) for ctx, tok in pairs]))
    assert ours_ppl == pytest.approx(expected, rel=1e-9)


def test_kneser_ney_sums_to_one_where_nltk_does_not(corpora):
    train, _ = corpora["char"]
    ours = NGramLM(3, "kneser_ney", discount=0.1).fit(train)
    theirs = KneserNeyInterpolated(3, discount=0.1)
    theirs.fit(*padded_everygram_pipeline(3, train))
    context = ("a", BOS)  # a context that ends in <s>: nltk's back-off weight is off here
    assert sum(ours.prob(t, context) for t in ours.vocab) == pytest.approx(1.0, abs=1e-12)
    assert abs(sum(theirs.score(t, context) for t in theirs.vocab) - 1.0) > 1e-3


@pytest.mark.parametrize("smoothing", ["mle", "add_k", "interpolated", "kneser_ney"])
def test_every_distribution_sums_to_one(corpora, smoothing):
    train, test = corpora["word"]
    lm = NGramLM(3, smoothing, min_count=2).fit(train)
    contexts = [ctx for s in test[:20] for ctx, _ in lm.sentence_ngrams(s)]
    for context in contexts[::3]:
        if smoothing == "mle" and not lm.context_total.get(lm._context(context)):
            continue  # unseen under MLE: no distribution (tested below)
        assert sum(lm.prob(t, context) for t in lm.vocab) == pytest.approx(1.0, abs=1e-9)
        _, probs = lm.next_token_distribution(context)
        assert probs.sum() == pytest.approx(1.0, abs=1e-12)


def test_interpolation_by_hand():
    lm = NGramLM(2, "interpolated", lambdas=[0.7, 0.3]).fit([["a", "b"], ["a", "a"]])
    # counts: unigrams a:3 b:1 <s>:2 </s>:2 (8); bigram a->b 1, a->a 1, a-></s> 1 (a total 3)
    assert lm.prob("b", ["a"]) == pytest.approx(0.7 * 1 / 3 + 0.3 * 1 / 8)


def test_long_contexts_use_the_last_tokens_and_unknowns_map_to_unk(corpora):
    train, _ = corpora["word"]
    lm = NGramLM(3, "kneser_ney", min_count=2).fit(train)
    assert lm.prob("lord", ["a", "b", "c", "my", "good"]) == lm.prob("lord", ["my", "good"])
    assert lm.lookup("zyzzyva") == UNK
    assert lm.prob("zyzzyva", ["my"]) == lm.prob(UNK, ["my"]) > 0


def test_unseen_context_under_mle_is_probability_zero_not_a_crash():
    lm = NGramLM(2, "mle").fit([["a", "b"]])
    assert lm.prob("b", ["zz"]) == 0.0 and lm.logprob("b", ["zz"]) == -math.inf
    _, probs = lm.next_token_distribution(["zz"])  # falls back to shorter contexts
    assert probs.sum() == pytest.approx(1.0)
    assert lm.perplexity([["b", "a"]]) == math.inf


def test_sampling_is_seeded_and_cold_sampling_is_greedy(corpora):
    train, _ = corpora["char"]
    lm = NGramLM(3, "kneser_ney").fit(train)
    a = lm.generate(20, np.random.default_rng(0))
    assert a == lm.generate(20, np.random.default_rng(0))
    greedy = []
    context = [BOS, BOS]
    for _ in range(5):
        tokens, _ = lm.next_token_distribution(context)
        if tokens[0] == "</s>":
            break
        greedy.append(tokens[0])
        context.append(tokens[0])
    assert lm.generate(5, np.random.default_rng(1), temperature=1e-4) == greedy


def test_num_parameters_counts_distinct_ngrams():
    lm = NGramLM(2).fit([["a", "b"]])
    # unigrams <s> a b </s>; bigrams <s>a ab b</s>
    assert lm.num_parameters() == 7


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"order": 0}, "order must be an int >= 1"),
        ({"order": 2, "k": 0}, "k must be > 0"),
        ({"order": 2, "discount": 1.0}, "discount must be in"),
        ({"order": 2, "lambdas": [0.5, 0.6]}, "lambdas must be"),
        ({"order": 2, "smoothing": "witten_bell"}, "smoothing must be one of"),
    ],
)
def test_bad_arguments(kwargs, words):
    with pytest.raises(ValueError, match=words):
        NGramLM(**kwargs)


def test_bad_data():
    with pytest.raises(ValueError, match="empty corpus"):
        NGramLM(2).fit([[], []])
    with pytest.raises(RuntimeError, match="fit"):
        NGramLM(2).prob("a")
    with pytest.raises(ValueError, match="at least one sentence"):
        NGramLM(2).fit([["a"]]).perplexity([])


@pytest.mark.parametrize("smoothing", ["mle", "add_k", "interpolated", "kneser_ney"])
def test_vectorised_distribution_equals_prob(corpora, smoothing):
    train, _ = corpora["char"]
    lm = NGramLM(4, smoothing, discount=0.3).fit(train)
    for context in [(), ("a",), ("<s>", "<s>", "<s>"), ("a", "n", "n"), ("q", "q", "x")]:
        expected = np.array([lm.prob(t, context) for t in lm.vocab])
        np.testing.assert_allclose(lm.distribution(context), expected, rtol=1e-12, atol=1e-15)


def test_with_smoothing_reuses_the_counts(corpora):
    train, test = corpora["word"]
    kn = NGramLM(2, "kneser_ney", min_count=2).fit(train)
    laplace = kn.with_smoothing("add_k", k=1.0)
    fitted = NGramLM(2, "add_k", k=1.0, min_count=2).fit(train)
    assert laplace.counts is kn.counts and laplace.smoothing == "add_k"
    assert laplace.perplexity(test) == pytest.approx(fitted.perplexity(test), rel=1e-12)
    with pytest.raises(ValueError, match="k must be > 0"):
        kn.with_smoothing("add_k", k=0)


@pytest.mark.parametrize("smoothing", ["mle", "add_k", "kneser_ney"])
def test_order_one_has_an_end_marker_and_can_stop(corpora, smoothing):
    train, test = corpora["char"]
    lm = NGramLM(1, smoothing).fit(train)
    assert "</s>" in lm.vocab and BOS not in lm.vocab
    # one end marker per sentence: p(</s>) is sentences / (tokens + sentences) under MLE
    if smoothing == "mle":
        tokens = sum(map(len, train))
        assert lm.prob("</s>") == pytest.approx(len(train) / (tokens + len(train)))
    assert sum(lm.prob(t) for t in lm.vocab) == pytest.approx(1.0, abs=1e-12)
    assert lm.distribution(()).sum() == pytest.approx(1.0, abs=1e-12)
    tokens, probs = lm.next_token_distribution(())
    assert "</s>" in tokens and probs.sum() == pytest.approx(1.0)
    rng = np.random.default_rng(0)
    lengths = [len(lm.generate(200, rng)) for _ in range(50)]
    assert max(lengths) < 200  # every sample stopped at "</s>" before the limit
    # perplexity scores every token and one end marker per sentence, the marker as itself
    pairs = [p for s in test for p in lm.sentence_ngrams(s)]
    assert len(pairs) == sum(map(len, test)) + len(test)
    assert sum(token == "</s>" for _, token in pairs) == len(test)
    expected = math.exp(-np.mean([math.log(lm.prob(t)) for _, t in pairs]))
    assert lm.perplexity(test) == pytest.approx(expected, rel=1e-12)
    assert lm.prob("</s>") != lm.prob(UNK)


def test_order_one_differs_from_nltk_only_by_the_end_markers(corpora):
    """nltk pads an order-1 model with nothing (no "</s>"): the counts of real tokens agree, and our
    probabilities are nltk's times N / (N + S), since our S end markers join the N real tokens."""
    train, test = corpora["char"]
    ours = NGramLM(1, "mle").fit(train)
    theirs = MLE(1)
    theirs.fit(*padded_everygram_pipeline(1, train))
    assert sorted(ours.vocab) == sorted([*theirs.vocab, "</s>"])
    assert "</s>" not in theirs.vocab
    n, s = sum(map(len, train)), len(train)
    for token in {t for sentence in test for t in sentence}:
        assert ours.counts[1][(ours.lookup(token),)] == theirs.counts[ours.lookup(token)]
        assert ours.prob(token) == pytest.approx(theirs.score(token) * n / (n + s), rel=1e-12)


@pytest.mark.parametrize(
    ("tokens", "text"),
    [
        (
            ["what", "?", "no", "!", "stay", ":", "go", ";", "here", ",", "now", "."],
            "what? no! stay: go; here, now.",
        ),
        (["<s>", "i'll", "go", "!", "!", "</s>"], "i'll go!!"),
        (["?", "who"], "? who"),
    ],
)
def test_detokenize_attaches_punctuation_to_the_word_before(tokens, text):
    lm = NGramLM(2)
    assert lm.detokenize(tokens) == text
    assert lm.detokenize(lm.tokenize(text)) == text


def test_the_kneser_ney_exercise_reference_equals_the_bigram_model(corpora):
    """Exercise 02.5's plain formula and NGramLM(2, "kneser_ney") agree, unseen cases included."""
    from helpers.exercises.nb02_ngrams import bigram_counts, kneser_ney_prob

    train, test = corpora["word"]
    lm = NGramLM(2, "kneser_ney", discount=0.6).fit(train)
    counts = bigram_counts(train)
    pairs = [p for s in test[:30] for p in lm.sentence_ngrams(s)]
    pairs += [(("zyzzyva",), "the"), (("the",), "zyzzyva"), (("my",), "lord")]
    for (prev,), word in pairs:
        expected = lm.prob(word, [prev])
        if lm.lookup(prev) == UNK or lm.lookup(word) == UNK:
            continue  # the model maps unknown tokens to <UNK>; the plain formula does not
        assert kneser_ney_prob(counts, prev, word, 0.6) == pytest.approx(expected, rel=1e-12)
    assert kneser_ney_prob(counts, "zyzzyva", "the", 0.6) == pytest.approx(
        lm.prob("the", ["zyzzyva"]), rel=1e-12
    )


@pytest.mark.parametrize("level", ["char", "word"])
@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_arrays_give_the_probabilities_of_the_dict_version(corpora, level, order):
    """The counts moved from dicts of string tuples into sorted numpy arrays: every probability,
    distribution and perplexity is the old implementation's
    (tests/counting/ngram_dict_reference.py)."""
    from ngram_dict_reference import NGramLM as DictNGramLM

    train, test = corpora[level]
    min_count = 2 if level == "word" else 1
    new = NGramLM(order, "kneser_ney", discount=0.6, min_count=min_count).fit(train)
    old = DictNGramLM(order, "kneser_ney", discount=0.6, min_count=min_count).fit(train)
    assert new.vocab == old.vocab and new.num_parameters() == old.num_parameters()
    pairs = [p for s in test for p in new.sentence_ngrams(s)]
    pairs += [(("zyzzyva", "q") * 2, "the"), (("the",) * 3, "zyzzyva"), ((), "a")]
    for smoothing in SMOOTHINGS:
        ours, theirs = new.with_smoothing(smoothing), old.with_smoothing(smoothing)
        expected = np.array([theirs.prob(t, c) for c, t in pairs])
        np.testing.assert_allclose(ours.probs(pairs), expected, rtol=1e-12, atol=1e-15)
        assert [ours.prob(t, c) for c, t in pairs[:20]] == pytest.approx(expected[:20], 1e-12)
        for context, _ in pairs[:: max(1, len(pairs) // 15)]:
            np.testing.assert_allclose(
                ours.distribution(context), theirs.distribution(context), rtol=1e-12, atol=1e-15
            )
            assert (
                ours.next_token_distribution(context)[0][:5]
                == (theirs.next_token_distribution(context)[0][:5])
            )
        assert ours.perplexity(test) == pytest.approx(theirs.perplexity(test), rel=1e-12)


def test_the_count_views_read_like_the_old_dicts(corpora):
    from ngram_dict_reference import NGramLM as DictNGramLM

    train, _ = corpora["char"]
    new, old = NGramLM(3).fit(train), DictNGramLM(3).fit(train)
    for n in range(4):
        assert dict(new.counts[n]) == dict(old.counts[n])
    assert dict(new.context_total) == dict(old.context_total)
    assert new.counts[2][("a", "n")] == old.counts[2][("a", "n")]
    assert new.context_total.get(("q", "q"), 0) == 0 and ("zz",) not in new.counts[1]


def test_a_literal_unk_token_is_the_unknown_token():
    """nltk's tests: "<UNK>" in training text must not enter the vocabulary a second time."""
    sentences = [["a", "b", "<UNK>"], ["a", "c", "b"]]
    lm = NGramLM(2, "add_k", k=1.0).fit(sentences)
    assert lm.vocab.count(UNK) == 1 and len(lm.vocab) == len(set(lm.vocab))
    assert sum(lm.prob(t, ["a"]) for t in lm.vocab) == pytest.approx(1.0, abs=1e-12)
    assert lm.counts[2][("b", UNK)] == 1
    theirs = Laplace(2)
    theirs.fit(*padded_everygram_pipeline(2, sentences))
    assert set(lm.vocab) == set(theirs.vocab)
    assert list(theirs.vocab).count(UNK) == 2  # nltk's own vocabulary has it twice


@pytest.mark.parametrize(
    ("min_count", "error", "words"),
    [
        (0, ValueError, "min_count must be an int >= 1"),
        (-3, ValueError, "min_count must be an int >= 1"),
        ("2", TypeError, "min_count must be an int >= 1, got '2'"),
        (2.0, TypeError, "min_count must be an int"),
        (True, TypeError, "min_count must be an int"),
    ],
)
def test_bad_min_count_fails_at_once(min_count, error, words):
    with pytest.raises(error, match=words):
        NGramLM(2, min_count=min_count)


def test_a_fixed_vocabulary_equals_nltks(corpora):
    """vocabulary= as nltk's Vocabulary(words): a word in it but unseen in training keeps its own
    smoothed probability; training words outside it count as <UNK>."""
    train, test = corpora["word"]
    words = sorted({t for s in train[:300] for t in s} | {"zyzzyva"})
    ours = NGramLM(2, "add_k", k=0.1, vocabulary=words).fit(train)
    theirs = Lidstone(0.1, 2, vocabulary=Vocabulary([*words, BOS, "</s>"], unk_cutoff=1))
    theirs.fit(padded_everygram_pipeline(2, train)[0])
    assert sorted(ours.vocab) == sorted(theirs.vocab)
    assert ours.lookup("zyzzyva") == "zyzzyva" and "zyzzyva" not in {t for s in train for t in s}
    assert 0 < ours.prob("zyzzyva", ["my"]) != ours.prob(UNK, ["my"])
    pairs = [p for s in test[:20] for p in ours.sentence_ngrams(s)] + [(("my",), "zyzzyva")]
    for context, token in pairs:
        expected = theirs.score(token, context)
        assert ours.prob(token, context) == pytest.approx(expected, rel=1e-12)
    # Kneser-Ney's lowest order counts contexts a word continued: an unseen word gets 0, as in nltk
    kn = NGramLM(2, "kneser_ney", discount=0.1, vocabulary=words).fit(train)
    nltk_kn = KneserNeyInterpolated(2, discount=0.1, vocabulary=Vocabulary([*words, BOS, "</s>"]))
    nltk_kn.fit(padded_everygram_pipeline(2, train)[0])
    assert kn.prob("zyzzyva", ["my"]) == nltk_kn.score("zyzzyva", ["my"]) == 0.0
    assert kn.prob("lord", ["my"]) == pytest.approx(nltk_kn.score("lord", ["my"]), rel=1e-12)
    assert kn.distribution(["my"]).sum() == pytest.approx(1.0, abs=1e-12)
    with pytest.raises(ValueError, match="min_count or vocabulary, not both"):
        NGramLM(2, min_count=2, vocabulary=words)
    with pytest.raises(TypeError, match="vocabulary must be an iterable of token strings"):
        NGramLM(2, vocabulary="abc")
