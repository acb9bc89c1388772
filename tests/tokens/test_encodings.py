"""tiktoken works offline after `import helpers`, with tiktoken's own definitions."""

from __future__ import annotations

import subprocess
import sys

import pytest
import tiktoken

import helpers  # noqa: F401  (registers the offline encodings)
from helpers.tokens import encodings

from conftest import offline_env


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        ("gpt2", [31373, 995]),
        ("r50k_base", [31373, 995]),
        ("cl100k_base", [15339, 1917]),
        ("o200k_base", [24912, 2375]),
    ],
)
def test_hello_world(name, ids):
    assert tiktoken.get_encoding(name).encode("hello world") == ids
    assert encodings.get_encoding(name).encode("hello world") == ids


def test_real_encoding_objects_with_official_specials():
    enc = encodings.get_encoding("cl100k_base")
    assert isinstance(enc, tiktoken.Encoding)
    assert enc.n_vocab == 100277
    assert enc.encode("<|endoftext|>", allowed_special="all") == [100257]
    assert encodings.get_encoding("gpt2").eot_token == 50256
    assert encodings.get_encoding("o200k_base").n_vocab == 200019


def test_round_trip_on_varied_text():
    text = "Hello, wörld! 你好 🤖 x = 3.14159\n\n\tdef f(): return 'ok'"
    for name in encodings.OFFLINE_NAMES:
        enc = encodings.get_encoding(name)
        assert enc.decode(enc.encode(text)) == text


def test_unknown_name_is_a_clear_error():
    with pytest.raises(ValueError, match="must be one of"):
        encodings.get_encoding("gpt5")


def test_works_in_a_fresh_offline_process():
    code = (
        "import helpers, tiktoken;"
        "print(tiktoken.get_encoding('gpt2').encode('hello world'),"
        " tiktoken.get_encoding('cl100k_base').encode('hello world'))"
    )
    env = offline_env()
    env["TIKTOKEN_CACHE_DIR"] = "/nonexistent-cache"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.strip() == "[31373, 995] [15339, 1917]", out.stderr


def test_import_helpers_is_fast_and_does_not_import_torch():
    code = (
        "import time, sys; t = time.perf_counter(); import helpers; "
        "print(time.perf_counter() - t, 'torch' in sys.modules, 'matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    seconds, torch_loaded, mpl_loaded = out.stdout.split()
    assert torch_loaded == "False" and mpl_loaded == "False"
    assert float(seconds) < 1.0
