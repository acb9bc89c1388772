"""Exercises and review questions of notebook 00, welcome."""

from __future__ import annotations

import math

import numpy as np

from helpers.exercises.checking import Case, Exercise, MultipleChoice, NumericAnswer


def softmax(logits, temperature=1.0):
    z = np.asarray(logits, dtype=float) / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_cases() -> list[Case]:
    return [
        Case((np.array([2.0, 1.0, 0.1]),)),
        Case((np.array([0.0, 0.0, 0.0, 0.0]),)),
        Case((np.array([2.0, 1.0, 0.1]),), {"temperature": 0.5}),
        Case((np.array([2.0, 1.0, 0.1]),), {"temperature": 4.0}),
        Case((np.array([1000.0, 1001.0, 1002.0]),)),
        Case(
            (np.array([[1.0, 2.0, 4.0], [0.0, 3.0, 1.0], [2.0, 2.0, 0.0]]),),
            label="a square batch of 3 rows, logits [[1, 2, 4], [0, 3, 1], [2, 2, 0]]",
        ),
        Case(
            (np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]]),),
            label="a batch of 2 rows, logits [[1, 2, 3], [1, 1, 1]]",
        ),
        Case(
            (np.array([[1000.0, 1001.0, 1002.0], [0.0, 1.0, 2.0]]),),
            label="a batch of 2 rows of very different scales, logits [[1000, 1001, 1002], "
            "[0, 1, 2]]",
        ),
        Case(
            (np.array([-1000.0, 0.0, 800.0]),),
            label="logits [-1000, 0, 800] (a wide range: only subtracting the max is safe)",
        ),
    ]


def _same(got: np.ndarray, candidate) -> bool:
    """Whether `got` equals what a (mistaken) candidate computes, nan where it has nan."""
    with np.errstate(all="ignore"):
        want = np.asarray(candidate(), dtype=float)
    return want.shape == got.shape and bool(np.allclose(got, want, equal_nan=True))


def _no_keepdims(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1))  # broadcasts row j's max along column j of a square batch
    return e / e.sum(axis=-1)


def _diagnose_softmax(case: Case, expected, got) -> str | None:
    got = np.asarray(got, dtype=float)
    if got.shape != expected.shape:
        return None
    z = np.asarray(case.args[0], dtype=float) / case.kwargs.get("temperature", 1.0)
    global_max = np.exp(z - z.max())
    if z.ndim == 2 and _same(got, lambda: global_max / global_max.sum(axis=-1, keepdims=True)):
        return (
            "you subtracted the largest logit of the whole batch, not of each row: a row whose "
            "logits are far below it underflows to exp() = 0 everywhere, and 0/0 is nan. Use "
            "z.max(axis=-1, keepdims=True)."
        )
    if z.ndim == 2 and z.shape[0] == z.shape[1] and _same(got, lambda: _no_keepdims(z)):
        return (
            "without keepdims=True, z.max(axis=-1) and the row sums broadcast along the wrong "
            "axis (column j gets row j's value): use keepdims=True so each row uses its own."
        )
    minus_min = z - z.min(axis=-1, keepdims=True)
    if _same(got, lambda: np.exp(minus_min) / np.exp(minus_min).sum(axis=-1, keepdims=True)):
        return (
            "you subtracted the smallest logit: the others then stay huge and exp() overflows "
            "to inf. Subtract the largest, z.max(axis=-1, keepdims=True)."
        )
    if not np.isfinite(got).all():
        with np.errstate(over="ignore"):
            overflows = not np.isfinite(np.exp(z)).all()
        if not overflows:
            return (
                "your result has nan or inf although exp() of these logits does not overflow: "
                "look for a division by a sum that underflowed to 0."
            )
        return (
            "exp() of these large logits overflows to inf (and inf/inf is nan): subtract the "
            "largest logit of each row first. It cancels out in the ratio."
        )
    sums = got.sum(axis=-1)
    if not np.allclose(sums, 1.0):
        if got.ndim == 2 and np.isclose(got.sum(), 1.0):
            return "you normalised over the whole batch: each row should sum to 1 (axis=-1)."
        if got.ndim == 2 and np.allclose(got.sum(axis=0), 1.0):
            return "your columns sum to 1: normalise each row instead (sum with axis=-1)."
        return (
            f"your probabilities sum to {np.round(sums, 4).tolist()}, not 1: divide the "
            "exponentials by their sum."
        )
    t = case.kwargs.get("temperature", 1.0)
    if t != 1.0 and np.allclose(got, softmax(*case.args, temperature=1 / t)):
        return "you multiplied the logits by the temperature; divide them by it instead."
    if t != 1.0 and np.allclose(got, softmax(*case.args)):
        return "the temperature is ignored: divide the logits by it before exponentiating."
    return None


def sample_index(probs, u):
    cdf = np.cumsum(probs)
    i = int(np.searchsorted(cdf, u, side="right"))
    return min(i, len(probs) - 1)  # guards against a cumulative sum that rounds to 0.9999


def _sample_cases() -> list[Case]:
    p = np.array([0.1, 0.2, 0.3, 0.4])
    return [
        Case((p, 0.05)),
        Case((p, 0.15)),
        Case((p, 0.5)),
        Case((p, 0.95)),
        Case((p, 0.0), label="probs [0.1, 0.2, 0.3, 0.4], u=0.0"),
        Case(
            (np.array([0.25, 0.25, 0.5]), 0.5),
            label="probs [0.25, 0.25, 0.5], u=0.5 (exactly on a boundary)",
        ),
        Case((np.array([0.0, 1.0, 0.0]), 0.0), label="probs [0, 1, 0], u=0.0"),
        Case((np.array([0.5, 0.0, 0.5]), 0.5), label="probs [0.5, 0, 0.5], u=0.5"),
        Case(
            (np.full(10, 0.1), 0.9999999999999999),
            label="probs [0.1] * 10 (their cumulative sum rounds to 0.9999999999999999), "
            "u=0.9999999999999999",
        ),
    ]


def _diagnose_sample(case: Case, expected, got) -> str | None:
    probs, u = case.args
    if not isinstance(got, int | np.integer):
        return None
    if got >= len(probs):
        return (
            f"index {int(got)} is past the end: rounding makes the cumulative sum end just below "
            "1 (here below u), so no entry exceeds u. Fall back to the last index."
        )
    if got == 0 and np.cumsum(probs)[-1] <= u:
        return (
            "no cumulative sum exceeds u here (rounding), and argmax of an all-False array is 0: "
            "fall back to the last index instead."
        )
    if got != expected and got == next((i for i, q in enumerate(probs) if u < q), -1):
        return (
            "you compared u with each probability on its own; compare it with the running "
            "total (the cumulative sum), which is where each segment ends."
        )
    if got == expected - 1:
        return (
            "one index too low: when u lands exactly on a boundary, pick the next token "
            "(compare with >, not >=, or use searchsorted(..., side='right'))."
        )
    if got == expected + 1:
        return "one index too high: return the first index whose cumulative sum exceeds u."
    return "walk the cumulative sum: the answer is the first index where it exceeds u."


def sentence_log_likelihood(bigram_probs, tokens):
    total = 0.0
    for prev, word in zip(tokens[:-1], tokens[1:], strict=True):
        p = bigram_probs.get(prev, {}).get(word, 0.0)
        if p == 0.0:
            return -math.inf
        total += math.log(p)
    return total


BIGRAMS = {
    "<s>": {"the": 0.6, "a": 0.4},
    "the": {"cat": 0.5, "dog": 0.3, "end": 0.2},
    "a": {"cat": 0.2, "dog": 0.8},
    "cat": {"sat": 0.7, "</s>": 0.3},
    "dog": {"sat": 0.4, "</s>": 0.6},
    "sat": {"</s>": 1.0},
}


def _log_likelihood_cases() -> list[Case]:
    def case(words: str) -> Case:
        tokens = words.split()
        return Case((BIGRAMS, tokens), label=f"the bigram table above, tokens {tokens}")

    return [
        case("<s> the cat sat </s>"),
        case("<s> a dog </s>"),
        case("<s> the dog sat </s>"),
        case("<s> a cat sat </s>"),
        case("<s> the cat"),
        case("<s>"),
        case("<s> the sat </s>"),
        case("<s> the end </s>"),  # "end" has no row at all
    ]


def _pair_log_probs(tokens) -> list[float]:
    return [math.log(BIGRAMS[a][b]) for a, b in zip(tokens[:-1], tokens[1:], strict=True)]


def _diagnose_log_likelihood(case: Case, expected, got) -> str | None:
    if not isinstance(got, int | float) or math.isnan(got):
        return None
    if math.isinf(expected):
        return (
            "a pair with probability 0 makes the whole sentence impossible: return -inf "
            "(skipping the pair, or adding 0 for it, hides that)."
        )
    if math.isinf(got):
        return "every pair of this sentence has a probability above 0: the answer is finite."
    if expected != 0 and math.isclose(got, expected / math.log(10), rel_tol=1e-6):
        return "that is a base-10 logarithm; use the natural log, math.log."
    if math.isclose(got, math.exp(expected), rel_tol=1e-6):
        return "that is the probability itself (a product); return its logarithm (a sum of logs)."
    if math.isclose(got, -expected, rel_tol=1e-6):
        return "wrong sign: a log-likelihood is a sum of log-probabilities, so it is <= 0."
    terms = _pair_log_probs(case.args[1])
    if len(terms) > 1 and math.isclose(got, expected / len(terms), rel_tol=1e-9):
        return "you averaged over the pairs; the log-likelihood is their sum (do not divide)."
    if len(terms) > 1 and math.isclose(got, sum(terms[1:]), rel_tol=1e-9):
        return "the first pair (<s>, first word) is missing: start with the 2nd token."
    if len(terms) > 1 and math.isclose(got, sum(terms[:-1]), rel_tol=1e-9):
        return "the last pair is missing: score every token up to and including the last."
    return (
        "sum log p(token | previous token) over each consecutive pair, starting at the 2nd token."
    )


def average_nll(target_probs):
    p = np.asarray(target_probs, dtype=float)
    return float(-np.log(p).mean())


def _nll_cases() -> list[Case]:
    return [
        Case(([0.5, 0.25, 0.125],)),
        Case(([1.0, 1.0],)),
        Case(([0.9],)),
        Case(([0.1, 0.2, 0.3, 0.4, 0.5],)),
        Case((np.array([0.01, 0.99]),)),
    ]


def _diagnose_nll(case: Case, expected, got) -> str | None:
    try:
        got = float(got)
    except (TypeError, ValueError):
        return None
    p = np.asarray(case.args[0], dtype=float)
    n = len(p)
    if math.isclose(got, -expected, rel_tol=1e-6) and expected != 0:
        return "wrong sign: the loss is the *negative* log-likelihood, so it is >= 0."
    if n > 1 and math.isclose(got, expected * n, rel_tol=1e-6):
        return "that is the sum; the loss averages over tokens (divide by how many there are)."
    if n > 1 and math.isclose(got, expected * n / (n - 1), rel_tol=1e-6):
        return "you divided by n - 1; the average divides by the number of tokens, n."
    if math.isclose(got, expected / math.log(2), rel_tol=1e-6):
        return "that is in bits (log base 2); the usual loss uses the natural log."
    if math.isclose(got, -math.log(p.mean()), rel_tol=1e-6):
        return "that is -log of the average probability; average the -log p of each token."
    if math.isclose(got, float(-(p * np.log(p)).sum()), rel_tol=1e-6) or math.isclose(
        got, float(-(p * np.log(p)).mean()), rel_tol=1e-6
    ):
        return (
            "you weighted each -log p by p itself (an entropy formula); these are the "
            "probabilities of the tokens that did occur, so average -log p with equal weights."
        )
    if math.isclose(got, math.exp(expected), rel_tol=1e-6):
        return "that is the perplexity, exp(loss); the loss itself is the average -log p."
    return "average -log p over the tokens."


def top_k_filter(probs, k):
    p = np.asarray(probs, dtype=float)
    keep = np.argsort(-p, kind="stable")[:k]  # stable: among equal values the earlier index wins
    out = np.zeros_like(p)
    out[keep] = p[keep]
    return out / out.sum()


def _top_k_cases() -> list[Case]:
    p = np.array([0.4, 0.3, 0.2, 0.1])
    return [
        Case((p, 2)),
        Case((p, 1), label="probs [0.4, 0.3, 0.2, 0.1], k=1"),
        Case((p, 4), label="probs [0.4, 0.3, 0.2, 0.1], k=4 (= V: keep all)"),
        Case((p, 10), label="probs [0.4, 0.3, 0.2, 0.1], k=10 (> V: keep all)"),
        Case(
            (np.array([0.1, 0.5, 0.15, 0.25]), 2),
            label="unsorted probs [0.1, 0.5, 0.15, 0.25], k=2",
        ),
        Case(
            (np.array([0.2, 0.1, 0.2, 0.5]), 2),
            label="probs [0.2, 0.1, 0.2, 0.5], k=2 (a tie at the cut: the earlier 0.2 stays)",
        ),
        Case(
            (np.array([0.3, 0.3, 0.3, 0.1]), 1),
            label="probs [0.3, 0.3, 0.3, 0.1], k=1 (a three-way tie: only the first stays)",
        ),
        Case((np.array([2.0, 6.0, 1.0, 1.0]), 3), label="unnormalised weights [2, 6, 1, 1], k=3"),
    ]


def _diagnose_top_k(case: Case, expected, got) -> str | None:
    got = np.asarray(got, dtype=float)
    p, k = np.asarray(case.args[0], dtype=float), case.args[1]
    if got.shape != expected.shape:
        if got.ndim == 1 and len(got) == min(k, len(p)):
            return (
                "return a full-length vector (one entry per token, zeros for the removed ones), "
                "not only the k kept values: the sampler needs to know which token is which."
            )
        return None
    kept, want = int((got > 0).sum()), int((expected > 0).sum())
    if (
        kept == want
        and np.allclose(got / max(got.sum(), 1e-300), expected)
        and not np.isclose(got.sum(), 1.0)
    ):
        return "renormalise: divide the kept probabilities by their sum so they add up to 1."
    if 0 < kept < want:
        return (
            f"only {kept} tokens survive, not k = {k}: a strict > against the k-th largest value "
            "drops the tokens tied with it. Keep exactly k (a stable sort of -probs)."
        )
    if kept > want:
        return (
            f"{kept} tokens survive, not k = {k}: at a tie with the k-th value keep exactly k, "
            "the earlier ones (a stable sort of -probs, then the first k)."
        )
    if kept == want and set(np.flatnonzero(got)) != set(np.flatnonzero(expected)):
        if set(np.flatnonzero(got)) == set(range(min(k, len(p)))):
            return "the input is not sorted: keep the k largest values, wherever they are."
        if np.allclose(np.sort(got[got > 0]), np.sort(expected[expected > 0])):
            return (
                "you kept the right values but the wrong token at the tie: among equal "
                "probabilities the earlier index stays (argsort(-p, kind='stable'))."
            )
        return "keep the k largest probabilities: np.argsort(-probs, kind='stable')[:k]."
    return "zero every probability outside the k largest, then divide by the sum of the rest."


EXERCISES = [
    Exercise(
        id="00.1",
        title="softmax with temperature",
        reference=softmax,
        cases=_softmax_cases,
        diagnose=_diagnose_softmax,
        hints=[
            "Divide the logits by the temperature, then exponentiate, then divide by the sum.",
            "Before exp, subtract z.max(axis=-1, keepdims=True); it cancels in the ratio.",
            "For a batch (2-D input) every row is its own distribution: sum with axis=-1, "
            "keepdims=True so the division broadcasts.",
        ],
    ),
    Exercise(
        id="00.2",
        title="sampling with one uniform number",
        reference=sample_index,
        cases=_sample_cases,
        diagnose=_diagnose_sample,
        hints=[
            "Picture the probabilities as segments laid end to end on [0, 1); u falls in one.",
            "np.cumsum(probs) gives the right end of each segment.",
            "Return the first index i with cumsum[i] > u; np.searchsorted(cdf, u, side='right') "
            "does exactly that.",
        ],
    ),
    Exercise(
        id="00.3",
        title="log-likelihood of a sentence under a bigram model",
        reference=sentence_log_likelihood,
        cases=_log_likelihood_cases,
        diagnose=_diagnose_log_likelihood,
        hints=[
            "Pair each token with the one before it: zip(tokens[:-1], tokens[1:]).",
            "Look up bigram_probs[prev][word]; a missing entry means probability 0.",
            "Add up math.log of each probability; if any is 0, the answer is -math.inf.",
        ],
    ),
    Exercise(
        id="00.4",
        title="the training loss: average negative log-likelihood",
        reference=average_nll,
        cases=_nll_cases,
        diagnose=_diagnose_nll,
        hints=[
            "Take the natural log of each probability.",
            "Average them and flip the sign: -mean(log p).",
        ],
    ),
    Exercise(
        id="00.5",
        title="top-k filtering",
        reference=top_k_filter,
        cases=_top_k_cases,
        diagnose=_diagnose_top_k,
        hints=[
            "Find the indices of the k largest probabilities; everything else becomes 0.",
            "np.argsort(-p, kind='stable')[:k] lists them, earlier indices first among equal "
            "values; it also works for k >= len(p) (it then keeps everything).",
            "Copy the kept values into np.zeros_like(p) and divide by their sum.",
        ],
    ),
    MultipleChoice(
        id="00.q1",
        question="At each step, what does a language model such as GPT compute?",
        options={
            "a": "The single correct next word.",
            "b": "A probability for every token in its vocabulary, as the next token.",
            "c": "The meaning of the sentence, then the words that express it.",
            "d": "A score for each whole sentence it could write.",
        },
        answer="b",
        explanations={
            "a": "The model outputs a distribution; choosing one token is the sampler's job.",
            "b": "One distribution over the whole vocabulary; text comes from drawing from it "
            "again and again.",
            "c": "Nothing in the objective asks for a meaning; it only scores next tokens.",
            "d": "Sentence probabilities are products of next-token probabilities, one at a time.",
        },
    ),
    MultipleChoice(
        id="00.q2",
        question="What does sampling at a temperature close to 0 do?",
        options={
            "a": "It picks tokens uniformly at random.",
            "b": "It always picks the most likely token (greedy decoding).",
            "c": "It makes the model forget its context.",
        },
        answer="b",
        explanations={
            "a": "That is the limit of a very *high* temperature.",
            "b": "Dividing logits by a tiny T blows up the gaps between them: the top token takes "
            "all the probability.",
            "c": "Temperature only reshapes the output distribution; the context is untouched.",
        },
    ),
    MultipleChoice(
        id="00.q3",
        question="Which training stage turns a document-continuing model into an assistant that "
        "answers in a chat format?",
        options={
            "a": "Pretraining on web text.",
            "b": "Supervised fine-tuning on example conversations.",
            "c": "Tokenization.",
        },
        answer="b",
        explanations={
            "a": "Pretraining teaches the language and the world's text, not the assistant format.",
            "b": "SFT shows it thousands of conversations written in the chat format; RL then "
            "refines which answers it prefers.",
            "c": "The tokenizer is fixed before training: it sets the pieces, not the behaviour.",
        },
    ),
    NumericAnswer(
        id="00.q4",
        question="A model gives probability 0.25 to each of the 8 actual next tokens of a text. "
        "What is its average negative log-likelihood per token, in nats?",
        answer=math.log(4),
        tolerance=0.01,
        explanation="-ln(0.25) = ln 4 ≈ 1.386 for every token, so the average is the same.",
        hints=["-ln(p) for one token; every token has the same p."],
    ),
]
