"""Execute a notebook in a fresh kernel, offline, and measure its wall time and peak memory."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from conftest import offline_env

# VmHWM is the kernel process's own peak; ru_maxrss would include the forking parent's.
PEAK_MEMORY_PROBE = (
    "import re as _re, sys as _s\n"
    "_kb = _re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
    "print('PEAK_RSS_MB', int(_kb) / 1024, file=_s.stderr)"
)


@dataclass
class Run:
    notebook: nbformat.NotebookNode  # executed, without the memory probe
    seconds: float
    peak_rss_mb: float


def execute(notebook: nbformat.NotebookNode, cwd: Path, cell_timeout: int = 90) -> Run:
    """Run every cell top to bottom in a new python3 kernel where only loopback is reachable.

    Raises nbclient's CellExecutionError on the first failing cell.
    """
    nb = nbformat.from_dict(notebook)
    nb.cells.append(nbformat.v4.new_code_cell(PEAK_MEMORY_PROBE))
    client = NotebookClient(
        nb,
        timeout=cell_timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
    )
    start = time.perf_counter()
    client.execute(env=offline_env())
    seconds = time.perf_counter() - start
    probe = nb.cells.pop()
    peak = float(probe.outputs[0]["text"].split()[-1])
    return Run(nb, seconds, peak)


def outputs_text(nb: nbformat.NotebookNode) -> list[tuple[int, str, str]]:
    """(cell index, output kind, text) for every stream, result and error output of `nb`."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream":
                found.append((i, out["name"], out["text"]))
            elif out["output_type"] == "error":
                found.append((i, "error", f"{out['ename']}: {out['evalue']}"))
            elif "text/plain" in out.get("data", {}):
                found.append((i, out["output_type"], out["data"]["text/plain"]))
    return found
