"""Real-browser tests: JupyterLab in headless Chromium runs notebook 00 and a slider redraws the
explorer; the static slide deck opens with no network.

Needs Debian's `chromium` (/usr/bin/chromium). Without it these tests are skipped with a message,
unless REQUIRE_BROWSER=1 (set by .ci/run), which turns the skip into a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from conftest import ROOT, offline_env

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOW_TO_ENABLE = "install it with `sudo apt-get install chromium` and run the tests again"

pytestmark = pytest.mark.browser


def _require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    message = f"browser test skipped: Chromium not found at {CHROMIUM}; {HOW_TO_ENABLE}"
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_settings(settings: Path) -> None:
    """User settings that keep JupyterLab quiet: no news prompt, no update check."""
    notification = settings / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )


@pytest.fixture(scope="module")
def lab_url(tmp_path_factory) -> Iterator[str]:
    _require_chromium()
    tmp = tmp_path_factory.mktemp("lab")
    _write_settings(tmp / "settings")
    # Lab autosaves: serve a copy of the notebooks, so the committed outputs are never touched.
    shutil.copytree(ROOT / "notebooks", tmp / "root" / "notebooks")
    port = _free_port()
    env = offline_env()
    env["JUPYTER_CONFIG_DIR"] = str(tmp / "config")
    env["JUPYTERLAB_WORKSPACES_DIR"] = str(tmp / "workspaces")
    log = (tmp / "lab.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            f"--port={port}",
            "--ip=127.0.0.1",
            "--allow-root",
            "--ServerApp.token=",
            "--ServerApp.password=",
            "--ServerApp.disable_check_xsrf=True",
            f"--ServerApp.root_dir={tmp / 'root'}",
            f"--LabApp.user_settings_dir={tmp / 'settings'}",
            f"--LabApp.workspaces_dir={tmp / 'workspaces'}",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "api/status", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError((tmp / "lab.log").read_text()[-3000:]) from None
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def browser():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        user_data = Path(os.environ.get("TMPDIR", "/tmp")) / f"chromium-{os.getpid()}"
        shutil.rmtree(user_data, ignore_errors=True)
        context = p.chromium.launch_persistent_context(
            str(user_data),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1400, "height": 1000},
        )
        yield context
        context.close()
        shutil.rmtree(user_data, ignore_errors=True)


def _explorer_bars(page) -> str:
    return page.locator(".widget-html-content", has_text="Next token").first.inner_html()


@pytest.fixture
def page(browser, report_dir, request):
    """A new tab; on failure, its screenshot is saved to the report folder."""
    tab = browser.new_page()
    yield tab
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else True:
        tab.screenshot(path=str(report_dir / f"failed-{request.node.name}.png"))
    tab.close()


def _wait_until_idle(page) -> None:
    """Wait until the notebook on screen has run every cell. Earlier tests leave their notebooks
    open in other (hidden) tabs, each with its own indicator: only the visible one counts."""
    idle = ".jp-Notebook-ExecutionIndicator[data-status='idle']:visible"
    page.wait_for_selector(idle, timeout=180_000)


def _close_dialogs(page) -> None:
    """Close any modal dialog JupyterLab put up (on a loaded machine, e.g. about a slow kernel),
    printing its text: it would swallow the clicks that follow. A "Select Kernel" dialog is
    answered with its default, the notebook's own kernel (Escape would leave the notebook with
    no kernel, and Run All would then run nothing). What the notebook then shows is still
    checked."""
    dialogs = page.locator(".jp-Dialog")
    for _ in range(3):
        if not dialogs.count():
            return
        text = dialogs.first.inner_text()
        print("closing a JupyterLab dialog:", text[:300].replace("\n", " "))
        accept = dialogs.first.locator("button.jp-mod-accept")
        if "Select Kernel" in text and accept.count():
            accept.first.click()
        else:
            page.keyboard.press("Escape")
        page.wait_for_timeout(500)


def _open_and_run_all(page, url: str) -> None:
    """Open a notebook in JupyterLab and run all its cells (waiting for the kernel first)."""
    page.goto(url)
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    # The kernel must be connected before Run All; on a busy machine that takes a while, so wait
    # for the status bar to say so, and check that the first cell really ran.
    page.locator(".jp-StatusBar-TextItem", has_text="Idle").first.wait_for(timeout=120_000)
    first_cell_ran = page.locator(".jp-InputPrompt", has_text="[1]:").first
    for _attempt in range(3):
        _close_dialogs(page)
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        try:
            first_cell_ran.wait_for(timeout=30_000)
            break
        except PlaywrightTimeout:
            continue


def test_lab_runs_notebook_00_and_slider_redraws_the_explorer(lab_url, page, report_dir):
    _open_and_run_all(page, lab_url + "lab/tree/notebooks/00_welcome.ipynb")
    bars = page.locator(".widget-html-content", has_text="Next token").first
    bars.wait_for(timeout=180_000)
    bars.scroll_into_view_if_needed()
    _wait_until_idle(page)
    before = _explorer_bars(page)
    assert "be" in before

    slider = page.locator(".widget-hslider", has_text="temperature").first
    track = slider.locator(".noUi-target").bounding_box()
    handle = slider.locator(".noUi-handle").bounding_box()
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(track["x"] + 2, track["y"] + track["height"] / 2, steps=8)
    page.mouse.up()

    deadline = time.monotonic() + 20
    while _explorer_bars(page) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    page.screenshot(path=str(report_dir / "browser-00_welcome.png"), full_page=False)
    after = _explorer_bars(page)
    assert after != before, "moving the temperature slider did not redraw the explorer"
    assert "1.000" in after, "at the lowest temperature the top token should take all mass"
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, errors.first.inner_text()


@pytest.mark.slides
def test_static_slides_open_without_network(page, report_dir):
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "build_slides.py"),
            str(ROOT / "notebooks" / "00_welcome.ipynb"),
        ],
        check=True,
        cwd=ROOT,
    )
    deck = ROOT / "build" / "slides" / "00_welcome.slides.html"
    remote = []

    def block_remote(route):
        if not route.request.url.startswith("file://"):
            remote.append(route.request.url)
            return route.abort()
        return route.continue_()

    page.route("**/*", block_remote)
    page.goto(deck.as_uri())
    page.wait_for_selector(".reveal.ready", timeout=30_000)  # reveal.js initialised
    assert page.locator(".reveal .slides > section").count() >= 10
    page.wait_for_function("window.MathJax && MathJax.isReady", timeout=30_000)
    page.screenshot(path=str(report_dir / "slides-00_welcome.png"))
    assert not remote, f"the deck tried to load {remote[:3]}"


def test_lab_runs_notebook_05_and_the_attention_inspector_follows_its_controls(
    lab_url, page, report_dir
):
    _open_and_run_all(page, lab_url + "lab/tree/notebooks/05_attention.ipynb")
    info = page.locator(".widget-html-content", has_text="mean entropy").first
    info.wait_for(timeout=180_000)
    _wait_until_idle(page)
    info.scroll_into_view_if_needed()
    inspector = page.locator(".widget-vbox", has=info).last
    before = inspector.inner_html()
    query = inspector.locator(".widget-dropdown", has_text="query").first.locator("select")
    chosen = query.locator("option").first.inner_text()
    query.select_option(index=0)  # the first query token instead of the last
    deadline = time.monotonic() + 20
    while inspector.inner_html() == before and time.monotonic() < deadline:
        time.sleep(0.2)
    page.screenshot(path=str(report_dir / "browser-05_attention.png"), full_page=False)
    assert inspector.inner_html() != before, "choosing a query did not redraw the inspector"
    assert chosen.split(": ", 1)[-1] in inspector.inner_text()
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, errors.first.inner_text()
