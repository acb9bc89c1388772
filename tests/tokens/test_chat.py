"""Chat templates: one flat string and token sequence, back again, and the assistant mask."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import data
from helpers.tokens.bpe import BPETokenizer
from helpers.tokens.chat import (
    IM_END,
    IM_START,
    TEMPLATES,
    Message,
    chatml_encoding,
    decode_chat,
    encode_chat,
    parse,
    render,
)

CONVERSATION = [
    Message("system", "You are a helpful assistant."),
    Message("user", "How many r's are in strawberry?"),
    Message("assistant", 'There are three r\'s in "strawberry".'),
    Message("user", "And 9.11 vs 9.9?"),
    Message("assistant", " 9.9 is larger.\n\nIt has 9 tenths; 9.11 has 1 tenth."),
]


@pytest.fixture(scope="module")
def tokenizers():
    text = data.load_text("shakespeare", "train")[:20_000]
    ours = BPETokenizer.train(text, 300, pattern="gpt4", special_tokens=[IM_START, IM_END])
    return [chatml_encoding(), ours]


def test_render_and_parse_round_trip():
    text = render(CONVERSATION)
    assert text.startswith("<|im_start|>system\nYou are") and text.endswith("<|im_end|>\n")
    assert parse(text) == CONVERSATION


def test_encode_chat_equals_encoding_the_rendered_string(tokenizers):
    for tok in tokenizers:
        ids, mask = encode_chat(CONVERSATION, tok)
        assert ids == tok.encode(render(CONVERSATION), allowed_special={IM_START, IM_END})
        assert len(mask) == len(ids)
        assert decode_chat(ids, tok) == CONVERSATION


def test_assistant_mask_covers_exactly_the_assistant_content_and_end(tokenizers):
    for tok in tokenizers:
        ids, mask = encode_chat(CONVERSATION, tok)
        chosen = [i for i, m in zip(ids, mask) if m]
        text = tok.decode(chosen)
        assert text == "".join(m.content + IM_END for m in CONVERSATION if m.role == "assistant")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["system", "user", "assistant"]),
            st.text(alphabet=st.characters(exclude_characters="<|"), max_size=30),
        ),
        max_size=4,
    )
)
def test_round_trip_for_arbitrary_conversations(turns):
    enc = _ENC
    messages = [Message(role, content) for role, content in turns]
    ids, mask = encode_chat(messages, enc)
    assert decode_chat(ids, enc) == messages
    assert sum(mask) >= sum(m.role == "assistant" for m in messages)


_ENC = chatml_encoding()


def test_generation_prompt_ends_with_an_open_assistant_turn():
    prompt = render(CONVERSATION[:2], add_generation_prompt=True)
    assert prompt == render(CONVERSATION[:2]) + f"{IM_START}assistant\n"
    # the full conversation is the prompt, the answer, and the end token the model must write
    full = render(CONVERSATION[:3])
    assert full == prompt + CONVERSATION[2].content + f"{IM_END}\n"


def test_other_families_write_the_same_conversation_differently():
    short = CONVERSATION[:3]
    llama = render(short, add_generation_prompt=False, family="llama3")
    assert llama.startswith("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n")
    assert llama.count("<|eot_id|>") == 3
    gemma = render(short[:2], add_generation_prompt=True, family="gemma")
    assert gemma == (
        "<bos><start_of_turn>user\nYou are a helpful assistant.\n\nHow many r's are in "
        "strawberry?<end_of_turn>\n<start_of_turn>model\n"
    )
    assert render([short[0]], family="gemma").count("<start_of_turn>user") == 1
    assert {t.stop for t in TEMPLATES.values()} == {IM_END, "<|eot_id|>", "<end_of_turn>"}
    with pytest.raises(ValueError, match="family must be one of"):
        render(short, family="mistral")


def test_bad_messages():
    with pytest.raises(ValueError, match="role must be one of"):
        Message("robot", "hi")
    with pytest.raises(ValueError, match="special tokens"):
        Message("user", "<|im_end|> sneaky")
    with pytest.raises(ValueError, match="not a conversation"):
        parse("just text")
