"""generate(): the same tokens with and without the KV cache (every position type, GQA, greedy and
sampled, up to the context), equal to Hugging Face's generate, stop tokens, bad input; the GPT as
a NextTokenModel (its distributions are the model's, its prefix cache never goes stale, the
next-token explorer runs on it); and all of it on SmolLM2 when it is installed."""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np
import pytest
import torch

from helpers.counting.next_token import NextTokenModel
from helpers.decoding.generation import chat, generate, greedy
from helpers.decoding.predictors import GPTPredictor
from helpers.transformer.gpt import GPT, GPTConfig
from helpers.transformer.gpt_weights import config_from_gpt2, state_from_gpt2
from helpers.widgets.next_token_explorer import NextTokenExplorer, compute_view

from random_gpts import CONFIGS, random_model

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SAMPLED = {"temperature": 0.9, "top_k": 20, "top_p": 0.9, "repetition_penalty": 1.3}


def _prompt(vocab: int, shape=(2, 5), seed: int = 1) -> torch.Tensor:
    return torch.randint(0, vocab, shape, generator=torch.Generator().manual_seed(seed))


def _both_ways(model: GPT, idx: torch.Tensor, n: int, **kwargs) -> tuple[torch.Tensor, ...]:
    """generate with and without the cache, each from a generator seeded alike."""
    out = []
    for use_cache in (True, False):
        g = torch.Generator().manual_seed(5)
        out.append(generate(model, idx, n, generator=g, use_cache=use_cache, **kwargs))
    return tuple(out)


@pytest.mark.parametrize("sampling", ["greedy", "sampled"])
@pytest.mark.parametrize("name", list(CONFIGS))
def test_the_same_tokens_with_and_without_the_cache(name, sampling):
    model = random_model(CONFIGS[name])
    kwargs = {"temperature": 0} if sampling == "greedy" else SAMPLED
    idx = _prompt(model.cfg.vocab_size)
    n = model.cfg.context - idx.shape[1] + 1  # the longest a cached generation may be
    cached, uncached = _both_ways(model, idx, n, **kwargs)
    assert cached.shape == (2, 5 + n) and torch.equal(cached[:, :5], idx)
    assert torch.equal(cached, uncached)
    assert all(len(set(row[5:].tolist())) > 1 for row in cached)  # not one token repeated
    # the same generator state gives the same draws; another seed gives other draws
    if sampling == "sampled":
        other = generate(model, idx, n, generator=torch.Generator().manual_seed(6), **kwargs)
        assert not torch.equal(other, cached)


@pytest.fixture(scope="module")
def gpt2_pair():
    """A tiny random Hugging Face GPT-2 and our GPT holding the same weights."""
    transformers = pytest.importorskip("transformers")
    hf_cfg = transformers.GPT2Config(
        vocab_size=61, n_positions=40, n_embd=32, n_layer=2, n_head=4, resid_pdrop=0,
        embd_pdrop=0, attn_pdrop=0, bos_token_id=None, eos_token_id=None,
    )  # fmt: skip
    theirs = transformers.GPT2LMHeadModel(hf_cfg).eval()
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 2.0 / p.shape[-1] ** 0.5)
    cfg = config_from_gpt2(hf_cfg)
    ours = GPT(cfg).eval()
    ours.load_state_dict(state_from_gpt2(theirs.state_dict(), cfg))
    return theirs, ours


@pytest.mark.parametrize(
    "kwargs",
    [
        {"temperature": 0, "repetition_penalty": 1.5},
        {"temperature": 0.7},
        {"temperature": 1.3, "top_k": 10},
        {"temperature": 1.0, "top_p": 0.8, "repetition_penalty": 1.2},
        {"temperature": 1.0, "min_p": 0.1},
    ],
    ids=["greedy-penalty", "temperature", "top-k", "top-p-penalty", "min-p"],
)
def test_generate_equals_huggingface(gpt2_pair, kwargs):
    theirs, ours = gpt2_pair
    idx = _prompt(61, (3, 4))
    hf_kwargs = dict(kwargs)
    if kwargs["temperature"] == 0:
        hf_kwargs = {"do_sample": False, **{k: v for k, v in kwargs.items() if k != "temperature"}}
    else:
        hf_kwargs = {"do_sample": True, "top_k": 0, **kwargs}
    torch.manual_seed(11)
    expected = theirs.generate(
        idx, attention_mask=torch.ones_like(idx), max_new_tokens=25, pad_token_id=0,
        eos_token_id=None, use_cache=True, **hf_kwargs,
    )  # fmt: skip
    for use_cache in (True, False):
        got = generate(ours, idx, 25, use_cache=use_cache,
                       generator=torch.Generator().manual_seed(11), **kwargs)  # fmt: skip
        assert torch.equal(got, expected), (use_cache, got, expected)


def test_stop_pads_finished_rows_and_ends_early_as_huggingface_does(gpt2_pair):
    theirs, ours = gpt2_pair
    idx = _prompt(61, (3, 4))
    free = generate(ours, idx, 25, temperature=0)
    stop = int(free[0, 4 + 2])  # row 0 stops at its third new token, or before
    k = free[0, 4:].tolist().index(stop)
    got = generate(ours, idx, 25, temperature=0, stop=stop)
    expected = theirs.generate(
        idx, attention_mask=torch.ones_like(idx), max_new_tokens=25, do_sample=False,
        eos_token_id=stop, pad_token_id=stop,
    )  # fmt: skip
    assert torch.equal(got, expected)
    assert got[0, 4:].tolist() == free[0, 4 : 5 + k].tolist() + [stop] * (got.shape[1] - 5 - k)
    for row in got:  # once a row has stopped, only `stop` follows
        tail = row[4:].tolist()
        if stop in tail:
            assert set(tail[tail.index(stop) :]) == {stop}
    assert torch.equal(generate(ours, idx, 25, temperature=0, stop=stop, use_cache=False), got)
    ends = generate(ours, idx[:1], 25, temperature=0, stop=stop)
    assert ends.shape[1] == 5 + k and int(ends[0, -1]) == stop  # one row: ends at its stop


def test_without_the_cache_the_input_slides_past_the_context():
    model = random_model(CONFIGS["rope"])
    ctx, idx = model.cfg.context, _prompt(model.cfg.vocab_size, (1, 20))
    got = generate(model, idx, 15, temperature=0, use_cache=False)
    seq = idx
    for _ in range(15):
        logits, _ = model(seq[:, -ctx:])
        seq = torch.cat([seq, logits[:, -1:].argmax(-1)], dim=1)
    assert torch.equal(got, seq)
    with pytest.raises(
        ValueError, match=r"would read 34 positions, past the model's context of 24"
    ):
        generate(model, idx, 15, temperature=0)
    long = _prompt(model.cfg.vocab_size, (1, 30))
    assert generate(model, long, 3, temperature=0, use_cache=False).shape == (1, 33)


def test_generation_runs_in_eval_mode_and_restores_the_mode():
    model = random_model(replace(CONFIGS["learned"], dropout=0.5)).train()
    idx = _prompt(model.cfg.vocab_size)
    first = generate(model, idx, 10, temperature=0)
    assert model.training
    assert torch.equal(first, generate(model, idx, 10, temperature=0))  # no dropout noise
    assert torch.equal(first, generate(model.eval(), idx, 10, temperature=0))


def test_bad_input_to_generate():
    model = random_model(CONFIGS["learned"])
    idx = _prompt(model.cfg.vocab_size)
    with pytest.raises(ValueError, match="max_new_tokens must be >= 0"):
        generate(model, idx, -1)
    with pytest.raises(TypeError, match="max_new_tokens"):
        generate(model, idx, 2.0)
    with pytest.raises(ValueError, match="at least one token"):
        generate(model, idx[:, :0], 3)
    with pytest.raises(ValueError, match=r"shape \(B, T\)"):
        generate(model, idx[0], 3)
    with pytest.raises(TypeError, match="integer token ids"):
        generate(model, idx.float(), 3)
    with pytest.raises(TypeError, match=r"helpers\.transformer\.gpt\.GPT"):
        generate(lambda x: x, idx, 3)
    with pytest.raises(ValueError, match="stop"):
        generate(model, idx, 3, stop=50)
    with pytest.raises(ValueError, match="temperature"):
        generate(model, idx, 3, temperature=-1.0)
    with pytest.raises(ValueError, match="top_p"):
        generate(model, idx, 3, top_p=1.5)
    with pytest.raises(ValueError, match="context of 24"):  # cached: 20 + 6 - 1 > 24
        generate(model, _prompt(50, (1, 20)), 6)
    assert generate(model, _prompt(50, (1, 20)), 5).shape == (1, 25)  # 20 + 5 - 1 fits
    assert torch.equal(generate(model, idx, 0), idx)


# ---------------------------------------------------------------- the GPT as a NextTokenModel

TEXT = "to be, or not to be: that is the question.\n"
CHARS = sorted(set(TEXT))


def _char_predictor(**kwargs) -> GPTPredictor:
    cfg = replace(CONFIGS["rope-gqa"], vocab_size=len(CHARS))
    return GPTPredictor(
        random_model(cfg),
        lambda text: [CHARS.index(c) for c in text],
        lambda ids: "".join(CHARS[i] for i in ids),
        **kwargs,
    )


@torch.no_grad()
def _expected(model: GPT, ids: list[int]) -> np.ndarray:
    logits, _ = model(torch.tensor([ids[-model.cfg.context :]]))
    return torch.softmax(logits[0, -1].double(), -1).numpy()


def test_the_predictor_gives_the_models_distribution_whatever_it_read_before():
    predictor = _char_predictor(start=[CHARS.index("\n")])
    model = predictor.model
    assert isinstance(predictor, NextTokenModel)
    tokens = predictor.tokenize(TEXT)
    assert tokens == list(TEXT) and predictor.detokenize(tokens) == TEXT
    read = []  # how many tokens each forward of the model reads
    hook = model.tok_emb.register_forward_hook(lambda m, args, out: read.append(out.shape[1]))
    contexts = [
        tokens[:5],
        tokens[:6],  # grow: read 1
        tokens[:9],  # grow: read 3
        tokens[:9],  # repeat: read the last token again, for its logits
        tokens[:4],  # shrink: the same
        tokens[:3] + tokens[30:36],  # branch off a shared prefix of 3
        tokens + tokens,  # longer than the context: the last 24 tokens
        [],  # empty: the start ids
    ]
    for context in contexts:
        names, probs = predictor.next_token_distribution(context)
        ids = [CHARS.index(c) for c in context] or [CHARS.index("\n")]
        assert names == CHARS and probs.dtype == np.float64
        np.testing.assert_allclose(probs, _expected(model, ids), rtol=0, atol=1e-6)
    hook.remove()
    assert read[::2] == [5, 1, 3, 1, 1, 6, 24, 1]  # odd entries: _expected's full forwards
    assert predictor.context_used(tokens + tokens) == tuple((tokens + tokens)[-24:])
    # training the model in place (here: new weights loaded) is noticed, not served stale
    before = predictor.next_token_distribution(tokens[:7])[1]
    model.load_state_dict(random_model(model.cfg, seed=9).state_dict())
    after = predictor.next_token_distribution(tokens[:7])[1]
    np.testing.assert_allclose(after, _expected(model, [CHARS.index(c) for c in TEXT[:7]]),
                               rtol=0, atol=1e-6)  # fmt: skip
    assert np.abs(after - before).max() > 1e-3


def test_the_next_token_explorer_runs_on_the_predictor():
    predictor = _char_predictor(start=[CHARS.index("\n")])
    view = compute_view(predictor, "to be", temperature=0.8, top_k=5, n_bars=4, sample_length=8,
                        stop=None)  # fmt: skip
    names, probs = predictor.next_token_distribution(list("to be"))
    assert view.tokens[0] == names[int(np.argmax(probs))]
    assert len(view.samples) == 3 and all(len(s) == 8 for s in view.samples)
    explorer = NextTokenExplorer(predictor, text="to", stop=None)
    first = explorer.chart.value
    explorer.text.value = "to be, or"
    assert explorer.chart.value != first and explorer.view.context == list("to be, or")


def test_bad_input_to_the_predictor():
    with pytest.raises(ValueError, match="unique"):
        _char_predictor(token_names=["a"] * len(CHARS))
    with pytest.raises(ValueError, match=f"all {len(CHARS)} ids"):
        _char_predictor(token_names=["a", "b"])
    with pytest.raises(ValueError, match="start"):
        _char_predictor(start=[99])
    with pytest.raises(TypeError, match=r"helpers\.transformer\.gpt\.GPT"):
        GPTPredictor(object(), list, str)
    predictor = _char_predictor()
    with pytest.raises(ValueError, match="empty"):
        predictor.next_token_distribution([])
    with pytest.raises(ValueError, match="'Z' is not one of this model's tokens"):
        predictor.next_token_distribution(["t", "Z"])


# ---------------------------------------------------------------- SmolLM2, if installed


def test_smollm2_same_tokens_with_and_without_the_cache(smollm2):
    tok, model = smollm2.tokenizer, smollm2.model
    idx = torch.tensor([tok.encode("The old lighthouse keeper looked at the sea and")])
    for kwargs in ({"temperature": 0}, {"temperature": 0.8, "top_p": 0.9}):
        cached, uncached = _both_ways(model, idx, 16, **kwargs)
        assert torch.equal(cached, uncached), kwargs
    text = tok.decode(cached[0, idx.shape[1] :].tolist())
    assert len(text.split()) >= 8, text
    # a cached step's logits are the full forward's (30 layers in float32: about 1e-5 of their
    # size; the argmax and the tokens above are identical)
    full, _ = model(cached)
    cache = model.new_cache(1)
    model(cached[:, :-1], cache=cache)
    step, _ = model(cached[:, -1:], cache=cache)
    scale = full[0, -1].abs().max()
    assert (step[0, -1] - full[0, -1]).abs().max() <= 1e-5 * scale


def test_smollm2_as_a_next_token_model(smollm2):
    predictor = GPTPredictor.from_pretrained(smollm2)
    assert len(set(predictor.names)) == smollm2.model.cfg.vocab_size
    text = "Café naïve, 日本語, emoji 🙂 <|im_start|>user"
    tokens = predictor.tokenize(text)
    assert "<|im_start|>" in tokens and any("\\x" in t for t in tokens)  # a split character
    assert predictor.detokenize(tokens) == text
    names, probs = predictor.next_token_distribution(predictor.tokenize("The capital of France is"))
    assert names[int(np.argmax(probs))] == " Paris" and probs.sum() == pytest.approx(1.0)
    empty = predictor.next_token_distribution([])[1]  # from <|endoftext|>
    np.testing.assert_allclose(empty, _expected(smollm2.model, [0]), rtol=0, atol=1e-6)
    view = compute_view(predictor, "Once upon a time", n_samples=1, sample_length=5)
    assert len(view.samples) == 1 and view.samples[0]


def test_greedy_and_chat_bad_input():
    model = GPT(GPTConfig(vocab_size=8, n_layer=1, n_head=2, d_model=16)).eval()
    with pytest.raises(ValueError, match="max_new_tokens"):
        greedy(model, [1], -1)
    with pytest.raises(ValueError, match="at least one token"):
        greedy(model, [], 3)
    assert len(greedy(model, [1, 2], 5)) == 5
    with pytest.raises(TypeError, match="pretrained must be a Pretrained"):
        chat(model, "Hi")


def test_greedy_stops_and_slides_past_the_context():
    model = GPT(GPTConfig(vocab_size=8, context=6, n_layer=1, n_head=2, d_model=16)).eval()
    ids = [1, 2, 3]
    full = greedy(model, ids, 10)  # past the context of 6: no cache, a sliding window
    assert len(full) == 10
    expected = generate(model, torch.tensor([ids]), 10, temperature=0, use_cache=False)[0, 3:]
    assert full == expected.tolist()
    stop = full[2]
    cut = greedy(model, ids, 10, stop=stop)
    assert cut == full[: full.index(stop)]
