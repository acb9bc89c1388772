"""The tokenizer playground and the BPE merge stepper, driven headlessly."""

from __future__ import annotations

import pytest

from helpers import data
from helpers.tokens.bpe import BPETokenizer
from helpers.widgets.bpe_stepper import BPEStepper, view_at
from helpers.widgets.tokenizer_playground import (
    TokenizerPlayground,
    chips_html,
    show_bytes,
    standard_tokenizers,
    token_count_figure,
)


@pytest.fixture(scope="module")
def trained():
    return BPETokenizer.train(data.load_text("shakespeare", "train")[:20_000], 320, pattern="gpt2")


def test_standard_tokenizers_and_chips(trained):
    options = standard_tokenizers({"ours (320)": trained})
    assert list(options)[:3] == ["characters", "bytes (UTF-8)", "ours (320)"]
    assert [i for i, _ in options["gpt2"]("hello world")] == [31373, 995]
    assert len(options["bytes (UTF-8)"]("é")) == 2 and len(options["characters"]("é")) == 1
    html = chips_html(options["cl100k_base"]("hello world"))
    assert html.count("title='id") == 2 and "15339" in html
    assert show_bytes(b"\xe4") == "<e4>" and show_bytes(b" a\n") == "␣a↵"


def test_playground_updates_when_text_or_tokenizer_changes(trained):
    playground = TokenizerPlayground(standard_tokenizers({"ours": trained}), text="strawberry")
    before = playground.chips.value
    playground.choice.value = "gpt2"
    assert playground.chips.value != before
    assert "characters/token" in playground.info.value
    playground.text.value = "9.11 vs 9.9"
    assert "9" in playground.chips.value
    assert "text/html" in playground._repr_mimebundle_()
    with pytest.raises(ValueError, match="at least one tokenizer"):
        TokenizerPlayground({})


def test_stepper_moves_through_the_merges(trained):
    text = "the question"
    start, end = view_at(trained, text, 0), view_at(trained, text, len(trained.merges))
    assert len(start.tokens) == len(text.encode()) and start.merged == ""
    assert [i for i, _ in end.tokens] == trained.encode_ordinary(text)
    assert "→" in view_at(trained, text, 1).merged
    # merges are numbered from 0, as in notebook 01: after k merges the last is merge k - 1
    first, tenth = view_at(trained, text, 1).merged, view_at(trained, text, 10).merged
    assert first.startswith("merge 0:") and first.endswith("(id 256)")
    assert tenth.startswith("merge 9:") and tenth.endswith("(id 265)")
    stepper = BPEStepper(trained, text)
    before = stepper.chips.value
    stepper.step.value = len(trained.merges)
    assert stepper.chips.value != before and "merge" in stepper.info.value
    stepper.step.value = 3
    assert stepper.info.value.startswith("3 merges applied; the last, merge 2:")
    with pytest.raises(ValueError, match="step must be in"):
        view_at(trained, text, 10_000)


def test_token_count_figure(trained):
    fig = token_count_figure(
        {"prose": "To be or not", "code": "x = 1"}, standard_tokenizers({"ours": trained})
    )
    assert len(fig.axes[0].patches) == 2 * 6
