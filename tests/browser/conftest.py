"""Browser tests: the real app served by `run.py play` in a child process, driven by Playwright
in Debian's chromium with every request off this machine blocked, so the tests prove the page
works offline. Screenshots go to `.test-results/` (kept by CI as artefacts)."""

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
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from play_helpers import screenshot

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / ".test-results"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_PREFIXES = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")
SERVER_START_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the app server exited ({server.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the app server did not answer {url} in {SERVER_START_SECONDS} s")


@dataclass
class AppServer:
    url: str
    process: subprocess.Popen
    log: Path


def start_server(extra_args: list[str] | None = None, name: str = "app") -> AppServer:
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    log = ARTIFACTS / f"{name}-server-{port}.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "run.py"),
                "play",
                "--port",
                str(port),
                *(extra_args or []),
            ],
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = AppServer(f"http://127.0.0.1:{port}", process, log)
    wait_until_serving(server.url + "/", process, log)
    return server


def stop_server(server: AppServer) -> None:
    if server.process.poll() is None:
        os.killpg(server.process.pid, 15)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, 9)
            server.process.wait()


@pytest.fixture(scope="session")
def app_server() -> Iterator[AppServer]:
    server = start_server()
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def browser():
    chromium = shutil.which("chromium")
    if chromium is None:  # a failure, not a skip: CI must prove the page works
        pytest.fail(
            "Debian's chromium is needed for the browser tests: bash scripts/setup.sh --test"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Traffic:
    """What left the page (blocked requests) and what the server sent it (websocket frames)."""

    blocked: list[str] = field(default_factory=list)
    frames: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    # Responses with an HTTP error status, as "404 URL" (the console names no URL).
    bad_responses: list[str] = field(default_factory=list)

    def received_text(self) -> str:
        return "\n".join(self.frames)


def expand_json_strings(value):
    """Components send their data as JSON text inside the JSON frame (the map and the charts):
    parse such strings so a search sees their keys and values as in any other frame."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return expand_json_strings(json.loads(value))
        except ValueError:
            return value
    if isinstance(value, dict):
        return {key: expand_json_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [expand_json_strings(item) for item in value]
    return value


def readable_frame(text: str) -> str:
    """A websocket frame as text with every embedded JSON string expanded, in one spelling
    (`"key": value`), so what a frame carries can be searched whatever the component's wire
    format. Frames that are not JSON (binary buffers) are kept as they came."""
    try:
        return json.dumps(expand_json_strings(json.loads(text)))
    except ValueError:
        return text


def open_context(browser, traffic: Traffic):
    context = browser.new_context(viewport={"width": 1500, "height": 1100})

    def route(request_route):
        url = request_route.request.url
        if url.startswith(LOCAL_PREFIXES):
            request_route.continue_()
        else:
            traffic.blocked.append(url)
            request_route.abort()

    context.route("**/*", route)
    return context


def watch_page(page, traffic: Traffic) -> None:
    def on_socket(socket_):
        def on_frame(payload):
            text = payload if isinstance(payload, str) else payload.decode("utf-8", "replace")
            traffic.frames.append(readable_frame(text))

        socket_.on("framereceived", on_frame)

    page.on("websocket", on_socket)
    page.on(
        "console",
        lambda msg: traffic.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    page.on(
        "response",
        lambda response: (
            traffic.bad_responses.append(f"{response.status} {response.url}")
            if response.status >= 400
            else None
        ),
    )


@pytest.fixture
def traffic() -> Traffic:
    return Traffic()


@pytest.fixture
def page(browser, app_server, traffic, request):
    context = open_context(browser, traffic)
    page = context.new_page()
    watch_page(page, traffic)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        screenshot(page, ARTIFACTS / f"{request.node.name}.png")
    finally:
        context.close()


@pytest.fixture
def game_page(page, app_server):
    """The `page` fixture with the game loaded (see `open_game`)."""
    open_game(page, app_server.url)
    return page


@pytest.fixture
def new_page(browser, app_server, request):
    """More pages with the game loaded, each in its own browser context (so its own game) with
    its own Traffic: `page, traffic = new_page("name")`. Screenshotted and closed after the test.
    (Test modules use fixtures rather than importing this conftest: `import conftest` could
    find tests/conftest.py instead.)"""
    opened = []

    def make(name: str):
        traffic = Traffic()
        context = open_context(browser, traffic)
        page = context.new_page()
        watch_page(page, traffic)
        opened.append((name, page, context))
        open_game(page, app_server.url)
        return page, traffic

    yield make
    ARTIFACTS.mkdir(exist_ok=True)
    for name, page, context in opened:
        try:
            screenshot(page, ARTIFACTS / f"{request.node.name}-{name}.png")
        finally:
            context.close()


def open_game(page, url: str) -> None:
    """Load the app and wait for real content: the status bar's round and the map."""
    page.goto(url + "/")
    page.locator(".status-round").wait_for(timeout=30_000)
    page.locator(".map-land").first.wait_for(timeout=30_000)
