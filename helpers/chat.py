"""Chat templates: a conversation becomes one flat string and one flat token sequence, and back.

A chat model never sees "messages": it sees one stream of tokens in which special tokens mark
where each turn starts and ends. We use the ChatML layout:

    <|im_start|>system
    You are a helpful assistant.<|im_end|>
    <|im_start|>user
    Hi!<|im_end|>
    <|im_start|>assistant
    Hello! How can I help?<|im_end|>

`encode_chat` also returns a mask of the tokens the assistant wrote (its content and its closing
<|im_end|>): fine-tuning (notebook 09) computes the loss on those tokens only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import tiktoken

from helpers import encodings
from helpers.bpe import BPETokenizer

IM_START, IM_END = "<|im_start|>", "<|im_end|>"
ROLES = ("system", "user", "assistant")
# The ids OpenAI's ChatML used with cl100k_base.
CHATML_IDS = {IM_START: 100264, IM_END: 100265}
TURN = re.compile(re.escape(IM_START) + r"(\w+)\n(.*?)" + re.escape(IM_END) + r"\n", re.S)


@dataclass(frozen=True)
class Message:
    role: str
    content: str

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, got {self.role!r}")
        if not isinstance(self.content, str):
            raise TypeError(f"content must be a str, got {type(self.content).__name__}")
        if IM_START in self.content or IM_END in self.content:
            raise ValueError("content must not contain the chat template's special tokens")


Tokenizer = tiktoken.Encoding | BPETokenizer


def chatml_encoding(base: str = "cl100k_base") -> tiktoken.Encoding:
    """cl100k_base with the two ChatML special tokens added (ids 100264 and 100265)."""
    enc = encodings.get_encoding(base)
    return tiktoken.Encoding(
        name=f"{base}_chatml",
        pat_str=enc._pat_str,
        mergeable_ranks=enc._mergeable_ranks,
        special_tokens={**enc._special_tokens, **CHATML_IDS},
    )


def render(messages: Sequence[Message]) -> str:
    """The conversation as one string in the ChatML layout."""
    return "".join(f"{IM_START}{m.role}\n{m.content}{IM_END}\n" for m in messages)


def parse(text: str) -> list[Message]:
    """The messages of a rendered conversation (the inverse of render)."""
    messages = [Message(role, content) for role, content in TURN.findall(text)]
    if render(messages) != text:
        raise ValueError("text is not a conversation rendered by helpers.chat.render")
    return messages


def _token_bytes(tokenizer: Tokenizer, token_id: int) -> bytes:
    if isinstance(tokenizer, tiktoken.Encoding):
        return tokenizer.decode_single_token_bytes(token_id)
    return tokenizer.token_bytes(token_id)


def encode_chat(messages: Sequence[Message], tokenizer: Tokenizer) -> tuple[list[int], list[bool]]:
    """(ids, assistant_mask) of the rendered conversation; mask[i] is True for tokens the
    assistant wrote: its content and its <|im_end|>, not the "assistant" header.

    The ids equal tokenizer.encode(render(messages), allowed_special={IM_START, IM_END}).
    """
    specials = {IM_START, IM_END}
    start, end = (tokenizer.encode(s, allowed_special=specials)[0] for s in (IM_START, IM_END))
    ids: list[int] = []
    mask: list[bool] = []
    for m in messages:
        header = f"{m.role}\n".encode()
        body = tokenizer.encode(f"{m.role}\n{m.content}", allowed_special=set())
        ids.append(start)
        mask.append(False)
        offset = 0
        for token in body:
            offset += len(_token_bytes(tokenizer, token))
            ids.append(token)
            # a token is the assistant's if it ends after the header (one straddling both ends
            # after it only if the header's last byte, the newline, was merged into it)
            mask.append(m.role == "assistant" and offset > len(header))
        newline = tokenizer.encode("\n", allowed_special=set())
        ids += [end, *newline]
        mask += [m.role == "assistant", *[False] * len(newline)]
    return ids, mask


def decode_chat(ids: Sequence[int], tokenizer: Tokenizer) -> list[Message]:
    """The messages of a token sequence made by encode_chat."""
    return parse(tokenizer.decode(list(ids)))
