"""Decoding against the real thing: our logit transforms against Hugging Face's warpers and
processors (bit for bit, ties and boundaries included), seeded sampling and beam search against
`generate` on a tiny random GPT-2 copied into our GPT, chi-square tests of 10^5 draws per sampler,
the identities between decoding methods, and bad input."""

from __future__ import annotations

import math
import os

import pytest
import torch
import torch.nn.functional as F
from scipy import stats  # installed with gensim, a runtime dependency

from helpers.decoding import sampling
from helpers.decoding.beam_search import as_next_logits, beam_search
from helpers.transformer.gpt import GPT
from helpers.transformer.gpt_weights import config_from_gpt2, state_from_gpt2

os.environ.setdefault("HF_HUB_OFFLINE", "1")
transformers = pytest.importorskip("transformers")
lp = pytest.importorskip("transformers.generation.logits_process")
transformers.logging.set_verbosity_error()  # "Setting pad_token_id to eos_token_id" and friends

VOCAB, EOS = 40, 3


def _random_logits(shape, seed, ties: bool = False) -> torch.Tensor:
    """Gaussian logits; with ties, rounded to halves so that many values repeat exactly."""
    x = 2 * torch.randn(shape, generator=torch.Generator().manual_seed(seed))
    return (x * 2).round() / 2 if ties else x


LOGIT_CASES = [(shape, seed, ties) for seed, shape in enumerate([(1, 7), (5, 40), (3, 300)])
               for ties in (False, True)]  # fmt: skip


# ---------------------------------------------------------------- transforms, bit for bit vs HF


@pytest.mark.parametrize("shape, seed, ties", LOGIT_CASES)
def test_transforms_equal_huggingface_bit_for_bit(shape, seed, ties):
    x = _random_logits(shape, seed, ties)
    x[:, 0] = float("-inf")  # an already-removed token must stay removed
    vocab = shape[-1]
    for t in (0.3, 1.0, 2.7):
        assert torch.equal(sampling.apply_temperature(x, t), lp.TemperatureLogitsWarper(t)(None, x))
    for k in sorted({1, 2, 5, vocab - 1, vocab}):
        assert torch.equal(sampling.top_k_filter(x, k), lp.TopKLogitsWarper(k)(None, x))
    for p in (0.01, 0.1, 0.3, 0.5, 0.8, 0.9, 0.95, 0.999):
        assert torch.equal(sampling.top_p_filter(x, p), lp.TopPLogitsWarper(p)(None, x))
    for p in (0.0, 0.02, 0.1, 0.5, 1.0):
        assert torch.equal(sampling.min_p_filter(x, p), lp.MinPLogitsWarper(p)(None, x))
    ids = torch.randint(0, vocab, (shape[0], 9), generator=torch.Generator().manual_seed(seed))
    ids[:, 1] = ids[:, 0]  # a repeated token is penalised once, not twice
    for penalty in (0.5, 1.3, 2.0):
        theirs = lp.RepetitionPenaltyLogitsProcessor(penalty)(ids, x.clone())
        assert torch.equal(sampling.repetition_penalty(x, ids, penalty), theirs)


def test_ties_and_the_exact_top_p_boundary():
    # probabilities 1/2, 1/4, 1/8, 1/8 are exact in float32: cumulative masses 0.5, 0.75, 0.875, 1
    logits = torch.tensor([[-2.0794415, -0.6931472, -1.3862944, -2.0794415]])
    probs = logits.softmax(-1)
    torch.testing.assert_close(probs, torch.tensor([[0.125, 0.5, 0.25, 0.125]]))
    kept = lambda p: int(torch.isfinite(sampling.top_p_filter(logits, p)).sum())  # noqa: E731
    # slightly either side of a boundary: the token that crosses p is included
    assert [kept(0.75 - 1e-4), kept(0.75 + 1e-4)] == [2, 3]
    assert [kept(0.5 - 1e-4), kept(0.5 + 1e-4)] == [1, 2]
    assert kept(0.999) == 4 and kept(1e-6) == 1  # at least one token always
    for p in (0.5, 0.75, 0.875, 0.5 - 1e-7, 0.75 + 1e-7, 0.875 - 1e-7, 0.875 + 1e-7):
        ours = sampling.top_p_filter(logits, p)
        assert torch.equal(ours, lp.TopPLogitsWarper(p)(None, logits)), p
    assert kept(0.75) == 2  # a set whose mass is exactly p is enough
    # two tokens tied at the cut (1/8 each): the count kept is defined either side of 0.875
    assert [kept(0.875 - 1e-4), kept(0.875 + 1e-4)] == [3, 4]
    # top-k keeps every token tied with the k-th value: 4 tokens for k = 3
    assert int(torch.isfinite(sampling.top_k_filter(logits, 3)).sum()) == 4
    # min-p: strict <, so a token exactly at p * max stays (0.25 = 0.5 * 0.5)
    assert int(torch.isfinite(sampling.min_p_filter(logits, 0.5)).sum()) == 2
    assert int(torch.isfinite(sampling.min_p_filter(logits, 1.0)).sum()) == 1


def test_frequency_and_presence_penalties_follow_openai():
    x = _random_logits((2, 6), 3)
    ids = torch.tensor([[1, 1, 1, 4, 5, 5], [0, 0, 2, 2, 2, 2]])
    got = sampling.frequency_presence_penalty(x, ids, frequency=0.5, presence=1.25)
    expected = x.clone()
    for b in range(2):
        for token in set(ids[b].tolist()):
            count = ids[b].tolist().count(token)
            expected[b, token] -= count * 0.5 + 1.25  # mu - c * alpha_freq - (c > 0) * alpha_pres
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-6)
    assert sampling.frequency_presence_penalty(x, ids) is x


def test_process_logits_applies_huggingface_order():
    x = _random_logits((4, 50), 5)
    ids = torch.randint(0, 50, (4, 12), generator=torch.Generator().manual_seed(5))
    processors = lp.LogitsProcessorList([
        lp.RepetitionPenaltyLogitsProcessor(1.4), lp.TemperatureLogitsWarper(0.7),
        lp.TopKLogitsWarper(20), lp.TopPLogitsWarper(0.8), lp.MinPLogitsWarper(0.05),
    ])  # fmt: skip
    got = sampling.process_logits(
        x, ids, temperature=0.7, top_k=20, top_p=0.8, min_p=0.05, repetition_penalty=1.4
    )
    assert torch.equal(got, processors(ids, x.clone()))
    assert sampling.process_logits(x, ids) is x  # the defaults change nothing


def test_temperature_last_is_the_filters_then_the_temperature():
    x = _random_logits((4, 50), 6)
    ids = torch.randint(0, 50, (4, 12), generator=torch.Generator().manual_seed(6))
    got = sampling.process_logits(
        x, ids, temperature=1.7, top_k=30, top_p=0.9, min_p=0.05, repetition_penalty=1.2,
        temperature_last=True,
    )  # fmt: skip
    filtered = sampling.process_logits(
        x, ids, temperature=1.0, top_k=30, top_p=0.9, min_p=0.05, repetition_penalty=1.2
    )
    assert torch.equal(got, filtered / 1.7)


def test_min_p_window_widens_with_the_temperature_only_when_it_comes_first():
    """p_i >= min_p p_max is z_i / T >= z_max / T + ln(min_p): temperature first, min-p keeps
    the logits within T ln(1/min_p) of the largest; temperature last, within ln(1/min_p)."""
    x = torch.linspace(0, -12, 400, dtype=torch.float64)[None]  # evenly spread logits
    min_p = 0.1

    def kept(temperature, last):
        out = sampling.process_logits(
            x, temperature=temperature, min_p=min_p, temperature_last=last
        )
        return int(torch.isfinite(out).sum())

    window = math.log(1 / min_p)  # 2.30 nats: logits 0 .. -2.30 survive
    per_nat = 399 / 12
    for temperature in (0.5, 1.0, 2.0, 5.0):
        assert abs(kept(temperature, False) - (temperature * window * per_nat + 1)) <= 1
        assert abs(kept(temperature, True) - (window * per_nat + 1)) <= 1


# ---------------------------------------------------------------- a tiny GPT-2, theirs and ours


@pytest.fixture(scope="module")
def models():
    """A random GPT-2 (untied head) whose end token EOS is often among the likely ones, so that
    beams finish at different lengths, and our GPT with the same weights."""
    torch.set_num_threads(1)
    hf_cfg = transformers.GPT2Config(
        vocab_size=VOCAB, n_positions=64, n_embd=32, n_layer=2, n_head=4, resid_pdrop=0.0,
        embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=0, eos_token_id=EOS,
        tie_word_embeddings=False,
    )  # fmt: skip
    theirs = transformers.GPT2LMHeadModel(hf_cfg).eval()
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 2.0 / p.shape[-1] ** 0.5)
        # EOS's output row points along the final norm's bias: its logit is large everywhere
        theirs.transformer.ln_f.bias.copy_(torch.randn(32, generator=g))
        theirs.lm_head.weight[EOS] = 0.13 * theirs.transformer.ln_f.bias
    cfg = config_from_gpt2(hf_cfg)
    ours = GPT(cfg).eval()
    ours.load_state_dict(state_from_gpt2(theirs.state_dict(), cfg))
    return theirs, ours


def _prompt(seed: int, length: int = 4) -> torch.Tensor:
    return torch.randint(4, VOCAB, (length,), generator=torch.Generator().manual_seed(seed))


def _our_generate(model, ids, n, seed, **settings):
    """The plain decoding loop with our next_token; ids (B, T) -> (B, T + n)."""
    generator = torch.Generator().manual_seed(seed)
    for _ in range(n):
        with torch.no_grad():
            logits = model(ids)[0][:, -1, :]
        token = sampling.next_token(logits, ids, generator=generator, **settings)
        ids = torch.cat([ids, token[:, None]], dim=1)
    return ids


SAMPLING_SETTINGS = [
    {},
    {"temperature": 0.6},
    {"temperature": 1.7, "top_k": 8},
    {"top_p": 0.8},
    {"temperature": 1.3, "top_p": 0.6, "min_p": 0.05},
    {"min_p": 0.2, "repetition_penalty": 1.5},
    {"temperature": 0.9, "top_k": 12, "top_p": 0.9, "repetition_penalty": 0.8},
]


@pytest.mark.parametrize("settings", SAMPLING_SETTINGS, ids=str)
def test_seeded_sampling_equals_huggingface_generate(models, settings):
    theirs, ours = models
    ids = torch.stack([_prompt(1), _prompt(2)])
    for seed in (0, 1, 2):
        torch.manual_seed(seed)  # HF draws from torch's global generator, we from our own
        hf_settings = {"temperature": 1.0, "top_k": 0, "top_p": 1.0} | settings
        expected = theirs.generate(
            ids, do_sample=True, max_new_tokens=25, eos_token_id=None, pad_token_id=0,
            **hf_settings,
        )  # fmt: skip
        got = _our_generate(ours, ids, 25, seed, **settings)
        assert torch.equal(got, expected), (seed, got, expected)
    different = _our_generate(ours, ids, 25, 99, **settings)
    assert not torch.equal(different, got)  # the seed matters: the draws really are aligned


def test_greedy_path_equals_huggingface_greedy(models):
    theirs, ours = models
    ids = _prompt(3)[None]
    for penalty in (1.0, 1.6):
        expected = theirs.generate(
            ids, do_sample=False, max_new_tokens=20, eos_token_id=None, pad_token_id=0,
            repetition_penalty=penalty,
        )  # fmt: skip
        got = _our_generate(ours, ids, 20, 0, temperature=0, repetition_penalty=penalty)
        assert torch.equal(got, expected)
    assert len(set(got[0, 4:].tolist())) > 5  # the penalty breaks greedy's loop


# ---------------------------------------------------------------- beam search vs HF


def _padded(hyps, length: int) -> torch.Tensor:
    return torch.stack([F.pad(h.tokens, (0, length - len(h.tokens)), value=EOS) for h in hyps])


BEAM_CASES = [
    *[(s, b, pen) for s in (4, 5) for b in (2, 3, 5) for pen in (1.0, 0.0, -1.0, 2.0)],
    (9, 2, 1.0),
    (10, 2, 1.0),
]


def test_beam_search_equals_huggingface(models):
    """Sequences and scores for every early-stopping setting; seeds 9 and 10 are where False
    and "never" part ways (the heuristic stops before a better hypothesis turns up)."""
    theirs, ours = models
    differ = {"True / False": 0, "False / never": 0}
    finished_early = 0
    for seed, num_beams, length_penalty in BEAM_CASES:
        prompt, results = _prompt(seed), {}
        for early_stopping in (False, True, "never"):
            out = theirs.generate(
                prompt[None], do_sample=False, num_beams=num_beams,
                num_return_sequences=num_beams, max_new_tokens=16, eos_token_id=EOS,
                pad_token_id=EOS, length_penalty=length_penalty, early_stopping=early_stopping,
                output_scores=True, return_dict_in_generate=True, top_k=None,
            )  # fmt: skip
            hyps = beam_search(
                ours, prompt, num_beams, 16, eos_id=EOS, length_penalty=length_penalty,
                early_stopping=early_stopping,
            )  # fmt: skip
            case = (seed, num_beams, length_penalty, early_stopping)
            assert torch.equal(_padded(hyps, out.sequences.shape[1]), out.sequences), case
            scores = torch.tensor([h.score for h in hyps])
            torch.testing.assert_close(scores, out.sequences_scores, rtol=0, atol=1e-5)
            results[early_stopping] = out.sequences.tolist()
            finished_early += sum(len(h.tokens) < len(prompt) + 16 for h in hyps)
        differ["True / False"] += results[True] != results[False]
        differ["False / never"] += results[False] != results["never"]
    # the cases are not trivial: end tokens occur, and each stopping rule changes some answer
    assert finished_early > 0 and all(differ.values()), differ


def test_beam_scores_are_length_normalised_log_probabilities(models):
    _, ours = models
    prompt = _prompt(6)
    for length_penalty in (1.0, 0.5):
        for h in beam_search(ours, prompt, 3, 10, eos_id=EOS, length_penalty=length_penalty):
            with torch.no_grad():
                logp = ours(h.tokens[None, :-1])[0].log_softmax(-1)[0]
            n = len(h.tokens) - len(prompt)
            steps = torch.arange(len(prompt) - 1, len(h.tokens) - 1)
            total = float(logp[steps, h.tokens[len(prompt) :]].sum())
            assert h.log_prob == pytest.approx(total, abs=1e-4)
            assert h.score == pytest.approx(total / n**length_penalty, abs=1e-4)


def test_one_beam_is_greedy_and_a_callable_works_like_the_model(models):
    theirs, ours = models
    prompt = _prompt(7)
    greedy = theirs.generate(prompt[None], do_sample=False, max_new_tokens=12, eos_token_id=EOS)
    (best,) = beam_search(ours, prompt, 1, 12, eos_id=EOS)
    assert torch.equal(best.tokens, greedy[0])
    by_callable = beam_search(lambda ids: ours(ids)[0][:, -1], prompt, 3, 12, eos_id=EOS)
    by_model = beam_search(ours, prompt, 3, 12, eos_id=EOS)
    assert [h.tokens.tolist() for h in by_callable] == [h.tokens.tolist() for h in by_model]
    assert beam_search(ours, prompt, 3, 0)[0].tokens.tolist() == prompt.tolist()


def test_beam_search_crops_to_the_context_and_restores_training_mode(models):
    _, ours = models
    long_prompt = _prompt(8, length=70)  # longer than the context of 64
    ours.train()
    hyps = beam_search(ours, long_prompt, 2, 3)
    assert ours.training and all(len(h.tokens) == 73 for h in hyps)
    ours.eval()
    logits = as_next_logits(ours)(long_prompt[None])
    torch.testing.assert_close(logits, ours(long_prompt[None, -64:])[0][:, -1])


# ---------------------------------------------------------------- statistics of 10^5 draws

N_DRAWS = 100_000
BASE = torch.tensor([[3.0, 2.6, 2.2, 2.0, 1.5, 1.1, 0.7, 0.1, -0.6, -1.2, -1.9, -2.5]])


def _chi_square(draws: torch.Tensor, probs: torch.Tensor) -> tuple[set[int], float]:
    """The set of drawn tokens, and the p-value of their counts against probs on its support
    (0 if a token outside it was drawn)."""
    counts = torch.bincount(draws, minlength=probs.numel()).double()
    support = probs > 0
    expected = probs[support].double() / probs[support].double().sum() * N_DRAWS
    assert expected.min() >= 5  # where the chi-square approximation holds
    p_value = stats.chisquare(counts[support], expected).pvalue
    return set(draws.unique().tolist()), float(p_value) if not counts[~support].any() else 0.0


def _drop_boundary_top_p(logits: torch.Tensor, p: float) -> torch.Tensor:
    """A plausible bug: keep the tokens whose cumulative mass, themselves included, is below p,
    which drops the token that crosses p. logits (1, V)."""
    probs = logits.softmax(-1)[0]
    order = probs.argsort(descending=True)
    keep_sorted = probs[order].cumsum(0) < p
    keep_sorted[0] = True
    keep = torch.zeros_like(keep_sorted).scatter(0, order, keep_sorted)
    return logits.masked_fill(~keep, float("-inf"))


FILTERS = {
    "none": {},
    "temperature": {"temperature": 0.8},
    "top_k": {"top_k": 4},
    "top_p": {"top_p": 0.7},
    "min_p": {"min_p": 0.15},
    "all": {"temperature": 1.4, "top_k": 9, "top_p": 0.9, "min_p": 0.02},
}


@pytest.mark.parametrize("name", FILTERS)
def test_samplers_draw_the_filtered_renormalised_distribution(name):
    settings = FILTERS[name]
    filtered = sampling.process_logits(BASE, **settings)
    probs = filtered.softmax(-1)[0]
    # an independent statement of what should survive, from the probabilities alone
    base = (BASE / settings.get("temperature", 1.0)).softmax(-1)[0]
    ranked = base.sort(descending=True).values
    expected_kept = {
        "none": 12, "temperature": 12, "top_k": 4, "min_p": int((base >= 0.15 * base[0]).sum()),
        "top_p": int((ranked.cumsum(0) - ranked < 0.7).sum()),
    }.get(name)  # fmt: skip
    if expected_kept is not None:
        assert int((probs > 0).sum()) == expected_kept
    generator = torch.Generator().manual_seed(1)
    draws = sampling.sample(filtered.expand(N_DRAWS, -1), generator)
    drawn, p_value = _chi_square(draws, probs)
    assert drawn == set(torch.nonzero(probs).flatten().tolist())  # the support, exactly
    assert p_value > 1e-3


def test_a_top_p_that_drops_the_boundary_token_fails_the_same_test():
    p = 0.7
    correct = sampling.top_p_filter(BASE, p).softmax(-1)[0]
    buggy = _drop_boundary_top_p(BASE, p)
    assert int(torch.isfinite(buggy).sum()) == int((correct > 0).sum()) - 1
    draws = sampling.sample(buggy.expand(N_DRAWS, -1), torch.Generator().manual_seed(1))
    drawn, p_value = _chi_square(draws, correct)
    assert drawn != set(torch.nonzero(correct).flatten().tolist())
    assert p_value < 1e-12


# ---------------------------------------------------------------- identities


def test_identities_between_decoding_methods():
    x = _random_logits((64, 30), 11)
    vocab = x.shape[-1]
    assert sampling.top_p_filter(x, 1.0) is x and torch.equal(sampling.top_k_filter(x, vocab), x)
    assert torch.equal(sampling.top_k_filter(x, 0), x) and sampling.min_p_filter(x, 0.0) is x
    g = torch.Generator().manual_seed(0)
    greedy = sampling.greedy(x)
    for _ in range(5):
        assert torch.equal(sampling.next_token(x, top_k=1, generator=g), greedy)
        assert torch.equal(sampling.next_token(x, temperature=1e-3, generator=g), greedy)
        assert torch.equal(sampling.next_token(x, top_p=1e-6, generator=g), greedy)
    assert torch.equal(sampling.next_token(x, temperature=0), greedy)
    # the temperature limit: the sampled distribution converges to the one-hot argmax
    z = torch.tensor([2.0, 1.0, 0.5, -1.0])
    left = [float(1 - sampling.apply_temperature(z, t).softmax(-1)[0]) for t in (1.0, 0.1, 0.02)]
    assert left[0] > 0.3 and left[1] < 1e-4 and left[2] < 1e-20


def test_sampling_is_reproducible_with_a_generator():
    x = _random_logits((8, 30), 12)
    a = sampling.sample(x, torch.Generator().manual_seed(5))
    b = sampling.sample(x, torch.Generator().manual_seed(5))
    assert torch.equal(a, b) and a.shape == (8,)
    assert sampling.sample(x[0], torch.Generator().manual_seed(5)).shape == ()


# ---------------------------------------------------------------- bad input


def test_temperature_last_must_be_a_bool():
    with pytest.raises(TypeError, match="temperature_last"):
        sampling.process_logits(torch.zeros(1, 3), temperature_last="yes")



@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda x: sampling.apply_temperature(x, 0.0), ValueError, "temperature must be > 0; "),
        (lambda x: sampling.apply_temperature(x, math.inf), ValueError, "temperature must be in"),
        (lambda x: sampling.apply_temperature(x, -1.0), ValueError, "temperature"),
        (lambda x: sampling.next_token(x, temperature=-0.5), ValueError, "temperature"),
        (lambda x: sampling.process_logits(x, temperature=0), ValueError, "temperature"),
        (lambda x: sampling.apply_temperature(x, "hot"), TypeError, "temperature must be a num"),
        (lambda x: sampling.top_p_filter(x, 0.0), ValueError, r"top_p must be in \(0, 1\]"),
        (lambda x: sampling.top_p_filter(x, 1.5), ValueError, "top_p"),
        (lambda x: sampling.next_token(x, temperature=0, top_p=2.0), ValueError, "top_p"),
        (lambda x: sampling.top_k_filter(x, -1), ValueError, "top_k must be >= 0"),
        (lambda x: sampling.top_k_filter(x, 2.5), TypeError, "top_k must be an int"),
        (lambda x: sampling.min_p_filter(x, -0.1), ValueError, r"min_p must be in \[0, 1\]"),
        (lambda x: sampling.min_p_filter(x, 1.1), ValueError, "min_p"),
        (lambda x: sampling.repetition_penalty(x, torch.zeros(2, 1).long(), 0), ValueError,
         "repetition_penalty"),
        (lambda x: sampling.repetition_penalty(x, torch.zeros(3, 1).long(), 1.2), ValueError,
         "share B"),
        (lambda x: sampling.repetition_penalty(x, torch.full((2, 1), 9), 1.2), ValueError,
         r"ids must lie in \[0, 5\)"),
        (lambda x: sampling.next_token(x, repetition_penalty=1.2), ValueError, "ids"),
        (lambda x: sampling.frequency_presence_penalty(x, torch.zeros(2, 1).long(), math.inf),
         ValueError, "frequency_penalty"),
        (lambda x: sampling.sample(x, generator=0), TypeError, "generator"),
        (lambda x: sampling.greedy(x.long()), TypeError, "floating-point"),
        (lambda x: sampling.sample(x.index_fill(1, torch.tensor([2]), math.nan)), ValueError,
         "NaN"),
        (lambda x: sampling.top_p_filter(x.index_fill(1, torch.tensor([2]), math.inf), 0.5),
         ValueError, r"\+inf"),
        (lambda x: sampling.sample(torch.full_like(x, -math.inf)), ValueError, "every token"),
    ],
)  # fmt: skip
def test_bad_input_names_the_argument(call, error, words):
    with pytest.raises(error, match=words):
        call(_random_logits((2, 5), 0))


def test_bad_beam_search_input(models):
    _, ours = models
    prompt = _prompt(0)
    for kwargs, words in [
        ({"num_beams": 0}, "num_beams must be >= 1"),
        ({"max_new_tokens": -1}, "max_new_tokens must be >= 0"),
        ({"num_beams": 21}, r"num_beams must be at most V / 2 = 20"),
        ({"early_stopping": "sometimes"}, "early_stopping must be"),
        ({"length_penalty": math.nan}, "length_penalty"),
    ]:
        args = {"num_beams": 2, "max_new_tokens": 3} | kwargs
        with pytest.raises(ValueError, match=words):
            beam_search(ours, prompt, **args)
    with pytest.raises(ValueError, match=r"prompt must be one non-empty sequence \(T,\)"):
        beam_search(ours, prompt[None], 2, 3)
    with pytest.raises(TypeError, match="model must be our GPT or a callable"):
        beam_search("gpt", prompt, 2, 3)
    with pytest.raises(ValueError, match="NaN"):
        beam_search(lambda ids: torch.full((len(ids), VOCAB), math.nan), prompt, 2, 3)


def test_notebook_08_references_equal_the_helpers():
    import numpy as np

    from helpers.exercises import nb08_sampling as ref

    ties = torch.randint(-3, 3, (200, 12)).double()
    for k in range(13):
        assert np.array_equal(
            ref.top_k_logits(ties.numpy(), k), sampling.top_k_filter(ties, k).numpy()
        )
    z = torch.randn(200, 12, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 2
    for p in (0.1, 0.5, 0.9, 1.0):
        assert np.array_equal(ref.top_p_logits(z.numpy(), p), sampling.top_p_filter(z, p).numpy())
    np.testing.assert_allclose(
        ref.temperature_probs(z.numpy(), 0.7),
        sampling.apply_temperature(z, 0.7).softmax(-1).numpy(),
        rtol=0,
        atol=1e-12,
    )
