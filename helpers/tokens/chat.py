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
<|im_end|>): fine-tuning (notebook 09) computes the loss on those tokens only. The closing
<|im_end|> is in the mask because it is how the model learns to stop: at inference the prompt ends
with the header of a new assistant turn (`render(..., add_generation_prompt=True)`) and generation
runs until the model writes <|im_end|>.

Each model family has its own template; `TEMPLATES` holds simplified versions of three (ChatML,
Llama 3, Gemma), to show the same conversation in each. The real templates ship with each model
as Jinja code and add details (tool calls, dates in the system turn).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import tiktoken

from helpers.tokens import encodings
from helpers.tokens.bpe import BPETokenizer

IM_START, IM_END = "<|im_start|>", "<|im_end|>"
ROLES = ("system", "user", "assistant")
# The ids OpenAI's ChatML used with cl100k_base.
CHATML_IDS = {IM_START: 100264, IM_END: 100265}
TURN = re.compile(re.escape(IM_START) + r"(\w+)\n(.*?)" + re.escape(IM_END) + r"\n", re.S)


@dataclass(frozen=True)
class Template:
    """How one model family writes a conversation as text."""

    begin: str  # text before the first turn (a beginning-of-sequence token)
    header: str  # what opens a turn, with {role} in it
    end: str  # what closes a turn
    stop: str  # the token at which generation stops
    roles: tuple[tuple[str, str], ...] = ()  # renamed roles (Gemma calls the assistant "model")
    system_in_first_user_turn: bool = False  # no system role: its text opens the first user turn


TEMPLATES = {
    "chatml": Template("", IM_START + "{role}\n", IM_END + "\n", IM_END),
    "llama3": Template(
        "<|begin_of_text|>",
        "<|start_header_id|>{role}<|end_header_id|>\n\n",
        "<|eot_id|>",
        "<|eot_id|>",
    ),
    "gemma": Template(
        "<bos>",
        "<start_of_turn>{role}\n",
        "<end_of_turn>\n",
        "<end_of_turn>",
        roles=(("assistant", "model"),),
        system_in_first_user_turn=True,
    ),
}


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


def render(
    messages: Sequence[Message], add_generation_prompt: bool = False, family: str = "chatml"
) -> str:
    """The conversation as one string in a family's layout (ChatML by default; see TEMPLATES).

    add_generation_prompt: end with the header of a new assistant turn, as at inference: the
    model continues from there and stops when it writes the template's `stop` token.
    """
    if family not in TEMPLATES:
        raise ValueError(f"family must be one of {sorted(TEMPLATES)}, got {family!r}")
    template = TEMPLATES[family]
    roles = dict(template.roles)
    turns = [(m.role, m.content) for m in messages]
    if template.system_in_first_user_turn and turns and turns[0][0] == "system":
        system, turns = turns[0][1], turns[1:]
        if turns and turns[0][0] == "user":
            turns[0] = ("user", f"{system}\n\n{turns[0][1]}")
        else:
            turns.insert(0, ("user", system))
    text = template.begin + "".join(
        template.header.format(role=roles.get(role, role)) + content + template.end
        for role, content in turns
    )
    if add_generation_prompt:
        text += template.header.format(role=roles.get("assistant", "assistant"))
    return text


def parse(text: str) -> list[Message]:
    """The messages of a rendered conversation (the inverse of render)."""
    messages = [Message(role, content) for role, content in TURN.findall(text)]
    if render(messages) != text:
        raise ValueError("text is not a conversation rendered by helpers.tokens.chat.render")
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
