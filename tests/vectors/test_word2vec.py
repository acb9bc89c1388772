"""word2vec from scratch: the loss and its gradients against autograd, the sampling recipes against
their formulas, training quality and determinism, the PPMI baseline and debiasing (the
queries and evaluations of the word vectors are tested in test_word_vectors.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from helpers import data
from helpers.vectors import debias, word_vectors
from helpers.vectors import word2vec as w2v
from helpers.vectors.ppmi import cooccurrence, pca, ppmi, svd_vectors
from helpers.vectors.word_vectors import WordVectors


@pytest.fixture(scope="module")
def sentences():
    return w2v.tokenize(data.load_text("shakespeare", split="all"))


@pytest.fixture(scope="module")
def shakespeare(sentences):
    """A small model on the whole corpus (about 10 s on two cores)."""
    return w2v.train(sentences, dim=50, window=5, epochs=3, seed=0, progress=False)


@pytest.fixture(scope="module")
def glove():
    return word_vectors.load_glove()


def test_tokenize_rule():
    text = (
        "Hamlet:\nTo be, or not to be: that is\nthe question. 'Tis o'er!\n\n"
        "Ophelia:\nGood my lord,\n"
    )
    assert w2v.tokenize(text) == [
        ["to", "be", "or", "not", "to", "be", "that", "is", "the", "question", "tis", "o'er"],
        ["good", "my", "lord"],
    ]
    assert w2v.tokenize("one line, no speaker\n\n\n2 3 4") == [["one", "line", "no", "speaker"]]
    with pytest.raises(TypeError, match="text must be a str"):
        w2v.tokenize(["a list"])


# ---- the loss and its gradients ------------------------------------------------------------


def test_sgns_loss_and_gradients_match_autograd():
    g = torch.Generator().manual_seed(0)
    center = torch.randn(7, 6, generator=g, dtype=torch.float64, requires_grad=True)
    context = torch.randn(7, 6, generator=g, dtype=torch.float64, requires_grad=True)
    negatives = torch.randn(7, 4, 6, generator=g, dtype=torch.float64, requires_grad=True)
    loss, d_c, d_o, d_n = w2v.sgns_loss_and_grads(center, context, negatives)
    pos = (center * context).sum(-1)
    neg = torch.einsum("bkd,bd->bk", negatives, center)
    expected = -torch.log(torch.sigmoid(pos)) - torch.log(torch.sigmoid(-neg)).sum(-1)
    torch.testing.assert_close(loss, expected, rtol=1e-12, atol=1e-12)
    expected.sum().backward()
    for mine, autograd in [(d_c, center.grad), (d_o, context.grad), (d_n, negatives.grad)]:
        torch.testing.assert_close(mine, autograd, rtol=1e-12, atol=1e-12)


class FixedNoise:
    def __init__(self, ids: torch.Tensor):
        self.ids = ids

    def draw(self, shape):
        assert tuple(shape) == tuple(self.ids.shape)
        return self.ids


def _tables(v=9, d=5):
    g = torch.Generator().manual_seed(1)
    return torch.randn(v, d, generator=g, dtype=torch.float64), torch.randn(
        v, d, generator=g, dtype=torch.float64
    )


def test_skipgram_step_is_one_sgd_step_on_the_summed_loss():
    w_in, w_out = _tables()
    centers, contexts = np.array([0, 3, 3, 8]), np.array([1, 2, 0, 3])
    negatives = torch.tensor([[4, 4], [5, 0], [2, 1], [3, 7]])
    a_in, a_out = w_in.clone().requires_grad_(), w_out.clone().requires_grad_()
    c, o = torch.from_numpy(centers), torch.from_numpy(contexts)
    pos = (a_in[c] * a_out[o]).sum(-1)
    neg = torch.einsum("bkd,bd->bk", a_out[negatives], a_in[c])
    # the last pair's first noise word (3) is its context word: word2vec skips it
    use = torch.tensor([[1, 1], [1, 1], [1, 1], [0, 1]], dtype=torch.float64)
    loss = (
        -torch.nn.functional.logsigmoid(pos) - (torch.nn.functional.logsigmoid(-neg) * use).sum(-1)
    ).sum()
    loss.backward()
    total, n = w2v._sg_step(w_in, w_out, (centers, contexts), FixedNoise(negatives), 2, 0.1)
    assert n == 4 and total == pytest.approx(loss.item(), rel=1e-12)
    torch.testing.assert_close(w_in, (a_in - 0.1 * a_in.grad).detach())
    torch.testing.assert_close(w_out, (a_out - 0.1 * a_out.grad).detach())


def test_cbow_step_follows_word2vec_on_the_mean_context_loss():
    w_in, w_out = _tables()
    centers = np.array([2, 5, 2])
    ctx = np.array([[-1, 1, 3, -1], [0, 0, 4, 6], [-1, -1, 7, -1]])
    negatives = torch.tensor([[4, 8, 1], [2, 5, 0], [6, 5, 3]])
    a_out = w_out.clone().requires_grad_()
    hidden = torch.stack([w_in[[i for i in row if i >= 0]].mean(0) for row in ctx])
    hidden.requires_grad_()
    t = torch.from_numpy(centers)
    pos = (hidden * a_out[t]).sum(-1)
    neg = torch.einsum("bkd,bd->bk", a_out[negatives], hidden)
    use = (negatives != t.unsqueeze(1)).to(torch.float64)  # row 1 draws its own centre, 5
    assert use.sum() == 8
    loss = -F.logsigmoid(pos) - (F.logsigmoid(-neg) * use).sum(-1)
    loss.sum().backward()
    # word2vec and gensim (cbow_mean=1) add the hidden vector's whole gradient to each context word
    expected_in = w_in.clone()
    for b, row in enumerate(ctx):
        for i in row[row >= 0]:
            expected_in[i] -= 0.05 * hidden.grad[b]
    total, n = w2v._cbow_step(w_in, w_out, (centers, ctx), FixedNoise(negatives), 3, 0.05)
    assert n == 3 and total == pytest.approx(loss.sum().item(), rel=1e-12)
    torch.testing.assert_close(w_in, expected_in)
    torch.testing.assert_close(w_out, (a_out - 0.05 * a_out.grad).detach())


def test_noise_words_equal_to_the_context_are_skipped():
    # every noise draw is the context word itself: only the positive term may act
    w_in, w_out = _tables(v=3, d=4)
    v, before_out = w_in[0].clone(), w_out.clone()
    batch = (np.array([0]), np.array([1]))
    total, _ = w2v._sg_step(w_in, w_out, batch, FixedNoise(torch.tensor([[1, 1]])), 2, 0.1)
    score = float(v @ before_out[1])
    assert total == pytest.approx(
        -float(F.logsigmoid(torch.tensor(score, dtype=torch.float64))), rel=1e-12
    )
    expected = (
        before_out[1] - 0.1 * (torch.sigmoid(torch.tensor(score, dtype=torch.float64)) - 1) * v
    )
    torch.testing.assert_close(w_out[1], expected)
    # the public function takes the same mask
    loss, _, _, d_n = w2v.sgns_loss_and_grads(
        v.unsqueeze(0),
        before_out[1].unsqueeze(0),
        before_out[[1, 1]].unsqueeze(0),
        use=torch.tensor([[False, False]]),
    )
    assert float(loss) == pytest.approx(total) and float(d_n.abs().max()) == 0.0


def test_learning_rate_decays_to_min_lr_over_the_pairs_built():
    sents = [["a", "b", "c", "d", "e"] * 3] * 400  # short sentences: many windows cut at ends
    for sg in (True, False):
        wv = w2v.train(
            sents,
            dim=4,
            min_count=1,
            epochs=2,
            sg=sg,
            lr=0.025,
            min_lr=1e-4,
            batch_size=256,
            progress=False,
        )
        last_share = 1 - 256 / wv.log.epoch_examples[-1] / 2  # progress at the last batch
        assert wv.log.final_lr <= 1e-4 + (0.025 - 1e-4) * (1 - last_share) + 1e-12
        assert wv.log.final_lr >= 1e-4


# ---- sampling recipes against their formulas -----------------------------------------------


def test_noise_distribution_formula():
    counts = np.array([100, 10, 1, 0])
    probs = w2v.noise_distribution(counts)
    expected = np.array([100**0.75, 10**0.75, 1.0, 0.0]) / (100**0.75 + 10**0.75 + 1)
    np.testing.assert_allclose(probs, expected, rtol=1e-12)
    np.testing.assert_allclose(w2v.noise_distribution(counts, power=1.0), counts / 111)


def test_alias_table_is_exact_and_draws_follow_the_distribution():
    probs = w2v.noise_distribution(np.array([500, 120, 60, 30, 9, 5, 1]))
    accept, alias = w2v.alias_table(probs)
    n = len(probs)
    implied = accept / n
    np.add.at(implied, alias, (1 - accept) / n)
    np.testing.assert_allclose(implied, probs, rtol=1e-12, atol=1e-15)
    draws = w2v._Noise(probs, seed=3).draw((200_000,)).numpy()
    freq = np.bincount(draws, minlength=n) / len(draws)
    # binomial standard error: each frequency within 5 sigma of its probability
    np.testing.assert_array_less(
        np.abs(freq - probs), 5 * np.sqrt(probs * (1 - probs) / 2e5) + 1e-9
    )


def test_keep_probabilities_formula_and_empirical_rate():
    counts = np.array([50_000, 5_000, 500, 50, 5])
    t = 1e-3
    f = counts / counts.sum()
    expected = np.minimum(1.0, (np.sqrt(f / t) + 1) * t / f)
    keep = w2v.keep_probabilities(counts, t)
    np.testing.assert_allclose(keep, expected, rtol=1e-12)
    assert keep[0] < 0.2 and keep[-1] == 1.0
    np.testing.assert_array_equal(w2v.keep_probabilities(counts, 0), np.ones(5))
    ids = np.repeat(np.arange(5), counts)
    tokens, _ = w2v._epoch_windows(ids, np.zeros_like(ids), keep, 2, np.random.default_rng(0))
    kept = np.bincount(tokens, minlength=5) / counts
    np.testing.assert_array_less(np.abs(kept - keep), 5 * np.sqrt(0.25 / counts))
    with pytest.raises(ValueError, match="sample must be >= 0"):
        w2v.keep_probabilities(counts, -1)


def test_dynamic_window_weights_offsets_by_distance():
    window, n = 4, 40_000
    ids = np.arange(n) % 7
    tokens, ctx = w2v._epoch_windows(
        ids, np.zeros(n, dtype=int), np.ones(7), window, np.random.default_rng(0)
    )
    assert len(tokens) == n
    offsets = np.r_[-window:0, 1 : window + 1]
    used = (ctx >= 0).mean(axis=0)
    # offset d is used when the centre's window b >= d: probability (window - |d| + 1) / window
    np.testing.assert_allclose(used, (window - np.abs(offsets) + 1) / window, atol=0.01)
    row = 100
    for j, d in enumerate(offsets):
        if ctx[row, j] >= 0:
            assert ctx[row, j] == ids[row + d]


def test_windows_stay_inside_sentences():
    ids = np.arange(6)
    sent = np.array([0, 0, 0, 1, 1, 1])
    _, ctx = w2v._epoch_windows(ids, sent, np.ones(6), 5, np.random.default_rng(0))
    for i, row in enumerate(ctx):
        assert all(sent[c] == sent[i] for c in row if c >= 0)


# ---- training ------------------------------------------------------------------------------


def test_training_is_deterministic_for_a_seed():
    sents = [["a", "b", "c", "a", "d", "b"] * 5, ["c", "d", "a", "a", "b"] * 4] * 20
    for sg in (True, False):
        one = w2v.train(
            sents, dim=8, window=2, min_count=1, epochs=2, sg=sg, seed=5, progress=False
        )
        two = w2v.train(
            sents, dim=8, window=2, min_count=1, epochs=2, sg=sg, seed=5, progress=False
        )
        other = w2v.train(
            sents, dim=8, window=2, min_count=1, epochs=2, sg=sg, seed=6, progress=False
        )
        np.testing.assert_array_equal(one.vectors, two.vectors)
        assert not np.allclose(one.vectors, other.vectors)
        assert one.words == ["a", "b", "c", "d"]


def test_quality_floor_on_shakespeare(shakespeare):
    log = shakespeare.log
    assert log.epoch_loss[-1] < log.epoch_loss[0]
    neighbours = [w for w, _ in shakespeare.most_similar("king", 10)]
    assert {"queen", "prince", "duke"} & set(neighbours), neighbours
    assert shakespeare.similarity("lord", "lady") > shakespeare.similarity("lord", "sword")
    top = [w for w, _ in shakespeare.analogy("he", "she", "his", k=3)]
    assert "her" in top, top


def test_cbow_learns_too(sentences):
    wv = w2v.train(sentences, dim=50, epochs=3, sg=False, seed=0, progress=False)
    assert wv.log.epoch_loss[-1] < wv.log.epoch_loss[0]
    assert "she" in [w for w, _ in wv.most_similar("he", 10)]


def test_bad_training_input_is_named():
    sents = [["a", "b", "c"]] * 3
    with pytest.raises(ValueError, match="sentences is empty"):
        w2v.train([], progress=False)
    with pytest.raises(ValueError, match="sentences is empty"):
        w2v.train([[], []], progress=False)
    with pytest.raises(TypeError, match="sentences must be a list"):
        w2v.train("to be or not to be", progress=False)
    for name in ("dim", "window", "negative", "epochs", "min_count", "batch_size", "threads"):
        with pytest.raises(ValueError, match=f"{name} must be a positive int"):
            w2v.train(sents, **{name: 0}, progress=False)
    with pytest.raises(ValueError, match="dim must be a positive int"):
        w2v.train(sents, dim=2.5, progress=False)
    with pytest.raises(ValueError, match="min_count=9 leaves no vocabulary"):
        w2v.train(sents, min_count=9, progress=False)
    with pytest.raises(ValueError, match="lr must be > 0"):
        w2v.train(sents, min_count=1, lr=0, progress=False)
    with pytest.raises(FloatingPointError, match="training diverged"):
        w2v.train(sents * 50, dim=4, min_count=1, lr=1e30, progress=False)


# ---- the count-based baseline --------------------------------------------------------------


def test_cooccurrence_counts_by_hand():
    sents = [["a", "b", "x", "a"], ["b", "a"]]
    counts = cooccurrence(sents, ["a", "b"], window=2)
    # within 2 positions: a-b (1 apart), b-a (2 apart, across x), b-a in the second sentence;
    # the two a's of the first sentence are 3 apart
    np.testing.assert_array_equal(counts, [[0, 3], [3, 0]])
    np.testing.assert_array_equal(cooccurrence(sents, ["a", "b"], window=1), [[0, 2], [2, 0]])
    with pytest.raises(ValueError, match="window must be a positive int"):
        cooccurrence(sents, ["a"], window=0)
    # rows for words, columns for contexts: the (words x contexts) block of the square matrix
    full = cooccurrence(sents, ["a", "b", "x"], window=2)
    np.testing.assert_array_equal(
        cooccurrence(sents, ["a", "b", "x"], window=2, contexts=["x", "a"]), full[:, [2, 0]]
    )


def test_ppmi_formula():
    counts = np.array([[0, 4, 1], [4, 0, 2], [1, 2, 6]], dtype=float)
    total = counts.sum()
    expected = np.zeros_like(counts)
    ctx = counts.sum(0) ** 0.75
    for i in range(3):
        for j in range(3):
            if counts[i, j]:
                pmi = np.log(counts[i, j] / total / (counts[i].sum() / total * ctx[j] / ctx.sum()))
                expected[i, j] = max(pmi, 0.0)
    np.testing.assert_allclose(ppmi(counts), expected, rtol=1e-12)
    with pytest.raises(ValueError, match="all zeros"):
        ppmi(np.zeros((2, 2)))


def test_svd_vectors_reconstruct_a_low_rank_matrix():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(6, 2))
    m = a @ a.T  # symmetric, rank 2
    wv = svd_vectors(m, list("abcdef"), dim=2)
    np.testing.assert_allclose(wv.vectors @ wv.vectors.T, m, atol=1e-5)
    with pytest.raises(ValueError, match=r"dim must be an int in 1\.\.6"):
        svd_vectors(m, list("abcdef"), dim=7)


def test_pca_matches_the_svd_of_centred_data():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 5)) @ rng.normal(size=(5, 5))
    p = pca(x, k=3)
    centred = x - x.mean(0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    np.testing.assert_allclose(p.eigenvalues, s[:3] ** 2 / 39, rtol=1e-10)
    np.testing.assert_allclose(np.abs(p.components), np.abs(vt[:3]), atol=1e-10)
    np.testing.assert_allclose(p.project(x), centred @ p.components.T)
    assert p.explained.sum() <= 1 + 1e-12 and p.explained[0] >= p.explained[1]
    with pytest.raises(ValueError, match=r"k must be an int in 1\.\.5"):
        pca(x, k=6)
    with pytest.raises(ValueError, match="at least 2 rows"):
        pca(x[:1])


def test_analogy_questions_and_lines_as_source(shakespeare):
    lines = word_vectors.analogy_questions(
        {"s": [("he", "she"), ("his", "her"), ("king", "queen")]}
    )
    assert lines[0] == ": s" and len(lines) == 1 + 3 * 2 and "he she his her" in lines
    result = shakespeare.evaluate_analogies([*lines, "zzz yyy he she"])
    assert result.total == 7 and result.answered == 6 and set(result.sections) == {"s"}
    full = shakespeare.evaluate_analogies(
        word_vectors.analogy_questions(word_vectors.SHAKESPEARE_ANALOGY_PAIRS)
    )
    assert full.coverage > 0.9 and full.accuracy > 0.1


# ---- bias ----------------------------------------------------------------------------------

PAIRS = [("he", "she"), ("man", "woman"), ("his", "her"), ("boy", "girl"), ("father", "mother")]


def test_bias_direction_is_the_top_component_of_centred_pairs(glove):
    g = debias.bias_direction(glove, PAIRS)
    assert np.linalg.norm(g) == pytest.approx(1.0)
    assert debias.projection(glove, ["he"], g)[0] > debias.projection(glove, ["she"], g)[0]
    diffs = np.stack([glove.unit[glove.id(a)] - glove.unit[glove.id(b)] for a, b in PAIRS])
    # the pair differences line up with it much better than with a random direction
    random = np.random.default_rng(0).normal(size=glove.dim)
    assert np.abs(diffs @ g).mean() > 3 * np.abs(diffs @ (random / np.linalg.norm(random))).mean()
    with pytest.raises(ValueError, match="at least 2 word pairs"):
        debias.bias_direction(glove, PAIRS[:1])


def test_gender_specific_words_are_bolukbasis_list():
    words = data.load_gender_specific_words()
    assert 1200 < len(words) < 1441 and words == sorted(set(words))
    assert {"mom", "dad", "bride", "widow", "nephew", "niece", "he", "she"} <= set(words)
    # ordinary words that are also first names are not in it: debiasing neutralises them
    assert not {"will", "may", "hope", "grant", "nurse", "engineer"} & set(words)


def test_neutralize_and_equalize_formulas():
    rng = np.random.default_rng(0)
    g = rng.normal(size=6)
    v = rng.normal(size=(3, 6))
    out = debias.neutralize(v, g)
    np.testing.assert_allclose(out @ g, 0, atol=1e-12)
    np.testing.assert_allclose(out, v - np.outer(v @ g, g) / (g @ g))
    a, b = debias.equalize(rng.normal(size=6), rng.normal(size=6), g)
    np.testing.assert_allclose([np.linalg.norm(a), np.linalg.norm(b)], 1.0)
    np.testing.assert_allclose(debias.neutralize(a - b, g), 0, atol=1e-12)
    w = debias.neutralize(rng.normal(size=6), g)
    assert w @ a == pytest.approx(w @ b)


def test_hard_debias_zeroes_projections_but_not_the_clusters(glove):
    g = debias.bias_direction(glove, PAIRS)
    neutral = ["nurse", "engineer", "doctor", "dancer", "captain", "maid", "boss", "nanny"]
    fair = debias.hard_debias(glove, g, neutral, equalize_pairs=[("man", "woman")])
    before = debias.projection(glove, neutral, g)
    assert np.abs(before).max() > 0.2
    np.testing.assert_allclose(debias.projection(fair, neutral, g), 0, atol=1e-6)
    for word in neutral:
        assert fair.similarity("man", word) == pytest.approx(
            fair.similarity("woman", word), abs=1e-6
        )
    assert fair.similarity("king", "queen") == pytest.approx(
        glove.similarity("king", "queen"), abs=1e-6
    )
    # Gonen & Goldberg: the most biased words, neutralised, still find neighbours of their side
    gendered = {w for pair in PAIRS for w in pair} | set(data.load_gender_specific_words())
    words = [w for w in glove.words[:5000] if w not in gendered]
    order = np.argsort(debias.projection(glove, words, g))
    chosen = [words[i] for i in np.r_[order[:150], order[-150:]]]
    side = np.r_[np.zeros(150), np.ones(150)]
    fair = debias.hard_debias(glove, g, words)
    unit = np.stack([fair.unit[fair.id(w)] for w in chosen])
    sims = unit @ unit.T
    np.fill_diagonal(sims, -np.inf)
    neighbours = np.argsort(-sims, axis=1)[:, :10]
    assert (side[neighbours] == side[:, None]).mean() > 0.75


def test_neighbour_overlap(glove, shakespeare):
    words = ["king", "love", "sword", "zzqx"]
    assert word_vectors.neighbour_overlap(glove, glove, words) == 1.0
    by_hand = [
        len(
            {w for w, _ in glove.most_similar(x, 5)}
            & {w for w, _ in shakespeare.most_similar(x, 5)}
        )
        / 5
        for x in words[:3]
    ]
    assert word_vectors.neighbour_overlap(glove, shakespeare, words, k=5) == pytest.approx(
        np.mean(by_hand)
    )
    with pytest.raises(ValueError, match="none of"):
        word_vectors.neighbour_overlap(glove, shakespeare, ["zzqx"])


def test_exercise_references_agree_with_the_helpers(glove):
    from helpers.exercises import nb04_word2vec as ex

    counts = np.array([900.0, 90.0, 9.0, 1.0])
    np.testing.assert_allclose(ex.noise_distribution(counts), w2v.noise_distribution(counts))
    np.testing.assert_allclose(
        ex.keep_probability(counts, 0.01), w2v.keep_probabilities(counts, 0.01)
    )
    rng = np.random.default_rng(0)
    v, u, neg = rng.normal(size=8), rng.normal(size=8), rng.normal(size=(5, 8))
    loss, d_center, _, _ = w2v.sgns_loss_and_grads(
        *(torch.from_numpy(x).unsqueeze(0) for x in (v, u, neg))
    )
    assert ex.sgns_loss(v, u, neg) == pytest.approx(loss.item(), rel=1e-12)
    np.testing.assert_allclose(ex.sgns_grad_center(v, u, neg), d_center[0].numpy(), rtol=1e-10)
    assert ex.cosine_similarity(glove["king"], glove["queen"]) == pytest.approx(
        glove.similarity("king", "queen"), rel=1e-5
    )
    small = WordVectors(glove.words[:3000], glove.vectors[:3000])
    for a, b, c in [("man", "king", "woman"), ("france", "paris", "italy")]:
        answer = ex.analogy_3cosadd(small.vectors.astype(float), small.words, a, b, c)
        assert answer == small.analogy(a, b, c)[0][0]
    g = rng.normal(size=8)
    np.testing.assert_allclose(ex.neutralize(v, g), debias.neutralize(v, g))
    pairs = ex.skipgram_pairs(["a", "b", "c", "d"], 2)
    ids = np.arange(4)
    _, ctx = w2v._epoch_windows(
        ids, np.zeros(4, dtype=int), np.ones(4), 2, np.random.default_rng(0)
    )
    # the trainer's pairs are a subset (the dynamic window drops some far ones)
    got = {(int(i), int(c)) for i, row in enumerate(ctx) for c in row if c >= 0}
    assert got <= {("abcd".index(x), "abcd".index(y)) for x, y in pairs}


def test_training_restores_the_number_of_torch_threads():
    before = torch.get_num_threads()
    w2v.train([["a", "b", "c"] * 5] * 4, dim=4, min_count=1, epochs=1, threads=1, progress=False)
    assert torch.get_num_threads() == before
