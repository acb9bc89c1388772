"""helpers/ is one package per stage of the story, and its layering holds.

The contracts live in pyproject.toml ([tool.importlinter]): stages import only earlier stages and
the base modules; no stage imports the widgets, the exercises, the scripts or the benchmarks;
widgets never import exercises; no module imports one that imports it back. These tests run
lint-imports on the real tree, prove that a wrong import breaks the contracts, and check that each
stage's docstring names exactly the modules the stage holds.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

HELPERS = ROOT / "helpers"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
STAGES = [
    "tokens", "counting", "neural", "vectors", "attention", "transformer", "pretraining",
    "decoding", "alignment",
]  # fmt: skip


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    if not LINT_IMPORTS.exists():
        pytest.fail(f"lint-imports is not installed next to {sys.executable}: run `make test`")
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_the_import_contracts_are_kept():
    run = _lint_imports(ROOT)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "4 kept, 0 broken" in run.stdout, run.stdout[-2000:]


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("transformer/gpt.py", "from helpers.decoding import sampling", "Stages import only"),
        ("tokens/bpe.py", "from helpers.widgets import bpe_stepper", "Stages never import"),
        ("counting/ngram.py", "import scripts.train_gpt", "Stages never import"),
        ("widgets/bpe_stepper.py", "from helpers.exercises import checking", "Widgets never"),
        ("vectors/word_vectors.py", "from helpers.vectors import word2vec", "No module imports"),
    ],
)
def test_a_wrong_import_breaks_a_contract(tmp_path, module, line, contract):
    """A copy of helpers/ with one deliberate wrong import: lint-imports must fail, naming it."""
    shutil.copytree(HELPERS, tmp_path / "helpers", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "train_gpt.py").write_text("")
    with (tmp_path / "helpers" / module).open("a") as f:
        f.write(f"\n{line}  # deliberately wrong\n")
    run = _lint_imports(tmp_path)
    assert run.returncode == 1, run.stdout[-3000:]
    broken = re.findall(r"^(.*?) BROKEN$", run.stdout, flags=re.M)
    assert any(b.startswith(contract) for b in broken), run.stdout[-3000:]


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_docstring_names_its_modules(stage):
    """A stage's __init__.py is its map: a docstring with one line per module, and no code."""
    init = HELPERS / stage / "__init__.py"
    tree = ast.parse(init.read_text())
    docstring = ast.get_docstring(tree)
    assert docstring and len(tree.body) == 1, f"{init} must hold a docstring and nothing else"
    named = set(re.findall(r"^- (\w+):", docstring, flags=re.M))
    modules = {p.stem for p in (HELPERS / stage).glob("*.py") if p.stem != "__init__"}
    assert named == modules, f"{stage}: named {sorted(named)}, present {sorted(modules)}"


def test_every_subpackage_is_a_stage_or_widgets_or_exercises():
    packages = {p.parent.name for p in HELPERS.glob("*/__init__.py")}
    assert packages == set(STAGES) | {"widgets", "exercises"}
