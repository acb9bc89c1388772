"""Generating text with our GPT: one token at a time, each chosen by helpers.decoding.sampling from
the model's next-token logits, with a KV cache (helpers.transformer.kv_cache) or without one.

    out = generate(model, idx, 50, temperature=0.8, top_p=0.95, generator=g)   # (B, T + 50)
    out = generate(model, idx, 50, temperature=0)                              # greedy
    greedy(model, ids, 20, stop=end)          # the greedy continuation of a list of ids, as a list
    chat(load_smollm2(), "What is the capital of France?")   # a chat model's greedy reply

With the cache, the prompt is read once and each step reads only the newest token; without it,
each step re-reads the whole sequence, cropped to the model's context (a sliding window). Both
choose the same tokens (tests/decoding/test_generation.py), as long as the cached sequence fits in
the context: a cached generation that would pass it is refused, since every position of the cache
would have to move.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from helpers.decoding import sampling
from helpers.tokens.chat import IM_END, IM_START, Message
from helpers.transformer.gpt import GPT
from helpers.transformer.pretrained import Pretrained, chat_prompt


@torch.no_grad()
def generate(
    model: GPT,
    idx: torch.Tensor,
    max_new_tokens: int,
    *,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    min_p: float = 0.0,
    repetition_penalty: float = 1.0,
    frequency_penalty: float = 0.0,
    presence_penalty: float = 0.0,
    temperature_last: bool = False,
    generator: torch.Generator | None = None,
    use_cache: bool = True,
    stop: int | None = None,
) -> torch.Tensor:
    """Continue each row of idx (B, T) by up to max_new_tokens tokens; returns (B, T + n) ids.

    temperature 0 is greedy decoding (penalties still apply, as in Hugging Face's
    do_sample=False); otherwise each token is drawn with `generator` from the logits after the
    penalties, temperature, top-k, top-p and min-p, in Hugging Face's order unless
    temperature_last (see
    helpers.decoding.sampling.next_token; the penalties look at every id so far, the prompt
    included). stop: an end token. A row that produces it is finished: it is padded with `stop`
    while the others go on, and generation ends early once every row is finished (n <
    max_new_tokens). The model runs in eval mode (dropout off) and is put back in its mode
    afterwards.
    """
    if not isinstance(model, GPT):
        raise TypeError(f"model must be a helpers.transformer.gpt.GPT, got {type(model).__name__}")
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int):
        raise TypeError(f"max_new_tokens must be an int, got {type(max_new_tokens).__name__}")
    if max_new_tokens < 0:
        raise ValueError(f"max_new_tokens must be >= 0, got {max_new_tokens}")
    if not isinstance(idx, torch.Tensor) or idx.dtype not in (torch.long, torch.int):
        raise TypeError(f"idx must be a tensor of integer token ids, got {idx!r:.60}")
    if idx.ndim != 2 or idx.shape[1] == 0:
        raise ValueError(
            f"idx must have shape (B, T) with at least one token to continue from, got "
            f"{tuple(idx.shape)}"
        )
    context, T = model.cfg.context, idx.shape[1]
    if use_cache and T + max(max_new_tokens, 1) - 1 > context:
        # The last new token is never read, so T + max_new_tokens - 1 positions must fit.
        raise ValueError(
            f"a cached generation of max_new_tokens={max_new_tokens} after {T} prompt tokens "
            f"would read {T + max_new_tokens - 1} positions, past the model's context of "
            f"{context}: use fewer tokens, a shorter prompt, or use_cache=False (which crops "
            f"the input to the last {context} tokens)"
        )
    if stop is not None and not 0 <= stop < model.cfg.vocab_size:
        raise ValueError(f"stop must be a token id in [0, {model.cfg.vocab_size}), got {stop}")
    choose = {
        "temperature": temperature, "top_k": top_k, "top_p": top_p, "min_p": min_p,
        "repetition_penalty": repetition_penalty, "frequency_penalty": frequency_penalty,
        "presence_penalty": presence_penalty, "temperature_last": temperature_last,
        "generator": generator,
    }  # fmt: skip
    was_training = model.training
    model.eval()
    seq = idx
    cache = None
    if use_cache and max_new_tokens > 0:
        cache = model.new_cache(idx.shape[0], T + max_new_tokens - 1)
    new = idx  # what the next forward reads: the prompt, then only the newest token
    finished = torch.zeros(idx.shape[0], dtype=torch.bool, device=idx.device)
    try:
        for _ in range(max_new_tokens):
            if cache is None:
                new = seq[:, -context:]
            logits, _ = model(new, cache=cache, only_last=True)
            token = sampling.next_token(logits[:, -1], seq, **choose)
            if stop is not None:
                token = token.masked_fill(finished, stop)
                finished |= token == stop
            new = token[:, None]
            seq = torch.cat([seq, new], dim=1)
            if finished.all():
                break
    finally:
        model.train(was_training)
    return seq


def greedy(
    model: GPT, ids: Sequence[int], max_new_tokens: int, stop: int | None = None
) -> list[int]:
    """Plain greedy decoding: append the most likely next token, max_new_tokens times or until
    `stop` (not included). generate with a KV cache while the sequence fits
    in the context; past it, without (each step re-reads the last `context` tokens)."""
    if len(ids) == 0:
        raise ValueError("ids must hold at least one token to continue from")
    fits = len(ids) + max_new_tokens - 1 <= model.cfg.context
    idx = torch.tensor([list(ids)], dtype=torch.long)
    out = generate(model, idx, max_new_tokens, temperature=0, stop=stop, use_cache=fits)
    new = out[0, len(ids) :].tolist()
    return new[: new.index(stop)] if stop in new else new


def chat(
    pretrained: Pretrained, messages: str | Sequence[Message], max_new_tokens: int = 60
) -> str:
    """A chat model's greedy reply to a question or a conversation (a str is one user message;
    see helpers.transformer.pretrained.chat_prompt), without the closing <|im_end|>."""
    if not isinstance(pretrained, Pretrained):
        raise TypeError(f"pretrained must be a Pretrained (load_smollm2), got {pretrained!r:.60}")
    tok = pretrained.tokenizer
    ids = tok.encode(chat_prompt(messages), allowed_special={IM_START, IM_END})
    stop = tok.encode_single_token(IM_END)
    return tok.decode(greedy(pretrained.model, ids, max_new_tokens, stop))
