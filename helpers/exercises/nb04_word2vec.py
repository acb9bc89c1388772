"""Exercises and review questions of notebook 04, word2vec (numpy versions of the pieces in
helpers.word2vec)."""

from __future__ import annotations

import numpy as np

from helpers.exercises.checking import Case, Exercise, MultipleChoice, NumericAnswer


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _close(got, value) -> bool:
    try:
        got = np.asarray(got, dtype=float)
        return got.shape == np.shape(value) and bool(np.allclose(got, value, rtol=1e-6))
    except (TypeError, ValueError):
        return False


# ---- 04.1 cosine similarity ---------------------------------------------------------------


def cosine_similarity(u, v):
    return float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))


def _cosine_cases() -> list[Case]:
    r = _rng(0)
    return [
        Case((np.array([1.0, 0.0]), np.array([0.0, 1.0]))),
        Case((np.array([3.0, 4.0]), np.array([6.0, 8.0]))),
        Case((np.array([1.0, 2.0, 3.0]), np.array([-1.0, -2.0, -3.0]))),
        Case((r.normal(size=5) * 4, r.normal(size=5)), label="two random vectors of length 5"),
    ]


def _diagnose_cosine(case: Case, expected, got) -> str | None:
    u, v = case.args
    nu, nv = np.linalg.norm(u), np.linalg.norm(v)
    if _close(got, expected * nu * nv):
        return "that is the dot product: divide it by the lengths of both vectors."
    if _close(got, expected * nu) or _close(got, expected * nv):
        return "divide by the product of *both* lengths, ||u|| * ||v||."
    return "cos(u, v) = u·v / (||u|| ||v||)."


# ---- 04.2 skip-gram pairs -----------------------------------------------------------------


def skipgram_pairs(tokens, window):
    pairs = []
    for i, center in enumerate(tokens):
        for j in range(max(0, i - window), min(len(tokens), i + window + 1)):
            if j != i:
                pairs.append((center, tokens[j]))
    return pairs


def _pairs_cases() -> list[Case]:
    return [
        Case((["the", "cat", "sat"], 1)),
        Case((["to", "be", "or", "not", "to", "be"], 2)),
        Case((["alone"], 3)),
        Case((["a", "b", "c", "d"], 5)),
        Case(([], 2)),
    ]


def _diagnose_pairs(case: Case, expected, got) -> str | None:
    if not isinstance(got, list | tuple):
        return None
    got = [tuple(p) for p in got if isinstance(p, list | tuple)]
    tokens = case.args[0]
    if any(p not in expected for p in got) and len(got) == len(expected) + len(tokens):
        return "a word is not its own context: skip position j == i."
    if len(got) < len(expected) and set(got) <= set(expected):
        return (
            "some pairs are missing: take context words on both sides of the centre, "
            "up to `window` positions away (and stop at the ends of the list)."
        )
    return "for each position i, pair tokens[i] with every tokens[j], 0 < |i - j| <= window."


# ---- 04.3 the noise distribution ----------------------------------------------------------


def noise_distribution(counts):
    weights = np.asarray(counts, dtype=float) ** 0.75
    return weights / weights.sum()


def _noise_cases() -> list[Case]:
    return [
        Case((np.array([16.0, 1.0]),)),
        Case((np.array([5.0, 5.0, 5.0]),)),
        Case((np.array([1000.0, 100.0, 10.0, 1.0]),)),
        Case((np.array([3.0, 0.0, 7.0]),)),
    ]


def _diagnose_noise(case: Case, expected, got) -> str | None:
    counts = np.asarray(case.args[0], dtype=float)
    if _close(got, counts / counts.sum()):
        return "that is the plain unigram distribution: raise the counts to the power 0.75 first."
    if _close(got, counts**0.75):
        return "the probabilities must sum to 1: divide by the sum of counts ** 0.75."
    return "P(w) = count(w) ** 0.75 / sum of all count ** 0.75."


# ---- 04.4 subsampling ---------------------------------------------------------------------


def keep_probability(counts, t):
    f = np.asarray(counts, dtype=float) / np.sum(counts)
    return np.minimum(1.0, (np.sqrt(f / t) + 1) * t / f)


def _keep_cases() -> list[Case]:
    return [
        Case((np.array([900.0, 90.0, 9.0, 1.0]), 0.01)),
        Case((np.array([10.0, 10.0]), 0.001)),
        Case((np.array([5e5, 1e4, 300.0, 2.0]), 1e-3)),
        Case((np.array([1.0, 1.0, 1.0, 1.0]), 0.5)),
    ]


def _diagnose_keep(case: Case, expected, got) -> str | None:
    counts, t = case.args
    f = counts / counts.sum()
    raw = (np.sqrt(f / t) + 1) * t / f
    if _close(got, raw):
        return "a probability cannot exceed 1: cap it with np.minimum(1.0, ...)."
    c = np.asarray(counts, dtype=float)
    if _close(got, np.minimum(1.0, (np.sqrt(c / t) + 1) * t / c)):
        return "use the word's frequency f = count / total count, not the raw count."
    if _close(got, np.minimum(1.0, np.sqrt(t / f))) or _close(got, 1 - np.sqrt(t / f)):
        return "use the formula of word2vec's code given above, (sqrt(f / t) + 1) * t / f."
    return "keep = min(1, (sqrt(f / t) + 1) * t / f), with f = count / sum of counts."


# ---- 04.5 the SGNS loss of one pair -------------------------------------------------------


def _log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def sgns_loss(v_center, u_context, u_negatives):
    # -log σ(s) = log(1 + e^(-s)), which np.logaddexp(0, -s) computes without overflow
    positive = np.logaddexp(0.0, -(u_context @ v_center))
    negatives = np.logaddexp(0.0, u_negatives @ v_center).sum()
    return float(positive + negatives)


def _sgns_cases() -> list[Case]:
    r = _rng(4)
    return [
        Case(
            (np.array([1.0, 0.0]), np.array([2.0, 0.0]), np.array([[0.0, 1.0], [-1.0, 0.0]])),
            label="v_center [1, 0], u_context [2, 0], u_negatives [[0, 1], [-1, 0]]",
        ),
        Case(
            (np.zeros(3), np.ones(3), np.ones((2, 3))),
            label="v_center zeros(3), u_context ones(3), u_negatives ones((2, 3))",
        ),
        Case(
            (r.normal(size=4), r.normal(size=4), r.normal(size=(5, 4))),
            label="random v_center (4,), u_context (4,), u_negatives (5, 4)",
        ),
        Case(
            (r.normal(size=3) * 3, r.normal(size=3) * 3, r.normal(size=(1, 3)) * 3),
            label="random v_center (3,), u_context (3,), u_negatives (1, 3), large values",
        ),
    ]


def _diagnose_sgns(case: Case, expected, got) -> str | None:
    v, u, neg = case.args
    pos = -_log_sigmoid(u @ v)
    if _close(got, -expected):
        return "wrong sign: the loss is minus the log-probabilities, so it is >= 0."
    if _close(got, pos - _log_sigmoid(neg @ v).sum()):
        return "the negative samples should score *low*: use log σ(-u_k·v), with the minus inside."
    if _close(got, pos):
        return "add the negative samples' terms: - Σ_k log σ(-u_k · v_center)."
    return "loss = -log σ(u_context·v_center) - Σ_k log σ(-u_k·v_center)."


# ---- 04.6 its gradient with respect to the centre vector ----------------------------------


def _sigmoid(x):
    return np.exp(_log_sigmoid(x))


def sgns_grad_center(v_center, u_context, u_negatives):
    def sigmoid(x):
        return np.exp(-np.logaddexp(0.0, -x))

    g_context = sigmoid(u_context @ v_center) - 1.0
    g_negatives = sigmoid(u_negatives @ v_center)
    return g_context * u_context + g_negatives @ u_negatives


def _diagnose_grad(case: Case, expected, got) -> str | None:
    v, u, neg = case.args
    g_neg = _sigmoid(neg @ v) @ neg
    if _close(got, -expected):
        return "wrong sign: this gradient points uphill; d/ds[-log σ(s)] = σ(s) - 1."
    if _close(got, _sigmoid(u @ v) * u + g_neg):
        return "subtract 1 from σ(u_context·v_center): d/ds[-log σ(s)] = σ(s) - 1."
    if _close(got, (_sigmoid(u @ v) - 1.0) * u):
        return "the negative samples pull on v_center too: add Σ_k σ(u_k·v_center) u_k."
    return "d loss / d v_center = (σ(u_o·v) - 1) u_o + Σ_k σ(u_k·v) u_k."


# ---- 04.7 3CosAdd -------------------------------------------------------------------------


def analogy_3cosadd(vectors, words, a, b, c):
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    index = {w: i for i, w in enumerate(words)}
    target = unit[index[b]] - unit[index[a]] + unit[index[c]]
    scores = unit @ target
    for w in (a, b, c):
        scores[index[w]] = -np.inf
    return words[int(np.argmax(scores))]


def _toy_space() -> tuple[np.ndarray, list[str]]:
    words = ["man", "woman", "king", "queen", "prince", "apple", "boy", "girl"]
    vectors = np.array(
        [
            [1.0, 0.0, 0.1],  # man
            [0.0, 1.0, 0.1],  # woman
            [1.0, 0.1, 1.0],  # king
            [0.1, 1.0, 1.0],  # queen
            [1.0, 0.0, 0.9],  # prince
            [0.3, 0.3, -1.0],  # apple
            [2.0, 0.1, 0.3],  # boy (long: raw dot products favour it)
            [0.1, 2.0, 0.3],  # girl
        ]
    )
    return vectors, words


def _analogy_cases() -> list[Case]:
    vectors, words = _toy_space()
    label = "a toy space of 8 words (man, woman, king, queen, prince, apple, boy, girl), "
    return [
        Case((vectors, words, "man", "king", "woman"), label=label + "man : king :: woman : ?"),
        Case((vectors, words, "woman", "queen", "man"), label=label + "woman : queen :: man : ?"),
        Case((vectors, words, "man", "woman", "boy"), label=label + "man : woman :: boy : ?"),
        Case((vectors, words, "king", "man", "queen"), label=label + "king : man :: queen : ?"),
    ]


def _diagnose_analogy(case: Case, expected, got) -> str | None:
    vectors, words, a, b, c = case.args
    if got in (a, b, c):
        return f"{got!r} is one of the question's words: leave a, b and c out of the candidates."
    if not isinstance(got, str):
        return "return the answer word (a str), not its score or index."
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    index = {w: i for i, w in enumerate(words)}
    raw = vectors @ (unit[index[b]] - unit[index[a]] + unit[index[c]])
    for w in (a, b, c):
        raw[index[w]] = -np.inf
    if got == words[int(np.argmax(raw))]:
        return "normalise the candidate vectors too: rank by cosine, not by raw dot product."
    return "the answer maximises cos(d, b - a + c) over the words other than a, b and c."


# ---- 04.8 neutralising a word along a bias direction --------------------------------------


def neutralize(v, direction):
    g = direction / np.linalg.norm(direction)
    return v - (v @ g) * g


def _neutralize_cases() -> list[Case]:
    r = _rng(8)
    return [
        Case((np.array([1.0, 2.0]), np.array([1.0, 0.0]))),
        Case((np.array([3.0, 1.0, -2.0]), np.array([0.0, 2.0, 0.0]))),
        Case((np.array([1.0, 1.0]), np.array([1.0, 1.0]))),
        Case((r.normal(size=6), r.normal(size=6) * 3), label="random v (6,), direction (6,)"),
    ]


def _diagnose_neutralize(case: Case, expected, got) -> str | None:
    v, direction = case.args
    if _close(got, v - (v @ direction) * direction):
        return "normalise the direction to unit length first: g = direction / ||direction||."
    if _close(got, v - direction):
        return "subtract the *projection* of v on g, (v·g) g, not the direction itself."
    return "remove v's component along the unit direction g: v - (v·g) g."


EXERCISES = [
    Exercise(
        id="04.1",
        title="cosine similarity",
        reference=cosine_similarity,
        cases=_cosine_cases,
        diagnose=_diagnose_cosine,
        hints=[
            "The dot product u @ v grows with the vectors' lengths.",
            "Divide by np.linalg.norm(u) * np.linalg.norm(v) so that only the angle counts.",
        ],
    ),
    Exercise(
        id="04.2",
        title="skip-gram training pairs",
        reference=skipgram_pairs,
        cases=_pairs_cases,
        diagnose=_diagnose_pairs,
        hints=[
            "Loop over positions i; for each, loop over j from i - window to i + window.",
            "Skip j == i and positions outside 0..len(tokens) - 1.",
            "Append (tokens[i], tokens[j]) in order of i, then j.",
        ],
    ),
    Exercise(
        id="04.3",
        title="the noise distribution",
        reference=noise_distribution,
        cases=_noise_cases,
        diagnose=_diagnose_noise,
        hints=["Raise the counts to the power 0.75.", "Divide by their sum so they add up to 1."],
    ),
    Exercise(
        id="04.4",
        title="the probability of keeping a word when subsampling",
        reference=keep_probability,
        cases=_keep_cases,
        diagnose=_diagnose_keep,
        hints=[
            "First turn counts into frequencies: f = counts / counts.sum().",
            "Then (np.sqrt(f / t) + 1) * t / f, capped at 1 with np.minimum.",
        ],
    ),
    Exercise(
        id="04.5",
        title="the skip-gram negative-sampling loss of one pair",
        reference=sgns_loss,
        cases=_sgns_cases,
        diagnose=_diagnose_sgns,
        hints=[
            "Scores: s_o = u_context @ v_center and s_k = u_negatives @ v_center (one per row).",
            "log σ(x) = -np.logaddexp(0, -x) is a stable way to write it.",
            "loss = -log σ(s_o) - sum of log σ(-s_k).",
        ],
    ),
    Exercise(
        id="04.6",
        title="the gradient of the SGNS loss with respect to the centre vector",
        reference=sgns_grad_center,
        cases=_sgns_cases,
        diagnose=_diagnose_grad,
        hints=[
            "d/ds [-log σ(s)] = σ(s) - 1 and d/ds [-log σ(-s)] = σ(s).",
            "The chain rule multiplies each by d s / d v_center, the other vector.",
            "(σ(s_o) - 1) * u_context + σ(s_k) @ u_negatives.",
        ],
    ),
    Exercise(
        id="04.7",
        title="answering an analogy with 3CosAdd",
        reference=analogy_3cosadd,
        cases=_analogy_cases,
        diagnose=_diagnose_analogy,
        hints=[
            "Normalise every row of `vectors` to unit length.",
            "target = unit[b] - unit[a] + unit[c]; score every word by unit @ target.",
            "Set the scores of a, b and c to -inf before taking the argmax.",
        ],
    ),
    Exercise(
        id="04.8",
        title="neutralising a word along a bias direction",
        reference=neutralize,
        cases=_neutralize_cases,
        diagnose=_diagnose_neutralize,
        hints=[
            "Make the direction a unit vector g.",
            "The component of v along g is (v @ g) * g; subtract it.",
        ],
    ),
    MultipleChoice(
        id="04.q1",
        question="Why does word2vec draw noise words from the unigram distribution raised to 0.75?",
        options={
            "a": "It makes the distribution uniform, so every word is drawn equally often.",
            "b": "It flattens it: rare words are drawn a little more often, the most frequent "
            "ones less, which gave better vectors in practice.",
            "c": "It makes sampling faster.",
        },
        answer="b",
        explanations={
            "a": "The power 0 would make it uniform; 0.75 only flattens it.",
            "b": "Mikolov et al. (2013b) found 0.75 worked better than both the unigram (1) "
            "and the uniform (0) distribution.",
            "c": "Sampling costs the same for any distribution.",
        },
    ),
    MultipleChoice(
        id="04.q2",
        question="What does subsampling of frequent words do?",
        options={
            "a": "It drops rare words from the vocabulary.",
            "b": "It randomly drops occurrences of very frequent words such as 'the', which "
            "speeds training up and lets the window reach more informative neighbours.",
            "c": "It lowers the learning rate for frequent words.",
        },
        answer="b",
        explanations={
            "a": "That is min_count.",
            "b": "A word with frequency f is kept with probability about sqrt(t / f).",
            "c": "The learning rate is the same for every word.",
        },
    ),
    NumericAnswer(
        id="04.q3",
        question="The covariance matrix of some word vectors has eigenvalues 6, 3 and 1. What "
        "share of the variance does a 1-D PCA map (the top eigenvector) keep? Give a fraction.",
        answer=0.6,
        explanation="Each eigenvalue is the variance along its eigenvector: 6 / (6 + 3 + 1).",
    ),
    MultipleChoice(
        id="04.q4",
        question="After hard-debiasing (neutralise and equalise along a gender direction), what "
        "did Gonen & Goldberg (2019) find?",
        options={
            "a": "The bias is gone: no classifier can recover it.",
            "b": "The words' projections on the direction are zero, but the bias is still in "
            "their neighbourhoods: biased words still cluster together.",
            "c": "Debiasing destroys the analogies, so it cannot be used.",
        },
        answer="b",
        explanations={
            "a": "A classifier still recovers the gender bias of neutralised words accurately.",
            "b": "Removing one direction hides the bias from that one measurement only.",
            "c": "Analogy accuracy barely changes after debiasing.",
        },
    ),
    MultipleChoice(
        id="04.q5",
        question="Skip-gram and CBOW differ in what predicts what. Which is right?",
        options={
            "a": "Skip-gram: the centre word predicts each context word. CBOW: the mean of the "
            "context words' vectors predicts the centre word.",
            "b": "Skip-gram predicts the next word only; CBOW predicts the previous word only.",
            "c": "They are the same model with different names.",
        },
        answer="a",
        explanations={
            "a": "CBOW averages the context, so it is faster; skip-gram makes one example per pair "
            "and tends to do better on rare words.",
            "b": "Both look at a window on both sides.",
            "c": "The direction of prediction and the averaging differ.",
        },
    ),
]
