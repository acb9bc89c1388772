"""The tokenizer playground: type text, see it cut into coloured token chips with their ids.

`pieces(tokenizer, text)` is the pure part: (id, text of the token) pairs. Tokenizers are given
as functions text -> list of (id, bytes); `standard_tokenizers` builds the usual set: characters,
bytes, our trained BPE tokenizers, and tiktoken's gpt2, cl100k_base and o200k_base.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping

import ipywidgets as widgets

from helpers import plots
from helpers.tokens import encodings
from helpers.tokens.bpe import BPETokenizer

TokenizeFn = Callable[[str], list[tuple[int, bytes]]]
CHIP_COLOURS = ["#cfe0f3", "#f8d9c4", "#d3ead7", "#eed3d5", "#e1d8ee", "#e9dfcf"]


def _characters(text: str) -> list[tuple[int, bytes]]:
    return [(ord(c), c.encode("utf-8")) for c in text]


def _bytes(text: str) -> list[tuple[int, bytes]]:
    return [(b, bytes([b])) for b in text.encode("utf-8")]


def _ours(tokenizer: BPETokenizer) -> TokenizeFn:
    return lambda text: [(i, tokenizer.token_bytes(i)) for i in tokenizer.encode_ordinary(text)]


def _tiktoken(name: str) -> TokenizeFn:
    enc = encodings.get_encoding(name)
    return lambda text: [(i, enc.decode_single_token_bytes(i)) for i in enc.encode_ordinary(text)]


def standard_tokenizers(trained: Mapping[str, BPETokenizer] = ()) -> dict[str, TokenizeFn]:
    """characters, bytes, each trained tokenizer (by name), gpt2, cl100k_base and o200k_base."""
    options: dict[str, TokenizeFn] = {"characters": _characters, "bytes (UTF-8)": _bytes}
    options |= {name: _ours(tok) for name, tok in dict(trained).items()}
    options |= {name: _tiktoken(name) for name in ("gpt2", "cl100k_base", "o200k_base")}
    return options


def show_bytes(token: bytes) -> str:
    """A token's text; bytes that are only part of a character are shown as <xx> escapes."""
    try:
        text = token.decode("utf-8")
    except UnicodeDecodeError:
        return "".join(f"<{b:02x}>" for b in token)
    return text.replace(" ", "␣").replace("\n", "↵").replace("\t", "⇥")


def chips_html(tokens: list[tuple[int, bytes]]) -> str:
    """Coloured chips, one per token, the id below each and on hover."""
    chips = []
    for k, (token_id, token) in enumerate(tokens):
        colour = CHIP_COLOURS[k % len(CHIP_COLOURS)]
        chips.append(
            f"<span title='id {token_id}' style='display:inline-block;margin:1px;padding:1px 3px;"
            f"background:{colour};border-radius:3px;text-align:center;font-family:monospace'>"
            f"{html.escape(show_bytes(token))}<br><small style='color:#555'>{token_id}</small>"
            "</span>"
        )
    return "<div style='line-height:1.1'>" + "".join(chips) + "</div>"


def summary(text: str, tokens: list[tuple[int, bytes]]) -> str:
    ratio = len(text) / len(tokens) if tokens else 0.0
    return f"<b>{len(tokens)} tokens</b> for {len(text)} characters ({ratio:.2f} characters/token)"


class TokenizerPlayground:
    """A text box and a tokenizer choice; the chips follow as you type."""

    def __init__(
        self, tokenizers: Mapping[str, TokenizeFn], text: str = "", choice: str | None = None
    ):
        self.tokenizers = dict(tokenizers)
        if not self.tokenizers:
            raise ValueError("tokenizers must hold at least one tokenizer")
        self.text = widgets.Textarea(
            value=text, layout=widgets.Layout(width="640px", height="70px")
        )
        self.choice = widgets.Dropdown(
            options=list(self.tokenizers),
            value=choice or next(iter(self.tokenizers)),
            description="tokenizer",
        )
        self.info = widgets.HTML()
        self.chips = widgets.HTML()
        for control in (self.text, self.choice):
            control.observe(self.update, names="value")
        self.widget = widgets.VBox([self.choice, self.text, self.info, self.chips])
        self.update()

    def update(self, change: object = None) -> None:
        tokens = self.tokenizers[self.choice.value](self.text.value)
        self.info.value = summary(self.text.value, tokens)
        self.chips.value = chips_html(tokens)

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/html"] = self.info.value + self.chips.value
        return bundle


def token_count_figure(texts: Mapping[str, str], tokenizers: Mapping[str, TokenizeFn]):
    """Characters per token for each kind of text (rows) and tokenizer (bars)."""
    fig, ax = plots.subplots(8, 3.6)
    names = list(tokenizers)
    width = 0.8 / len(names)
    for k, name in enumerate(names):
        ratios = [len(t) / max(1, len(tokenizers[name](t))) for t in texts.values()]
        ax.bar([i + k * width for i in range(len(texts))], ratios, width, label=name)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(texts))], list(texts))
    ax.set_ylabel("characters per token")
    ax.legend(fontsize=8)
    return fig
