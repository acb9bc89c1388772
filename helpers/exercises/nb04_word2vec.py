"""Exercises and review questions of notebook 04, word2vec (numpy versions of the pieces in
helpers.vectors.word2vec)."""

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
        Case((np.array([3.0, 4.0]), np.array([6.0, 8.0]))),
        Case((np.array([1.0, 2.0, 3.0]), np.array([-1.0, -2.0, -3.0]))),
        Case((np.array([1.0, 0.0]), np.array([0.0, 1.0]))),
        Case((r.normal(size=5) * 4, r.normal(size=5)), label="two random vectors of length 5"),
    ]


def _diagnose_cosine(case: Case, expected, got) -> str | None:
    u, v = case.args
    nu, nv = np.linalg.norm(u), np.linalg.norm(v)
    return (
        _first_match(
            got,
            [
                (u @ v, "that is the dot product: divide it by the lengths of both vectors."),
                (
                    1 - expected,
                    "that is the cosine *distance*, 1 - cos(u, v): return the similarity.",
                ),
                (abs(expected), "keep the sign: opposite vectors have cosine -1, not 1."),
                (
                    u @ v / nu**2 / nv**2,
                    "divide by the lengths ||u|| ||v||, not the squared lengths u·u and v·v.",
                ),
                (u @ v / nu, "divide by the product of *both* lengths, ||u|| * ||v||."),
                (u @ v / nv, "divide by the product of *both* lengths, ||u|| * ||v||."),
            ],
        )
        or "cos(u, v) = u·v / (||u|| ||v||)."
    )


def _first_match(got, candidates) -> str | None:
    """The message of the first (value, message) whose value `got` equals (arrays or numbers)."""
    for value, message in candidates:
        if _close(got, value):
            return message
    return None


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
        Case((["a", "b", "c", "d"], 5)),
        Case((["alone"], 3)),
        Case(([], 2)),
    ]


def _pair_variants(tokens, window) -> dict[str, list]:
    """What typical mistakes produce, by name."""
    n = len(tokens)
    near = [(i, j) for i in range(n) for j in range(n) if 0 < abs(i - j) <= window]
    return {
        "self": [(i, j) for i in range(n) for j in range(n) if abs(i - j) <= window],
        "right": [(i, j) for i, j in near if j > i],
        "short": [(i, j) for i, j in near if abs(i - j) < window],
        "wrap": [
            (i, j % n)
            for i in range(n)
            for j in range(i - window, i + window + 1)
            if j != i and j < n
        ],
    }


def _diagnose_pairs(case: Case, expected, got) -> str | None:
    if not isinstance(got, list | tuple):
        return None
    got = [tuple(p) if isinstance(p, list | tuple) else p for p in got]
    tokens, window = case.args
    messages = {
        "self": "a word is not its own context: skip position j == i.",
        "right": "take context words on both sides of the centre, left ones too.",
        "short": "a context word may be up to and including `window` positions away: "
        "0 < |i - j| <= window; your pairs stop one position short.",
        "wrap": "negative positions wrap around to the end of the list in Python: start j at "
        "max(0, i - window).",
    }
    for name, pairs in _pair_variants(tokens, window).items():
        if got == [(tokens[i], tokens[j]) for i, j in pairs]:
            return messages[name]
    if len(got) < len(expected) and set(got) <= set(expected):
        return "some pairs are missing: stop only at the ends of the list."
    return "for each position i, pair tokens[i] with every tokens[j], 0 < |i - j| <= window."


# ---- 04.3 the noise distribution ----------------------------------------------------------


def noise_distribution(counts):
    weights = np.asarray(counts, dtype=float) ** 0.75
    return weights / weights.sum()


def _noise_cases() -> list[Case]:
    return [
        Case((np.array([5.0, 5.0, 5.0]),)),
        Case((np.array([16.0, 1.0]),)),
        Case((np.array([1000.0, 100.0, 10.0, 1.0]),)),
        Case((np.array([3.0, 0.0, 7.0]),)),
    ]


def _diagnose_noise(case: Case, expected, got) -> str | None:
    counts = np.asarray(case.args[0], dtype=float)
    return (
        _first_match(
            got,
            [
                (
                    counts / counts.sum(),
                    "that is the plain unigram distribution: raise the counts "
                    "to the power 0.75 first.",
                ),
                (
                    counts**0.75,
                    "the probabilities must sum to 1: divide by the sum of counts ** 0.75.",
                ),
                (
                    counts**0.75 / counts.sum(),
                    "divide by the sum of the *powered* counts, "
                    "sum(counts ** 0.75), not by the sum of the counts: yours do not sum to 1.",
                ),
                (
                    (counts / counts.sum()) ** 0.75,
                    "you normalised before raising to the power 0.75, "
                    "so the result no longer sums to 1: divide by the sum after taking the power.",
                ),
            ],
        )
        or "P(w) = count(w) ** 0.75 / sum of all count ** 0.75."
    )


# ---- 04.4 the SGNS loss of one pair -------------------------------------------------------


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
            (np.array([4.0, 0.0]), np.array([1.0, 0.0]), np.array([[10.0, 0.0], [0.0, 3.0]])),
            label="v_center [4, 0], u_context [1, 0], u_negatives [[10, 0], [0, 3]]: a noise "
            "word scores 40",
        ),
        Case(
            (np.array([30.0, 0.0]), np.array([-30.0, 0.0]), np.array([[30.0, 0.0]])),
            label="v_center [30, 0], u_context [-30, 0], u_negatives [[30, 0]]: scores -900 "
            "and +900, a confident mistake",
        ),
    ]


OVERFLOW = (
    "your result is inf or nan: in floating point σ(s) rounds to exactly 0 or 1 for large |s| "
    "(e^-s overflows, or 1 - σ(s) = 0), and log 0 = -inf. Compute -log σ(s) = log(1 + e^-s) "
    "as np.logaddexp(0, -s), which never overflows."
)


def _not_finite(got) -> bool:
    try:
        return not np.isfinite(np.asarray(got, dtype=float)).all()
    except (TypeError, ValueError):
        return False


def _diagnose_sgns(case: Case, expected, got) -> str | None:
    v, u, neg = case.args
    pos = -_log_sigmoid(u @ v)
    if _not_finite(got) and np.isfinite(expected):
        return OVERFLOW
    return (
        _first_match(
            got,
            [
                (-expected, "wrong sign: the loss is minus the log-probabilities, so it is >= 0."),
                (
                    pos - _log_sigmoid(neg @ v).sum(),
                    "the negative samples should score *low*: use "
                    "log σ(-u_k·v), with the minus inside.",
                ),
                (pos, "add the negative samples' terms: - Σ_k log σ(-u_k · v_center)."),
                (
                    pos - _log_sigmoid(-(neg @ v)).mean(),
                    "add up the noise words' terms (a sum over k), do not average them.",
                ),
            ],
        )
        or "loss = -log σ(u_context·v_center) - Σ_k log σ(-u_k·v_center)."
    )


# ---- 04.5 its gradient with respect to the centre vector ----------------------------------


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
    if _not_finite(got):
        return (
            "your gradient contains inf or nan: σ(s) written as e^s / (1 + e^s) is inf / inf for "
            "large s. Use 1 / (1 + e^-s), or np.exp(-np.logaddexp(0, -s))."
        )
    return (
        _first_match(
            got,
            [
                (-expected, "wrong sign: this gradient points uphill; d/ds[-log σ(s)] = σ(s) - 1."),
                (
                    _sigmoid(u @ v) * u + g_neg,
                    "subtract 1 from σ(u_context·v_center): d/ds[-log σ(s)] = σ(s) - 1.",
                ),
                (
                    (_sigmoid(u @ v) - 1.0) * u,
                    "the negative samples pull on v_center too: add Σ_k σ(u_k·v_center) u_k.",
                ),
                (
                    (_sigmoid(u @ v) - 1.0) * v,
                    "that is the gradient with respect to u_context, "
                    "(σ(s_o) - 1) v_center: differentiate with respect to v_center, which "
                    "gives the *other* vectors u_context and u_k.",
                ),
                (
                    (_sigmoid(u @ v) - 1.0) * u + _sigmoid(-(neg @ v)) @ neg,
                    "the noise words' "
                    "weights are σ(u_k·v_center), not σ(-u_k·v_center): d/ds[-log σ(-s)] = σ(s).",
                ),
            ],
        )
        or "d loss / d v_center = (σ(u_o·v) - 1) u_o + Σ_k σ(u_k·v) u_k."
    )


# ---- 04.6 subsampling ---------------------------------------------------------------------


def keep_probability(counts, t):
    f = np.asarray(counts, dtype=float) / np.sum(counts)
    return np.minimum(1.0, (np.sqrt(f / t) + 1) * t / f)


def _keep_cases() -> list[Case]:
    return [
        Case((np.array([1.0, 1.0, 1.0, 1.0]), 0.5)),
        Case((np.array([900.0, 90.0, 9.0, 1.0]), 0.01)),
        Case((np.array([10.0, 10.0]), 0.001)),
        Case((np.array([5e5, 1e4, 300.0, 2.0]), 1e-3)),
    ]


def _diagnose_keep(case: Case, expected, got) -> str | None:
    counts, t = case.args
    c = np.asarray(counts, dtype=float)
    f = c / c.sum()
    return (
        _first_match(
            got,
            [
                (
                    (np.sqrt(f / t) + 1) * t / f,
                    "a probability cannot exceed 1: cap it with np.minimum(1.0, ...).",
                ),
                (
                    np.minimum(1.0, (np.sqrt(c / t) + 1) * t / c),
                    "use the word's frequency f = count / total count, not the raw count.",
                ),
                (
                    np.minimum(1.0, np.sqrt(t / f)),
                    "that is the paper's sqrt(t / f): use the formula "
                    "of word2vec's code given above, (sqrt(f / t) + 1) * t / f.",
                ),
                (
                    1 - np.sqrt(t / f),
                    "1 - sqrt(t / f) is the paper's probability of *dropping* a "
                    "word; return the probability of keeping it, "
                    "min(1, (sqrt(f / t) + 1) * t / f).",
                ),
            ],
        )
        or "keep = min(1, (sqrt(f / t) + 1) * t / f), with f = count / sum of counts."
    )


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


def _norms_space() -> tuple[np.ndarray, list[str]]:
    """8 words whose vectors' lengths range from 0.7 to 6: raw vectors, raw offsets, 3CosMul and
    the reversed offset each give an answer of their own to one of two questions here."""
    vectors = np.array(
        [
            [0.78, 0.6, 0.42, -0.12],
            [-0.64, 1.9, -2.09, 3.2],
            [0.49, -0.67, -1.63, -2.66],
            [2.95, 2.37, -0.34, 2.61],
            [-1.9, -0.05, -1.3, -2.58],
            [1.06, -0.96, 0.01, 0.71],
            [2.41, 0.96, 1.88, -0.57],
            [0.98, 0.16, 0.23, 0.19],
        ]
    )
    return vectors, [f"w{i}" for i in range(8)]


def _analogy_variants(vectors, words, a, b, c) -> dict[str, str]:
    """The answers of typical mistakes, by name."""
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    i = {w: k for k, w in enumerate(words)}

    def best(scores, exclude=True):
        scores = scores.copy()
        if exclude:
            for w in (a, b, c):
                scores[i[w]] = -np.inf
        return words[int(np.argmax(scores))]

    offset = unit[i[b]] - unit[i[a]] + unit[i[c]]
    raw_offset = vectors[i[b]] - vectors[i[a]] + vectors[i[c]]
    cos = [(unit @ unit[i[w]] + 1) / 2 for w in (a, b, c)]
    return {
        "keeps": best(unit @ offset, exclude=False),
        "raw candidates": best(vectors @ offset),
        "raw offset": best(unit @ raw_offset),
        "all raw": best(vectors @ raw_offset),
        "3cosmul": best(cos[1] * cos[2] / (cos[0] + 1e-3)),
        "reversed": best(unit @ (unit[i[a]] - unit[i[b]] + unit[i[c]])),
    }


def _analogy_cases() -> list[Case]:
    vectors, words = _toy_space()
    toy = "a toy space of 8 words (man, woman, king, queen, prince, apple, boy, girl), "
    far, names = _norms_space()
    spread = "8 words w0..w7 whose vectors have very different lengths (0.7 to 6), "
    return [
        Case((vectors, words, "king", "man", "queen"), label=toy + "king : man :: queen : ?"),
        Case((far, names, "w5", "w3", "w2"), label=spread + "w5 : w3 :: w2 : ?"),
        Case((far, names, "w4", "w7", "w3"), label=spread + "w4 : w7 :: w3 : ?"),
        Case((vectors, words, "man", "king", "woman"), label=toy + "man : king :: woman : ?"),
        Case((vectors, words, "woman", "queen", "man"), label=toy + "woman : queen :: man : ?"),
        Case((vectors, words, "man", "woman", "boy"), label=toy + "man : woman :: boy : ?"),
    ]


def _diagnose_analogy(case: Case, expected, got) -> str | None:
    vectors, words, a, b, c = case.args
    if not isinstance(got, str):
        return "return the answer word (a str), not its score or index."
    if got in (a, b, c):
        return f"{got!r} is one of the question's words: leave a, b and c out of the candidates."
    messages = {
        "raw candidates": "normalise the candidate vectors too: rank by cosine, not by raw dot "
        "product, or long vectors win.",
        "raw offset": "build the offset b - a + c from *unit* vectors: with raw vectors the "
        "longest of the three dominates it.",
        "all raw": "you used raw vectors throughout: normalise every row to unit length first "
        "(the offset and the candidates), so that length does not decide.",
        "3cosmul": "that is 3CosMul's answer (a product of shifted cosines): 3CosAdd ranks by "
        "cos(d, b - a + c).",
        "reversed": "the offset is b - a + c (from a to b, added to c); you used a - b + c.",
    }
    for name, answer in _analogy_variants(vectors, words, a, b, c).items():
        if name in messages and got == answer:
            return messages[name]
    return "the answer maximises cos(d, b - a + c) over the words other than a, b and c."


# ---- 04.8 neutralising a word along a bias direction --------------------------------------


def neutralize(v, direction):
    g = direction / np.linalg.norm(direction)
    return v - (v @ g) * g


def _neutralize_cases() -> list[Case]:
    r = _rng(8)
    return [
        Case((np.array([1.0, 2.0]), np.array([1.0, 0.0]))),
        Case((np.array([3.0, 5.0, -2.0]), np.array([0.0, 2.0, 0.0]))),
        Case((np.array([1.0, 1.0]), np.array([1.0, 1.0]))),
        Case((r.normal(size=6), r.normal(size=6) * 3), label="random v (6,), direction (6,)"),
    ]


def _diagnose_neutralize(case: Case, expected, got) -> str | None:
    v, direction = case.args
    norm = np.linalg.norm(direction)
    g = direction / norm
    length = np.linalg.norm(expected)
    rescaled = expected / length if length > 1e-12 else expected
    return (
        _first_match(
            got,
            [
                (
                    v - (v @ direction) * direction,
                    "normalise the direction to unit length first: g = direction / ||direction||.",
                ),
                (
                    v - (v @ direction) / norm * direction,
                    "divide by ||direction|| twice (once for "
                    "the dot product, once for the direction itself), i.e. use the unit g in both.",
                ),
                (
                    v - direction,
                    "subtract the *projection* of v on g, (v·g) g, not the direction itself.",
                ),
                (
                    (v @ g) * g,
                    "that is the component along the direction, (v·g) g: return v minus it.",
                ),
                (
                    rescaled,
                    "you rescaled the result to unit length, as hard-debiasing does after "
                    "neutralising: this exercise is the neutralise step only, v - (v·g) g, without "
                    "dividing by its length.",
                ),
            ],
        )
        or "remove v's component along the unit direction g: v - (v·g) g."
    )


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
            "Skip j == i and positions outside 0..len(tokens) - 1 (a negative index would wrap).",
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
        title="the skip-gram negative-sampling loss of one pair",
        reference=sgns_loss,
        cases=_sgns_cases,
        diagnose=_diagnose_sgns,
        hints=[
            "Scores: s_o = u_context @ v_center and s_k = u_negatives @ v_center (one per row).",
            "-log σ(s) = np.logaddexp(0, -s) is the stable way to write it: no overflow, and no "
            "log of a σ that rounded to 0.",
            "loss = -log σ(s_o) - sum of log σ(-s_k).",
        ],
    ),
    Exercise(
        id="04.5",
        title="the gradient of the SGNS loss with respect to the centre vector",
        reference=sgns_grad_center,
        cases=_sgns_cases,
        diagnose=_diagnose_grad,
        hints=[
            "d/ds [-log σ(s)] = σ(s) - 1 and d/ds [-log σ(-s)] = σ(s).",
            "The chain rule multiplies each by d s / d v_center, the other vector.",
            "(σ(s_o) - 1) * u_context + σ(s_k) @ u_negatives, with σ(s) = 1 / (1 + e^-s).",
        ],
    ),
    Exercise(
        id="04.6",
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
            "The component of v along g is (v @ g) * g; subtract it (and do not rescale).",
        ],
    ),
    MultipleChoice(
        id="04.q1",
        question="Why does word2vec draw noise words from the unigram distribution raised to 0.75?",
        options={
            "a": "It sharpens the distribution: frequent words are drawn even more often, since "
            "they are the hardest negatives to tell apart.",
            "b": "It flattens it: rare words are drawn a little more often, the most frequent "
            "ones less, which gave better vectors in practice.",
            "c": "It undoes subsampling: frequent words were dropped from the text, so the "
            "noise must draw them more often to make up for it.",
        },
        answer="b",
        explanations={
            "a": "A power below 1 flattens: count ** 0.75 grows more slowly than the count, so "
            "frequent words lose share and rare words gain it.",
            "b": "Mikolov et al. (2013b) found 0.75 worked better than both the unigram (1) "
            "and the uniform (0) distribution.",
            "c": "The two are separate; the 0.75 power lowers the frequent words' share of the "
            "noise, it does not raise it.",
        },
    ),
    MultipleChoice(
        id="04.q2",
        question="What does subsampling of frequent words do?",
        options={
            "a": "It drops rare words from the vocabulary.",
            "b": "It randomly drops occurrences of very frequent words such as 'the', which "
            "speeds training up and lets the window reach more informative neighbours.",
            "c": "It draws frequent words less often as noise words.",
        },
        answer="b",
        explanations={
            "a": "That is min_count.",
            "b": "A word with frequency f is kept with probability about sqrt(t / f).",
            "c": "That is the 0.75 power of the noise distribution; subsampling removes words "
            "from the training text itself.",
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
            "c": "The bias moves to a second direction, orthogonal to the first, which a second "
            "round of neutralising removes.",
        },
        answer="b",
        explanations={
            "a": "A classifier still recovers the gender bias of neutralised words accurately.",
            "b": "Removing one direction hides the bias from that one measurement only.",
            "c": "There is no single second direction to remove: the bias is spread through the "
            "geometry, in which words are each other's neighbours.",
        },
    ),
    MultipleChoice(
        id="04.q5",
        question="Skip-gram and CBOW differ in what predicts what. Which is right?",
        options={
            "a": "Skip-gram: the centre word predicts each context word. CBOW: the mean of the "
            "context words' vectors predicts the centre word.",
            "b": "Skip-gram: the mean of the context words' vectors predicts the centre word. "
            "CBOW: the centre word predicts each context word.",
            "c": "Skip-gram: the centre word predicts each context word. CBOW: the context "
            "words' vectors, concatenated in order, predict the centre word.",
        },
        answer="a",
        explanations={
            "a": "CBOW averages the context, so it is faster; skip-gram makes one example per pair "
            "and tends to do better on rare words.",
            "b": "The other way round: skip-gram 'skips' from the centre to each context word.",
            "c": "CBOW is a *bag* of words: it averages the context vectors, so their order is "
            "lost (concatenating is Bengio et al.'s neural language model of notebook 03).",
        },
    ),
    NumericAnswer(
        id="04.q6",
        question="Skip-gram with a fixed window of 2 (no dynamic window, no subsampling) on one "
        "sentence of 6 words: how many (centre, context) pairs does it make?",
        answer=18,
        explanation="The first and last words have 2 neighbours within 2 positions, the second "
        "and fifth 3, the two middle ones 4: 2 + 3 + 4 + 4 + 3 + 2 = 18. Sentence ends cut "
        "windows short, which is why counting the pairs beats estimating them.",
    ),
    NumericAnswer(
        id="04.q7",
        question="In a corpus, P(w, c) = 0.002, P(w) = 0.01 and P(c) = 0.05. What is "
        "PMI(w, c), with the natural logarithm?",
        answer=float(np.log(4.0)),
        explanation="log(0.002 / (0.01 * 0.05)) = log 4 ≈ 1.386: w and c meet 4 times as often "
        "as chance. Skip-gram with K = 5 noise words would aim for u_c · v_w = PMI - log 5 "
        "≈ -0.22 (Levy & Goldberg 2014).",
    ),
]
