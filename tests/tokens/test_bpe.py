"""Byte-level BPE: identical ids to tiktoken, lossless round trips, fast training equal to the
straightforward algorithm, save/load, and bad input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import data
from helpers.tokens import encodings
from helpers.tokens.bpe import BPETokenizer, from_tiktoken, train_fast, train_naive

CORPUS = [
    "Hello world! How's it going?",
    "    def f(x):\n        return x ** 2  # a comment\n\n\n\tindented\ttabs\r\n",
    "3.14159 and 1234567890; 9.11 vs 9.9; 1,000,000.00",
    "!!!???...;;;---___***",
    "don't won't I'm you're they've we'll she'd IT'S",
    "naïve café résumé Ångström São Paulo Łódź",
    "你好，世界！这是一个测试。日本語のテキストも。",
    "emoji 🤖🎉👍🏽 and astral 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝄞",
    "   leading and trailing spaces   ",
    "",
    "a\n\n\n\n\nb           c",
]


@pytest.fixture(scope="module", params=["gpt2", "cl100k_base"])
def pair(request):
    return from_tiktoken(request.param), encodings.get_encoding(request.param)


def test_encode_equals_tiktoken_on_a_varied_corpus(pair):
    ours, theirs = pair
    for text in [*CORPUS, data.load_text("shakespeare", "valid")[:30_000]]:
        assert ours.encode(text) == theirs.encode(text), text[:40]


def test_special_tokens_like_tiktoken(pair):
    ours, theirs = pair
    text = "before<|endoftext|>after <|endoftext|>"
    assert ours.encode(text, allowed_special="all") == theirs.encode(text, allowed_special="all")
    assert ours.encode(text, disallowed_special=()) == theirs.encode(text, disallowed_special=())
    with pytest.raises(ValueError, match="disallowed"):
        ours.encode(text)
    with pytest.raises(ValueError):
        theirs.encode(text)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_decode_encode_round_trip_on_arbitrary_unicode(text):
    tok = from_tiktoken_cached()
    assert tok.decode(tok.encode(text, disallowed_special=())) == text


_CACHE: dict[str, BPETokenizer] = {}


def from_tiktoken_cached() -> BPETokenizer:
    if "gpt2" not in _CACHE:
        _CACHE["gpt2"] = from_tiktoken("gpt2")
    return _CACHE["gpt2"]


@pytest.mark.parametrize("pattern", [None, "gpt2", "gpt4"])
@pytest.mark.parametrize(
    "text",
    [
        "aaaaaaaaaa",
        "abababab cdcdcd abab",
        "the cat sat on the mat. the cat ate the rat!",
        "Tu es là ? Oui, je suis là. 你好你好你好 🤖🤖",
    ],
)
def test_fast_training_learns_the_same_merges(text, pattern):
    assert train_fast(text, 300, pattern) == train_naive(text, 300, pattern)


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="abc d\n", min_size=1, max_size=60))
def test_fast_training_equals_naive_on_random_texts(text):
    assert train_fast(text, 280, "gpt2") == train_naive(text, 280, "gpt2")


def test_fast_training_on_real_text():
    text = data.load_text("shakespeare", "train")[:30_000]
    assert train_fast(text, 350, "gpt4") == train_naive(text, 350, "gpt4")


def test_trained_tokenizer_round_trips_and_saves(tmp_path):
    text = data.load_text("shakespeare", "train")[:20_000]
    tok = BPETokenizer.train(text, 300, pattern="gpt2", special_tokens=["<|endoftext|>"])
    assert tok.vocab_size == 301 and tok.special_tokens == {"<|endoftext|>": 300}
    sample = "To be, or not to be: that is the question. 你好 🤖"
    assert tok.decode(tok.encode(sample)) == sample
    assert len(tok.encode(text[:2000])) < len(text[:2000].encode())
    tok.save(tmp_path / "tok.bpe")
    again = BPETokenizer.load(tmp_path / "tok.bpe")
    assert again.encode(sample + "<|endoftext|>", allowed_special="all") == tok.encode(
        sample + "<|endoftext|>", allowed_special="all"
    )
    steps = tok.merge_steps("the question")
    assert steps[0][0] is None and steps[-1][1] == tok.encode_ordinary("the question")
    assert all(len(b) < len(a) for (_, a), (_, b) in zip(steps, steps[1:]))


def test_gpt2_ids_of_hello_world():
    assert from_tiktoken_cached().encode("hello world") == [31373, 995]


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: BPETokenizer.train("abc", 255), ValueError, "vocab_size must be >= 256"),
        (lambda: BPETokenizer.train("abc", 300.0), TypeError, "vocab_size must be an int"),
        (lambda: BPETokenizer.train("", 300), ValueError, "text must not be empty"),
        (lambda: BPETokenizer.train(b"abc", 300), TypeError, "text must be a str"),
        (lambda: BPETokenizer.train("abc", 300, pattern="("), ValueError, "not a valid regex"),
        (lambda: BPETokenizer({}).decode([300]), ValueError, "not in the vocabulary"),
        (lambda: BPETokenizer({}).encode(5), TypeError, "text must be a str"),
        (lambda: BPETokenizer({}).encode("x", allowed_special={"<|x|>"}), ValueError, "lacks"),
    ],
)
def test_bad_input(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_notebook_versions_agree_with_the_helpers():
    from helpers.exercises import nb01_tokens as nb
    from helpers.tokens import bpe

    text = data.load_text("shakespeare", "train")[:3000]
    ids = list(text.encode())
    assert nb.pair_counts(ids) == dict(bpe.pair_counts([(ids, 1)]))
    assert nb.merge(ids, (101, 32), 999) == bpe.merge(ids, (101, 32), 999)
    merges = nb.train_merges(ids, 20)
    assert merges == bpe.train_naive(text, 276)
    tok = bpe.BPETokenizer({pair: 256 + i for i, pair in enumerate(merges)})
    sample = "the question, thou knave"
    assert nb.encode(sample, tok.merges) == tok.encode(sample)
    assert nb.decode(tok.encode(sample), tok.vocab) == sample


def _with_double_eot(enc):
    import tiktoken

    specials = {"<|endoftext|>": 50256, "<|endoftext|><|endoftext|>": 50257}
    theirs = tiktoken.Encoding(
        "gpt2-double-eot", pat_str=enc._pat_str, mergeable_ranks=enc._mergeable_ranks,
        special_tokens=specials,
    )  # fmt: skip
    base = from_tiktoken_cached()
    ours = BPETokenizer(base.merges, base.pattern, specials, base.byte_ids)
    return ours, theirs


@pytest.mark.parametrize(
    "text",
    [
        "<|endoftext|><|endoftext|>",
        "a<|endoftext|><|endoftext|><|endoftext|>b",
        "<|endoftext|> <|endoftext|><|endoftext|>x",
    ],
)
def test_overlapping_special_tokens_take_the_longest_match_like_tiktoken(text):
    ours, theirs = _with_double_eot(encodings.get_encoding("gpt2"))
    assert ours.encode(text, allowed_special="all") == theirs.encode(text, allowed_special="all")
    assert 50257 in ours.encode(text, allowed_special="all")


def _lines(text: str, sizes: list[int]):
    i, k = 0, 0
    while i < len(text):
        step = sizes[k % len(sizes)]
        yield text[i : i + step]
        i, k = i + step, k + 1


def test_encode_iterable_gives_the_ids_of_the_whole_text(pair):
    ours = pair[0]
    text = data.load_text("shakespeare", "valid")[:60_000] + "\n".join(CORPUS)
    whole = ours.encode(text)
    for sizes in ([1], [7, 300, 2], [5000]):
        assert list(ours.encode_iterable(_lines(text, sizes), chunk_chars=500)) == whole
    assert list(ours.encode_iterable(text.splitlines(keepends=True))) == whole


@settings(max_examples=150, deadline=None)
@given(
    st.text(alphabet="ab1 !\n\t'", max_size=80),
    st.lists(st.integers(1, 9), min_size=1, max_size=5),
)
def test_encode_iterable_equals_encode_on_adversarial_text(text, sizes):
    for tok in (from_tiktoken_cached(), _cl100k_cached()):
        assert list(tok.encode_iterable(_lines(text, sizes), chunk_chars=3)) == tok.encode(text)


def _cl100k_cached() -> BPETokenizer:
    if "cl100k_base" not in _CACHE:
        _CACHE["cl100k_base"] = from_tiktoken("cl100k_base")
    return _CACHE["cl100k_base"]


def test_encode_iterable_streams_with_bounded_memory():
    tok = from_tiktoken_cached()
    line = "To be, or not to be, that is the question.\n"
    consumed = 0

    def lines():
        nonlocal consumed
        for _ in range(100_000):  # 4.3 MB if it were all read at once
            consumed += 1
            yield line

    stream = tok.encode_iterable(lines(), chunk_chars=10_000)
    first = [next(stream) for _ in range(5)]
    assert first == tok.encode(line)[:5]
    assert consumed * len(line) < 11_000


def test_encode_iterable_keeps_special_tokens_whole():
    tok = _with_double_eot(encodings.get_encoding("gpt2"))[0]
    text = "one\n<|endoftext|>two\nthree<|endoftext|><|endoftext|>\nfour\n" * 30
    whole = tok.encode(text, allowed_special="all")
    assert list(tok.encode_iterable(_lines(text, [3, 11]), "all", chunk_chars=20)) == whole
    with pytest.raises(ValueError, match="disallowed"):
        list(tok.encode_iterable(_lines(text, [3, 11]), chunk_chars=20))


def test_encode_iterable_bad_input():
    tok = from_tiktoken_cached()
    with pytest.raises(TypeError, match="lines must be an iterable of str"):
        list(tok.encode_iterable("a whole string"))
    with pytest.raises(TypeError, match="each line must be a str"):
        list(tok.encode_iterable([b"bytes"]))
    with pytest.raises(ValueError, match="chunk_chars must be a positive int"):
        list(tok.encode_iterable(["x"], chunk_chars=0))
