"""BPE training: the fast trainer learns exactly the straightforward trainer's merges under each
tie rule, with or without pre-splitting, and never learns from special tokens."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import data
from helpers.tokens.bpe import BPETokenizer
from helpers.tokens.bpe_train import TIE_BREAKS, train_fast, train_naive

SHAKESPEARE = data.load_text("shakespeare", "train")
EOT = "<|endoftext|>"


@pytest.mark.parametrize("tie_break", TIE_BREAKS)
@pytest.mark.parametrize("pattern", [None, "gpt2", "gpt4"])
@pytest.mark.parametrize(
    "text",
    [
        "aaaaaaaaaa",
        "aaa aaaa b aaab",
        "abababab cdcdcd abab",
        "the cat sat on the mat. the cat ate the rat!",
        "Tu es là ? Oui, je suis là. 你好你好你好 🤖🤖",
        SHAKESPEARE[:4000],
    ],
    ids=["run", "overlaps", "alternating", "sentence", "unicode", "shakespeare"],
)
def test_fast_equals_naive_for_every_tie_rule(text, pattern, tie_break):
    assert train_fast(text, 320, pattern, tie_break=tie_break) == train_naive(
        text, 320, pattern, tie_break=tie_break
    )


@settings(max_examples=60, deadline=None)
@given(
    st.text(alphabet="ab c\n", min_size=1, max_size=80),
    st.sampled_from([None, "gpt2"]),
    st.sampled_from(TIE_BREAKS),
)
def test_fast_equals_naive_on_random_texts(text, pattern, tie_break):
    assert train_fast(text, 290, pattern, tie_break=tie_break) == train_naive(
        text, 290, pattern, tie_break=tie_break
    )


def test_fast_equals_naive_on_a_long_single_chunk():
    """No pattern: the whole text is one chunk, the case that used to be slow."""
    text = SHAKESPEARE[:20_000]
    assert train_fast(text, 330) == train_naive(text, 330)


def test_the_tie_rules_are_the_three_implementations_rules():
    # In "cdab" the pairs cd, da and ab each occur once: a three-way tie.
    assert train_fast("cdab", 257, tie_break="smallest") == [(97, 98)]  # (97, 98) is smallest
    assert train_fast("cdab", 257, tie_break="first") == [(99, 100)]  # cd comes first
    assert train_fast("cdab", 257, tie_break="greatest") == [(100, 97)]  # (b"d", b"a") is greatest
    assert train_fast("abdc", 257, tie_break="first") == [(97, 98)]
    assert train_fast("abdc", 257, tie_break="greatest") == [(100, 99)]
    # A more frequent pair wins whatever the rule.
    for rule in TIE_BREAKS:
        assert train_fast("cdabab", 257, tie_break=rule) == [(97, 98)]


def test_the_rules_give_different_merges_on_real_text_but_the_same_first_ones():
    text = SHAKESPEARE[:20_000]
    merges = {rule: train_fast(text, 400, "gpt2", tie_break=rule) for rule in TIE_BREAKS}
    first_difference = min(
        next(i for i, (x, y) in enumerate(zip(merges[a], merges[b], strict=True)) if x != y)
        for a in TIE_BREAKS
        for b in TIE_BREAKS
        if a < b
    )
    assert 0 < first_difference < 144
    assert len({tuple(m[:first_difference]) for m in merges.values()}) == 1


def test_training_never_learns_from_special_tokens():
    docs = [SHAKESPEARE[i : i + 1500] for i in range(0, 15_000, 1500)]
    text = EOT.join(docs)
    tok = BPETokenizer.train(text, 400, "gpt2", special_tokens=[EOT])
    learned = [tok.vocab[new] for _, new in tok.merge_list()]
    assert not any(b"<|" in t or b"|>" in t or b"endoftext" in t for t in learned)
    # The same merges as training on the documents with the special tokens cut out.
    assert train_fast(text, 400, "gpt2", [EOT]) == train_naive(text, 400, "gpt2", [EOT])
    assert train_fast(text, 300, None, [EOT]) == train_naive(text, 300, None, [EOT])


def test_no_merge_across_a_special_token_without_a_pattern():
    text = ("ab" + EOT) * 50 + "ab"
    merges = train_fast(text, 300, special_tokens=[EOT])
    assert merges == [(97, 98)]  # "ab" is all there is between the special tokens


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"tie_break": "random"}, ValueError, "tie_break must be one of"),
        ({"special_tokens": "<|x|>"}, TypeError, "special_tokens must be an iterable"),
        ({"special_tokens": [""]}, ValueError, "non-empty strings"),
        ({"special_tokens": ["<|x|>", "<|x|>"]}, ValueError, "distinct"),
    ],
)
def test_bad_training_arguments(kwargs, error, words):
    for train in (train_fast, train_naive):
        with pytest.raises(error, match=words):
            train("some text", 300, **kwargs)
