"""The analogy explorer and the embedding map, driven headlessly."""

from __future__ import annotations

import base64
import re
import time

import numpy as np
import pytest

from helpers.vectors.word_vectors import WordVectors, load_glove
from helpers.widgets.analogy_explorer import AnalogyExplorer, bars_html, compute_view, draw_view
from helpers.widgets.embedding_map import (
    RELATIONS,
    EmbeddingMap,
    compute_map,
    draw_map,
    map_svg,
    parse_words,
)


@pytest.fixture(scope="module")
def glove():
    return load_glove()


@pytest.fixture(scope="module")
def toy():
    words = ["man", "woman", "king", "queen", "boy", "girl", "apple"]
    vectors = np.array(
        [
            [1, 0, 0.1],
            [0, 1, 0.1],
            [1, 0.1, 1],
            [0.1, 1, 1],
            [1.2, 0, 0.2],
            [0, 1.2, 0.2],
            [0, 0, -1],
        ]
    )
    return WordVectors(words, vectors)


def test_compute_view_answers_and_explains(glove):
    view = compute_view(glove, "man", "king", "woman", k=5)
    assert view.words[0] == "queen" and len(view.scores) == 5 and not view.message
    assert view.scores == sorted(view.scores, reverse=True)
    assert view.question == "man : king :: woman : ?"
    mul = compute_view(glove, "Man", " king", "woman", method="3cosmul")
    assert mul.words[0] == "queen" and mul.scores != view.scores[: len(mul.scores)]
    unknown = compute_view(glove, "man", "kign", "woman")
    assert unknown.words == [] and "'kign' is not in the vocabulary" in unknown.message
    assert "king" in unknown.message  # a close match
    empty = compute_view(glove, "man", "", "woman")
    assert empty.words == [] and "three words" in empty.message


def test_drawing_the_answers(glove):
    view = compute_view(glove, "france", "paris", "italy", k=4)
    assert len(draw_view(view).axes[0].patches) == 4
    html = bars_html(view)
    assert html.count("class='bar'") == 4 and "rome" in html
    assert "not in the vocabulary" in bars_html(compute_view(glove, "a", "b", "zzqx"))
    assert draw_view(compute_view(glove, "a", "b", "zzqx")).axes[0].texts


def test_analogy_widget_updates(glove, toy):
    explorer = AnalogyExplorer({"GloVe": glove, "toy": toy})
    assert explorer.view.words[0] == "queen"
    before = explorer.chart.value
    explorer.c.value = "boy"
    assert explorer.chart.value != before and explorer.view.question == "man : king :: boy : ?"
    explorer.choice.value = "toy"
    assert set(explorer.view.words) <= {"queen", "woman", "girl", "apple"}
    explorer.method.value = "3CosMul"
    assert explorer.view.scores[0] > 0
    explorer.b.value = "castle"
    assert "not in the vocabulary" in explorer.chart.value
    with pytest.raises(ValueError, match="at least one"):
        AnalogyExplorer({})


def test_analogy_widget_is_fast_and_has_a_static_png(glove):
    explorer = AnalogyExplorer(glove)
    start = time.perf_counter()
    for word in ["woman", "girl", "queen", "mother", "boy", "man", "prince", "duke", "wife", "son"]:
        explorer.c.value = word
    assert (time.perf_counter() - start) / 10 < 0.05
    bundle = explorer._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")


def test_parse_words():
    assert parse_words("man>woman, King  castle,man") == (
        ["man", "woman", "king", "castle"],
        [("man", "woman")],
    )


def test_compute_map(glove):
    view = compute_map(glove, "man>woman king>queen boy>girl zzqx")
    assert view.words == ["man", "woman", "king", "queen", "boy", "girl"]
    assert view.xy.shape == (6, 2) and view.arrows == [(0, 1), (2, 3), (4, 5)]
    assert view.unknown == ["zzqx"] and 0 < sum(view.explained) <= 1
    # the gender arrows point roughly the same way
    d = [view.xy[j] - view.xy[i] for i, j in view.arrows]
    cos = d[0] @ d[1] / np.linalg.norm(d[0]) / np.linalg.norm(d[1])
    assert cos > 0.5
    few = compute_map(glove, "man zzqx")
    assert len(few.words) == 1 and "at least three" in map_svg(few)


def test_map_uses_unit_vectors_and_equal_scales(glove):
    words = "man>woman king>queen boy>girl paris"
    view = compute_map(glove, words)
    # scaling each word's vector by its own factor changes nothing: the PCA sees unit vectors
    scale = np.linspace(0.2, 5.0, len(glove))[:, None]
    stretched = WordVectors(glove.words, glove.vectors * scale)
    np.testing.assert_allclose(compute_map(stretched, words).xy, view.xy, atol=1e-5)
    assert draw_map(view).axes[0].get_aspect() == 1.0
    # the SVG uses one scale for both axes: distances keep their ratios
    svg = map_svg(view, width=560, height=380)
    xs = [float(x) for x in re.findall(r"<circle cx='([-\d.]+)'", svg)]
    ys = [float(y) for y in re.findall(r"cy='([-\d.]+)'", svg)]
    drawn = np.hypot(xs[1] - xs[0], ys[1] - ys[0]) / np.hypot(xs[3] - xs[2], ys[3] - ys[2])
    true = np.linalg.norm(view.xy[1] - view.xy[0]) / np.linalg.norm(view.xy[3] - view.xy[2])
    assert drawn == pytest.approx(true, rel=0.02)


def test_each_relation_gets_its_own_map(glove):
    emap = EmbeddingMap(glove)
    assert emap.relation.value == "gender" and emap.text.value == RELATIONS["gender"]
    emap.relation.value = "capitals"
    assert emap.text.value == RELATIONS["capitals"] and "paris" in emap.view.words
    assert "man" not in emap.view.words
    # one relation alone: its arrows point roughly the same way
    d = [emap.view.xy[j] - emap.view.xy[i] for i, j in emap.view.arrows]
    cosines = [a @ b / np.linalg.norm(a) / np.linalg.norm(b) for a in d for b in d]
    assert np.mean(cosines) > 0.5
    emap.text.value = "man>woman, castle"
    assert emap.view.words == ["man", "woman", "castle"]
    assert EmbeddingMap(glove, "a b c").relation.value == "(your own words)"
    with pytest.raises(ValueError, match="give words"):
        EmbeddingMap(glove, relations={})


def test_map_drawing(glove):
    view = compute_map(glove, "man>woman king>queen paris")
    svg = map_svg(view)
    assert svg.count("<circle") == 5 and svg.count("<line") == 2 and "PC1" in svg
    fig = draw_map(view)
    assert len(fig.axes[0].texts) == 5 + 2  # labels and arrows


def test_map_widget_updates_fast(glove, toy):
    emap = EmbeddingMap({"GloVe": glove, "toy": toy})
    assert len(emap.view.words) >= 10
    before = emap.picture.value
    start = time.perf_counter()
    emap.text.value = "man>woman, king>queen, apple"
    assert (time.perf_counter() - start) < 0.05
    assert emap.picture.value != before and emap.view.words[-1] == "apple"
    emap.choice.value = "toy"
    assert emap.view.unknown == []
    bundle = emap._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
    assert EmbeddingMap(toy, ["man", "king", "apple"]).view.words == ["man", "king", "apple"]
