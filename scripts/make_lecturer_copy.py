"""Make the lecturer copy of notebooks: every exercise filled in from its reference solution.

    python scripts/make_lecturer_copy.py                 # all notebooks -> build/lecturer/
    python scripts/make_lecturer_copy.py notebooks/00_welcome.ipynb --out /tmp/answers

The committed notebooks are the student copies (blank exercises). In the copy made here, each cell
that calls `check("NN.k", name)` after a `raise NotImplementedError` gets the reference solution
in place of the learner's function, and each review answer `qK = None` gets the right answer.
Outputs are cleared; run the copy to show the answers.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

from helpers.exercises import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
CHECK = re.compile(r"""^check\(\s*["'](?P<id>[\w.]+)["']\s*,\s*(?P<name>\w+)\s*\)""", re.M)


def fill_exercise(source: str, exercise_id: str, name: str) -> str:
    """Replace the learner's stub before the check call with the reference solution."""
    reference = REGISTRY[exercise_id]
    check_at = CHECK.search(source).start()
    if callable(reference.reference):
        solution = reference.solution_text().strip()
        ref_name = reference.reference.__name__
        solution = re.sub(rf"^def {ref_name}\(", f"def {name}(", solution, count=1, flags=re.M)
        # Keep any setup lines before the stub (data the learner's function uses).
        stub_at = source.index(f"def {name}(")
        return source[:stub_at] + solution + "\n\n\n" + source[check_at:]
    answer_line = re.compile(rf"^{name}\s*=\s*None\b.*$", re.M)
    return answer_line.sub(f"{name} = {reference.reference!r}", source, count=1)


def lecturer_copy(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of `notebook` with every exercise and review answer filled in, outputs cleared."""
    filled = nbformat.from_dict(notebook)
    for cell in filled.cells:
        if cell.cell_type != "code":
            continue
        cell.outputs, cell.execution_count = [], None
        match = CHECK.search(cell.source)
        if match and match["id"] in REGISTRY:
            is_stub = "raise NotImplementedError" in cell.source
            is_answer = re.search(rf"^{match['name']}\s*=\s*None\b", cell.source, re.M)
            if is_stub or is_answer:
                cell.source = fill_exercise(cell.source, match["id"], match["name"])
    return filled


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "lecturer")
    args = parser.parse_args()
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    args.out.mkdir(parents=True, exist_ok=True)
    for path in paths:
        copy = lecturer_copy(nbformat.read(path, as_version=4))
        nbformat.write(copy, args.out / path.name)
        print(f"wrote {args.out / path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
