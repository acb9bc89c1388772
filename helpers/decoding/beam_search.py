"""Beam search: keep the `num_beams` most likely partial continuations instead of one.

    hyps = beam_search(model, prompt, num_beams=4, max_new_tokens=20, eos_id=eos)
    best = hyps[0].tokens            # (T + n,) the prompt and the best continuation

At each step every running beam proposes every token; of the beams x V candidates, ranked by the
sum of their log-probabilities, the best 2 x beams are kept. A candidate that ends with the end
token (or reaches max_new_tokens) is finished only when it is among the best `beams`; it is then
scored by its sum of log-probabilities divided by length^length_penalty (Wu et al. 2016's GNMT
divides by ((5 + length) / 6)^alpha instead), and the finished list keeps the best `beams`. The
best `beams` candidates that did not end run on. This is Hugging Face's beam search
(`generate(num_beams=..., do_sample=False)`), proven equal to it, sequences and scores, in
tests/decoding/test_sampling.py, including its stopping rule:

- early_stopping=True: stop as soon as `beams` hypotheses are finished;
- early_stopping=False (HF's default): stop when the best running beam, scored at its current
  length, cannot beat the worst finished one (a heuristic: with length_penalty > 0 a longer
  beam could still win);
- early_stopping="never": with length_penalty > 0, the running beam is scored at the longest
  possible length instead, so the search only stops when no beam can win; otherwise as False.

Length counts generated tokens only (the end token included), as HF does for decoder-only
models. length_penalty > 0 favours longer sequences, < 0 shorter ones, 0 is the plain sum.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from helpers.decoding.sampling import check_logits, check_number

NextLogits = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class Hypothesis:
    """One finished beam."""

    tokens: torch.Tensor  # (T + n,) the prompt and the n generated ids, the end token included
    score: float  # log_prob / n ** length_penalty: what beams are ranked by (HF's sequences_scores)
    log_prob: float  # the sum of the n generated tokens' log-probabilities


def as_next_logits(model: object) -> NextLogits:
    """A function ids (B, T) -> next-token logits (B, V) from our GPT or such a function itself.

    A GPT (anything with .cfg.context whose forward returns (logits, loss)) sees at most its last
    cfg.context tokens, in eval mode; gradients are off either way.
    """
    context = getattr(getattr(model, "cfg", None), "context", None)
    if context is not None:

        @torch.no_grad()
        def next_logits(ids: torch.Tensor) -> torch.Tensor:
            was_training = model.training
            model.eval()
            logits = model(ids[:, -context:])[0][:, -1, :]
            model.train(was_training)
            return logits

        return next_logits
    if not callable(model):
        raise TypeError(f"model must be our GPT or a callable ids -> logits, got {model!r:.60}")
    return torch.no_grad()(model)


def beam_search(
    model: object,
    prompt: torch.Tensor,
    num_beams: int,
    max_new_tokens: int,
    *,
    eos_id: int | None = None,
    length_penalty: float = 1.0,
    early_stopping: bool | str = False,
) -> list[Hypothesis]:
    """The `num_beams` best continuations of `prompt` (T,) found by beam search, best first.

    model: our GPT, or a callable next_logits(ids (B, T)) -> (B, V) (see as_next_logits); the
    beams form its batch, and every step reruns the whole sequences (no KV cache). eos_id ends a
    beam; without it every beam runs for max_new_tokens. Needs V >= 2 * num_beams.
    """
    next_logits = as_next_logits(model)
    if not isinstance(prompt, torch.Tensor) or prompt.dtype not in (torch.long, torch.int):
        raise TypeError(f"prompt must be a tensor of integer token ids, got {prompt!r:.60}")
    if prompt.ndim != 1 or len(prompt) == 0:
        raise ValueError(f"prompt must be one non-empty sequence (T,), got {tuple(prompt.shape)}")
    for name, value, low in [("num_beams", num_beams, 1), ("max_new_tokens", max_new_tokens, 0)]:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
        if value < low:
            raise ValueError(f"{name} must be >= {low}, got {value}")
    length_penalty = check_number("length_penalty", length_penalty, -1e9, 1e9, low_open=False)
    if early_stopping not in (True, False, "never"):
        raise ValueError(f"early_stopping must be True, False or 'never', got {early_stopping!r}")

    prompt = prompt.long()
    beams = prompt[None, :]  # (1, T): the first step grows the prompt alone, later ones `num_beams`
    running = torch.zeros(1)  # (beams,) sum of log-probs of each running beam, best first
    finished: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []  # (score, log_prob, ids)
    for n in range(1, max_new_tokens + 1):  # n: the generated length after this step
        logits = check_logits(next_logits(beams).float())
        vocab = logits.shape[-1]
        if vocab < 2 * num_beams:
            raise ValueError(f"num_beams must be at most V / 2 = {vocab // 2}, got {num_beams}")
        # Every beam x every token, scored by the sum of log-probs so far; keep the best 2 x beams
        # so that, even if `num_beams` of them end here, `num_beams` others can run on.
        totals = (F.log_softmax(logits, dim=-1) + running[:, None]).flatten()
        scores, flat = torch.topk(totals, 2 * num_beams)  # sorted, best first
        parent, token = flat // vocab, flat % vocab
        candidates = torch.cat([beams[parent], token[:, None]], dim=1)
        ends = token == eos_id if eos_id is not None else torch.zeros_like(token, dtype=torch.bool)
        if n == max_new_tokens:
            ends[:] = True  # the length limit ends every candidate
        # Only a candidate among the best `num_beams` may finish: the rest are reserves.
        for rank in range(num_beams):
            if ends[rank]:
                finished.append((scores[rank] / n**length_penalty, scores[rank], candidates[rank]))
        finished = sorted(finished, key=lambda f: -float(f[0]))[:num_beams]
        live = (~ends).nonzero().flatten()[:num_beams]
        beams, running = candidates[live], scores[live]
        if n == max_new_tokens or (early_stopping is True and len(finished) == num_beams):
            break
        if len(finished) == num_beams:  # can the best running beam still beat the worst finished?
            length = max_new_tokens if early_stopping == "never" and length_penalty > 0 else n
            if not running[0] / length**length_penalty > finished[-1][0]:
                break
    if not finished:  # max_new_tokens == 0
        return [Hypothesis(prompt.clone(), 0.0, 0.0)]
    return [Hypothesis(ids, float(score), float(log_prob)) for score, log_prob, ids in finished]
