"""`make lab` works for a new user: as root too, and without JupyterLab's news prompt."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT, offline_env

OVERRIDES = ROOT / "jupyter" / "overrides.json"
NOTIFICATION = "@jupyterlab/apputils-extension:notification"


def _make_dry_run(target: str) -> str:
    result = subprocess.run(
        ["make", "-n", "-B", target], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return result.stdout


def test_shipped_lab_settings_turn_the_news_prompt_off():
    settings = json.loads(OVERRIDES.read_text())[NOTIFICATION]
    assert settings == {"fetchNews": "false", "checkForUpdates": False}


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_lab_allows_root_exactly_when_run_as_root():
    lab_line = [line for line in _make_dry_run("lab").splitlines() if " lab " in line][-1]
    assert ("--allow-root" in lab_line) == (os.geteuid() == 0), lab_line


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_setup_installs_the_lab_settings_into_the_environment():
    assert "jupyter/overrides.json .venv/share/jupyter/lab/settings/overrides.json" in (
        _make_dry_run(".venv/.runtime-installed")
    )


def test_jupyterlab_serves_the_series_defaults(tmp_path: Path):
    """Start JupyterLab from this environment and read the defaults it gives the notification
    plugin: the overrides must have been installed where JupyterLab looks for them."""
    installed = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    if not installed.exists():
        pytest.skip("not running in the environment made by `make setup`")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = offline_env() | {"JUPYTER_CONFIG_DIR": str(tmp_path / "config")}
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         "--allow-root", "--ServerApp.token=", "--ServerApp.password=",
         f"--ServerApp.root_dir={tmp_path}", f"--LabApp.user_settings_dir={tmp_path / 'user'}",
         f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/lab/api/settings/{NOTIFICATION}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    schema = json.load(response)["schema"]["properties"]
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert schema["fetchNews"]["default"] == "false"
    assert schema["checkForUpdates"]["default"] is False
