"""Word vectors and their queries: neighbours, analogies (3CosAdd, 3CosMul), similarity and
evaluations on analogy and word-similarity sets, with their confidence intervals.

    wv = load_glove()                        # or word2vec.train(...), or any words and vectors
    wv.most_similar("king")                  # [(word, cosine), ...]
    wv.analogy("man", "king", "woman")[0][0]  # man : king :: woman : ? -> 'queen'
    wv.evaluate_analogies().accuracy         # Google's analogy questions

`WordVectors` holds any set of word vectors (ours from `helpers.vectors.word2vec.train`, gensim's,
or the shipped GloVe subset), saves and loads them, and answers neighbour, analogy and evaluation
queries. The training lives in `helpers.vectors.word2vec`.
"""

from __future__ import annotations

import difflib
import io
import math
import zipfile
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from helpers import data

GLOVE = "glove_6b_50d_top20k.npz"
ANALOGIES = "questions-words.txt"
WORDSIM = "wordsim353.tsv"
SIMLEX = "simlex999.txt"
# 3CosMul's epsilon: Levy & Goldberg (2014) use 0.001; gensim's most_similar_cosmul uses 1e-6
COSMUL_EPSILON = 1e-3

# A small analogy set that Shakespeare's vocabulary supports: in each section, any two pairs
# (a, b) and (c, d) make the question a : b :: c : d.
SHAKESPEARE_ANALOGY_PAIRS = {
    "gender": [
        ("king", "queen"), ("lord", "lady"), ("he", "she"), ("his", "her"), ("man", "woman"),
        ("father", "mother"), ("son", "daughter"), ("brother", "sister"), ("husband", "wife"),
        ("uncle", "aunt"), ("prince", "princess"), ("duke", "duchess"), ("sir", "madam"),
        ("boy", "girl"), ("master", "mistress"), ("gentleman", "gentlewoman"),
        ("men", "women"), ("lords", "ladies"),
    ],
    "thou-verbs": [
        ("have", "hast"), ("do", "dost"), ("will", "wilt"), ("shall", "shalt"), ("can", "canst"),
        ("are", "art"), ("would", "wouldst"), ("should", "shouldst"), ("could", "couldst"),
        ("may", "mayst"),
    ],
    "plural": [
        ("lord", "lords"), ("friend", "friends"), ("eye", "eyes"), ("hand", "hands"),
        ("heart", "hearts"), ("sword", "swords"), ("soldier", "soldiers"), ("enemy", "enemies"),
        ("word", "words"), ("thing", "things"), ("day", "days"), ("god", "gods"),
        ("king", "kings"), ("son", "sons"),
    ],
}  # fmt: skip


def analogy_questions(sections: dict[str, Sequence[tuple[str, str]]]) -> list[str]:
    """Google-format analogy lines from word pairs: `: section`, then `a b c d` for every ordered
    choice of two different pairs (a, b), (c, d) of the section (n pairs make n (n - 1) lines)."""
    lines = []
    for name, pairs in sections.items():
        lines.append(f": {name}")
        lines += [f"{a} {b} {c} {d}" for (a, b) in pairs for (c, d) in pairs if (a, b) != (c, d)]
    return lines


# --------------------------------------------------------------------------------------------
# Word vectors: neighbours, analogies, evaluations, saving.


class UnknownWordError(ValueError):
    """A word that is not in the vocabulary; the message lists close matches."""


def _check_positive_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation: Pearson correlation of the ranks (ties get their mean rank)."""
    rx, ry = _ranks(np.asarray(x, dtype=float)), _ranks(np.asarray(y, dtype=float))
    rx, ry = rx - rx.mean(), ry - ry.mean()
    return float((rx * ry).sum() / math.sqrt((rx * rx).sum() * (ry * ry).sum()))


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of `values` (n,), ties sharing their mean rank."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    last = np.cumsum(counts)  # the rank of the last member of each group of equal values
    return ((last - counts + 1 + last) / 2.0)[inverse.reshape(-1)]


def spearman_interval(rho: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """An approximate confidence interval for Spearman's rho from n pairs: Fisher's z =
    atanh(rho) is close to normal with variance 1.06 / (n - 3) (Fieller, Hartley & Pearson
    1957). With n = 100 it is about rho ± 0.2: small differences between models are noise."""
    if n < 4:
        raise ValueError(f"n must be at least 4 pairs, got {n}")
    half = _normal_quantile(level) * math.sqrt(1.06 / (n - 3))
    z = math.atanh(max(min(rho, 1 - 1e-12), -1 + 1e-12))
    return math.tanh(z - half), math.tanh(z + half)


def wilson_interval(correct: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson's confidence interval for an accuracy of `correct` out of `n` (a binomial share);
    unlike p ± 1.96 sqrt(p (1 - p) / n) it stays inside [0, 1] and works for p near 0 or 1."""
    if n < 1 or not 0 <= correct <= n:
        raise ValueError(f"need 0 <= correct <= n and n >= 1, got correct={correct}, n={n}")
    z = _normal_quantile(level)
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _normal_quantile(level: float) -> float:
    """z with P(|Z| < z) = level for a standard normal Z (1.96 for 0.95)."""
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    return float(torch.special.ndtri(torch.tensor((1 + level) / 2, dtype=torch.float64)))


def paired_bootstrap(
    statistic, first: np.ndarray, second: np.ndarray, resamples: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """A 95% interval for statistic(first) - statistic(second) when both are measured on the
    same items: rows of `first` and `second` ((n, ...) arrays, row i = item i) are resampled
    together, so the variation common to both (an easy question) cancels. If the interval
    contains 0, the difference is within the noise of the n items."""
    first, second = np.asarray(first), np.asarray(second)
    if len(first) != len(second) or len(first) < 2:
        raise ValueError(
            f"first and second must have the same number (>= 2) of rows, got {len(first)} "
            f"and {len(second)}"
        )
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(first), size=(resamples, len(first)))
    diffs = np.array([statistic(first[r]) - statistic(second[r]) for r in rows])
    low, high = np.quantile(diffs, [0.025, 0.975])
    return float(low), float(high)


@dataclass(frozen=True)
class AnalogyResult:
    """Accuracy on the analogy questions whose four words are all in the vocabulary."""

    correct: int
    answered: int  # questions with all four words in the vocabulary
    total: int  # all questions in the file
    sections: dict[str, tuple[int, int]]  # section -> (correct, answered)
    # per answered question, section by section in file order: the answer's row, and if right
    predicted: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64), repr=False)
    outcomes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool), repr=False)

    @property
    def interval(self) -> tuple[float, float]:
        """Wilson's 95% interval for the accuracy (see `wilson_interval`)."""
        return wilson_interval(self.correct, self.answered)

    @property
    def accuracy(self) -> float:
        return self.correct / self.answered if self.answered else float("nan")

    @property
    def coverage(self) -> float:
        """The in-vocabulary share of the questions."""
        return self.answered / self.total if self.total else float("nan")


@dataclass(frozen=True)
class SimilarityResult:
    """Spearman correlation between cosine similarities and human scores on in-vocabulary pairs."""

    spearman: float
    pairs: int  # pairs used
    total: int  # pairs in the file
    # per pair used: the model's cosine and the human score
    model_scores: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    human_scores: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)

    @property
    def coverage(self) -> float:
        return self.pairs / self.total if self.total else float("nan")

    @property
    def interval(self) -> tuple[float, float]:
        """An approximate 95% interval for the correlation (see `spearman_interval`)."""
        return spearman_interval(self.spearman, self.pairs)


Source = str | Path | Sequence[str]


def _lines(source: Source) -> list[str]:
    """The lines of a shipped asset (by name, e.g. "questions-words.txt"), of a file, or the
    list of lines itself."""
    if isinstance(source, list | tuple):
        return [str(line) for line in source]
    if isinstance(source, str) and source in data.manifest():
        return data.path(source).read_text(encoding="utf-8").splitlines()
    file = Path(source)
    if not file.exists():
        raise FileNotFoundError(f"no such file or shipped asset: {source!r}")
    return file.read_text(encoding="utf-8").splitlines()


class WordVectors:
    """A fixed set of word vectors with similarity, neighbour and analogy queries.

    words: V distinct strings; vectors: (V, D) array. Lookups are exact, then lower-cased; an
    unknown word raises UnknownWordError naming close matches.
    """

    def __init__(self, words: Sequence[str], vectors: np.ndarray):
        vectors = np.asarray(vectors, dtype=np.float32)
        words = [str(w) for w in words]
        if vectors.ndim != 2 or len(words) != len(vectors):
            raise ValueError(
                f"vectors must have shape (len(words), D) = ({len(words)}, D), got {vectors.shape}"
            )
        if len(set(words)) != len(words):
            raise ValueError("words must be distinct")
        self.words = words
        self.vectors = vectors
        self.index = {w: i for i, w in enumerate(words)}
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        self.unit = vectors / np.maximum(norms, 1e-12)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and (word in self.index or word.lower() in self.index)

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    def id(self, word: str) -> int:
        """The row of `word`; raises UnknownWordError with close matches if it is unknown."""
        if not isinstance(word, str):
            raise TypeError(f"word must be a str, got {type(word).__name__}")
        if word in self.index:
            return self.index[word]
        if word.lower() in self.index:
            return self.index[word.lower()]
        close = difflib.get_close_matches(word.lower(), self.words, n=5, cutoff=0.75)
        hint = f"; close matches: {', '.join(close)}" if close else "; no close matches"
        raise UnknownWordError(f"{word!r} is not in the vocabulary ({len(self)} words){hint}")

    def __getitem__(self, word: str) -> np.ndarray:
        return self.vectors[self.id(word)]

    def similarity(self, w1: str, w2: str) -> float:
        """Cosine similarity of two words' vectors, in [-1, 1]."""
        return float(self.unit[self.id(w1)] @ self.unit[self.id(w2)])

    def nearest(
        self, vector: np.ndarray, k: int = 10, exclude: Iterable[str] = ()
    ) -> list[tuple[str, float]]:
        """The k words whose vectors have the highest cosine with `vector` (D,), best first."""
        _check_positive_int("k", k)
        vector = np.asarray(vector, dtype=np.float32)
        scores = self.unit @ (vector / max(float(np.linalg.norm(vector)), 1e-12))
        return self._top(scores, k, exclude)

    def _top(self, scores: np.ndarray, k: int, exclude: Iterable[str]) -> list[tuple[str, float]]:
        banned = [self.id(w) for w in exclude]
        scores = scores.copy()
        scores[banned] = -np.inf
        k = min(k, len(self) - len(set(banned)))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(self) else np.arange(len(self))
        top = top[np.argsort(-scores[top], kind="stable")][:k]
        return [(self.words[i], float(scores[i])) for i in top]

    def most_similar(self, word: str, k: int = 10) -> list[tuple[str, float]]:
        """The k nearest words to `word` by cosine similarity (the word itself left out)."""
        return self.nearest(self.unit[self.id(word)], k, exclude=[word])

    def analogy(
        self,
        a: str,
        b: str,
        c: str,
        k: int = 1,
        method: str = "3cosadd",
        epsilon: float = COSMUL_EPSILON,
    ) -> list[tuple[str, float]]:
        """Answers to a : b :: c : ?, best first, the three question words left out.

        "3cosadd" ranks words d by cos(d, b - a + c) on unit vectors (Mikolov et al. 2013c);
        "3cosmul" (Levy & Goldberg 2014) by cos'(d, b) cos'(d, c) / (cos'(d, a) + epsilon) with
        cos' = (cos + 1) / 2, which stops one large similarity from dominating the sum. The
        paper's epsilon is 0.001 (the default); gensim's `most_similar_cosmul` uses 1e-6, and
        with epsilon=1e-6 the answers are gensim's.
        """
        ia, ib, ic = self.id(a), self.id(b), self.id(c)
        scores = self._analogy_scores(ia, ib, ic, method, epsilon)
        return self._top(scores, k, exclude=[a, b, c])

    def _analogy_scores(self, ia, ib, ic, method: str, epsilon: float) -> np.ndarray:
        """Every word's score as the answer; ia, ib, ic: ints -> (V,), or (Q,) arrays -> (Q, V)."""
        if method == "3cosadd":
            target = self.unit[ib] - self.unit[ia] + self.unit[ic]
            norm = np.linalg.norm(target, axis=-1, keepdims=True)
            return (target / np.maximum(norm, 1e-12)) @ self.unit.T
        if method == "3cosmul":
            if not epsilon > 0:
                raise ValueError(f"epsilon must be > 0, got {epsilon!r}")
            cos = [(self.unit[i] @ self.unit.T + 1.0) / 2.0 for i in (ia, ib, ic)]
            return cos[1] * cos[2] / (cos[0] + epsilon)
        raise ValueError(f"method must be '3cosadd' or '3cosmul', got {method!r}")

    def evaluate_analogies(
        self,
        source: Source = ANALOGIES,
        method: str = "3cosadd",
        within: Collection[str] | None = None,
        epsilon: float = COSMUL_EPSILON,
    ) -> AnalogyResult:
        """Accuracy on analogies in Google's format (`: section` lines, then `a b c d` lines).

        Words are compared lower-case. Questions with a word outside the vocabulary, or outside
        `within` if given (e.g. the words every compared model knows, so that all are scored on
        the same questions), are skipped and counted in `total` only; the answer must be the top
        word other than a, b and c. `source` is a shipped asset name, a path, or a list of lines.
        """
        sections: dict[str, list[tuple[int, int, int, int]]] = {}
        total, current = 0, "(no section)"
        for line in _lines(source):
            if line.startswith(":"):
                current = line[1:].strip()
                sections.setdefault(current, [])
                continue
            words = line.lower().split()
            if len(words) != 4:
                continue
            total += 1
            if all(w in self.index and (within is None or w in within) for w in words):
                sections.setdefault(current, []).append(tuple(self.index[w] for w in words))
        scores, predicted, outcomes = {}, [], []
        for name, questions in sections.items():
            q = np.array(questions, dtype=np.int64).reshape(-1, 4)
            answers = self._answers(q, method, epsilon)
            predicted.append(answers)
            outcomes.append(answers == q[:, 3])
            scores[name] = (int(outcomes[-1].sum()), len(q))
        correct = sum(c for c, _ in scores.values())
        answered = sum(n for _, n in scores.values())
        predicted_all = np.concatenate(predicted) if predicted else np.zeros(0, dtype=np.int64)
        outcomes_all = np.concatenate(outcomes) if outcomes else np.zeros(0, dtype=bool)
        return AnalogyResult(correct, answered, total, scores, predicted_all, outcomes_all)

    def _answers(
        self, questions: np.ndarray, method: str, epsilon: float, chunk: int = 512
    ) -> np.ndarray:
        """The top answer's row for each question (Q, 4) of rows, a, b and c left out: (Q,)."""
        answers = []
        for start in range(0, len(questions), chunk):
            q = questions[start : start + chunk]
            scores = self._analogy_scores(q[:, 0], q[:, 1], q[:, 2], method, epsilon)
            rows = np.arange(len(q))[:, None]
            scores[rows, q[:, :3]] = -np.inf
            answers.append(scores.argmax(axis=1))
        return np.concatenate(answers) if answers else np.zeros(0, dtype=np.int64)

    def evaluate_similarity(
        self, source: Source = WORDSIM, within: Collection[str] | None = None
    ) -> SimilarityResult:
        """Spearman correlation of cosine similarity with human ratings (`w1 <tab> w2 <tab> score`,
        `#` comments), on the pairs whose two words are in the vocabulary (and in `within`, if
        given: e.g. the words every compared model knows)."""
        model, human, total = [], [], 0
        for line in _lines(source):
            if not line.strip() or line.startswith("#"):
                continue
            w1, w2, score = line.lower().split("\t")[:3]
            total += 1
            known = w1 in self.index and w2 in self.index
            if known and (within is None or (w1 in within and w2 in within)):
                model.append(self.similarity(w1, w2))
                human.append(float(score))
        rho = spearman(model, human) if len(model) > 1 else float("nan")
        return SimilarityResult(rho, len(model), total, np.array(model), np.array(human))

    def to_bytes(self, dtype: str = "float32") -> bytes:
        """The vectors as a .npz archive (arrays `words`, `vectors`); the same bytes every time."""
        buf = io.BytesIO()
        arrays = {"words": np.array(self.words), "vectors": self.vectors.astype(dtype)}
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, array in arrays.items():
                # a fixed timestamp keeps the archive byte-identical across rebuilds
                info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                payload = io.BytesIO()
                np.lib.format.write_array(payload, array, allow_pickle=False)
                archive.writestr(info, payload.getvalue())
        return buf.getvalue()

    def save(self, path: str | Path, dtype: str = "float32") -> None:
        """Write the vectors to `path` (.npz; dtype "float32" or "float16")."""
        Path(path).write_bytes(self.to_bytes(dtype))

    @classmethod
    def load(cls, path: str | Path) -> WordVectors:
        """Read vectors written by `save` (no pickles are loaded)."""
        with np.load(path, allow_pickle=False) as archive:
            return cls(archive["words"].tolist(), archive["vectors"].astype(np.float32))

    def __repr__(self) -> str:
        return f"WordVectors({len(self)} words, dim {self.dim})"


def load_glove() -> WordVectors:
    """The shipped GloVe 6B 50-d subset: the 20,000 most frequent words (Pennington et al. 2014)."""
    return WordVectors.load(data.path(GLOVE))


def neighbour_overlap(
    first: WordVectors, second: WordVectors, words: Sequence[str], k: int = 10
) -> float:
    """Mean share of common words among the k nearest neighbours of each of `words` in two sets
    of vectors (1.0: identical neighbourhoods). Words missing from either set are skipped."""
    shared = [w for w in words if w in first and w in second]
    if not shared:
        raise ValueError("none of `words` is in both vocabularies")
    overlaps = [
        len(
            {w for w, _ in first.most_similar(word, k)}
            & {w for w, _ in second.most_similar(word, k)}
        )
        / k
        for word in shared
    ]
    return float(np.mean(overlaps))
