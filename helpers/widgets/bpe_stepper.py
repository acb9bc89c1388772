"""The BPE merge stepper: a slider over the merges of a trained tokenizer, showing how a text's
tokens change as the merges are applied one by one, and which pair the last one merged.

Merges are numbered from 0, as in notebook 01: merge k creates id 256 + k, so with the slider at
k merges applied the last one is merge k - 1."""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets

from helpers.tokens.bpe import BPETokenizer, merge
from helpers.widgets.tokenizer_playground import chips_html, show_bytes


@dataclass(frozen=True)
class StepView:
    step: int  # how many merges have been applied to the vocabulary
    merged: str  # "merge k: 'a' + 'b' → 'ab' (id 256 + k)" for the last one, k = step - 1
    # (empty at step 0)
    tokens: list[tuple[int, bytes]]  # the text's tokens using only the first `step` merges


def view_at(tokenizer: BPETokenizer, text: str, step: int) -> StepView:
    """The text tokenized with only the first `step` merges of `tokenizer` (no pre-splitting)."""
    merges = tokenizer.merge_list()
    if not 0 <= step <= len(merges):
        raise ValueError(f"step must be in [0, {len(merges)}], got {step}")
    allowed = dict(merges[:step])
    ids = [tokenizer.byte_ids[b] for b in text.encode("utf-8")]
    while len(ids) > 1:
        present = [(allowed[p], p) for p in zip(ids, ids[1:], strict=False) if p in allowed]
        if not present:
            break
        new_id, pair = min(present)
        ids = merge(ids, pair, new_id)
    merged = ""
    if step:
        (a, b), new = merges[step - 1]
        merged = (
            f"merge {step - 1}: '{show_bytes(tokenizer.token_bytes(a))}' + "
            f"'{show_bytes(tokenizer.token_bytes(b))}' → '{show_bytes(tokenizer.token_bytes(new))}'"
            f" (id {new})"
        )
    return StepView(step, merged, [(i, tokenizer.token_bytes(i)) for i in ids])


class BPEStepper:
    """A slider over merge steps and a text box."""

    def __init__(self, tokenizer: BPETokenizer, text: str, step: int = 0):
        self.tokenizer = tokenizer
        self.text = widgets.Text(
            value=text, description="text", layout=widgets.Layout(width="520px")
        )
        self.step = widgets.IntSlider(
            value=step,
            min=0,
            max=len(tokenizer.merges),
            description="merges",
            continuous_update=True,
        )
        self.info = widgets.HTML()
        self.chips = widgets.HTML()
        for control in (self.text, self.step):
            control.observe(self.update, names="value")
        self.widget = widgets.VBox([self.text, self.step, self.info, self.chips])
        self.update()

    def update(self, change: object = None) -> None:
        view = view_at(self.tokenizer, self.text.value, self.step.value)
        what = (
            f"{view.step} merges applied; the last, {view.merged}"
            if view.step
            else "no merges yet: raw bytes"
        )
        self.info.value = f"{what}; <b>{len(view.tokens)} tokens</b>"
        self.chips.value = chips_html(view.tokens)

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/html"] = self.info.value + self.chips.value
        return bundle
