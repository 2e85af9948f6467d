"""A real Chromium (Playwright) driving the example site, which talks to a real emulator.

- ``demo_emulator``: the bundled Civitai emulator in this process, registering the example
  site's demo app, so a test can count what reached Civitai (``count("revoke")``).
- ``example_site``: example_project itself under ``manage.py runserver`` in a subprocess, with
  its own settings and a throwaway SQLite file, exactly as ``make demo`` runs it. A subprocess
  (not pytest-django's live_server) because Playwright's sync API keeps an asyncio loop running
  in this thread, where Django's ORM refuses to run (SynchronousOnlyOperation): this process
  never touches the database while a browser is open.
- ``page``: a fresh browser context per test that cannot reach beyond 127.0.0.1.

All three are module-scoped: Playwright's running loop must be gone before tests in other
modules use the ORM, and starting the site once keeps the browser tests fast.

Chromium is Debian's (/usr/bin/chromium, or CHROMIUM_PATH): Playwright cannot download its own
here. Under CI=true a missing or broken browser fails the tests; elsewhere they skip, saying why.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import pytest

from example_project.demo_app import DEMO_APP_NAME, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from example_project.run_demo import stop

REPO = Path(__file__).resolve().parents[2]
MANAGE = REPO / "example_project" / "manage.py"
OUTPUT = REPO / "test-output"
SCREENSHOTS = OUTPUT / "screenshots"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SITE_STARTUP_TIMEOUT = 60.0
# (id, username) of demo accounts only the fault tests use, so that no other test meets them.
EXTRA_USERS_FOR_FAULTS_SPEC = ((45678, "hopper"), (56789, "turing"))


def browser_unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true needs the browser tests, but {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason} (set CI=true to make this an error)")


def chromium_executable() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.access(path, os.X_OK):
        browser_unavailable(f"no Chromium at {path} (install Debian's 'chromium' package)")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_executable()
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        browser_unavailable("Playwright for Python is not installed")
    playwright = sync_playwright().start()
    try:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    except Error as error:
        playwright.stop()
        browser_unavailable(f"Chromium at {executable} did not launch: {error.message}")
    yield launched
    launched.close()
    playwright.stop()


@pytest.fixture(scope="module")
def demo_emulator() -> Iterator[Any]:
    """The emulator with the example site's demo app; its limits are off for the suite's pace."""
    from django_civitai_auth.emulator import DEFAULT_USERS, CivitaiEmulator, DemoUser, RegisteredApp

    app = RegisteredApp(
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
        # Loopback redirect URIs match on any port: the site's random one fits.
        redirect_uris=["http://127.0.0.1/complete/civitai/"],
        name=DEMO_APP_NAME,
    )
    # Two accounts beyond the demo's own, for the tests that break a user's access on purpose.
    extra = [DemoUser(id=uid, username=name) for uid, name in EXTRA_USERS_FOR_FAULTS_SPEC]
    users = [*DEFAULT_USERS, *extra]
    with CivitaiEmulator(apps=[app], users=users, rate_limit=False) as emulator:
        yield emulator
    assert emulator.errors == []


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def site_env(emulator_url: str, database: Path) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        # Real Civitai credentials in the environment must not turn the tests into live ones.
        if not name.startswith(("CIVITAI_", "DJANGO_"))
    }
    env.update(
        CIVITAI_EMULATOR_URL=emulator_url,
        CIVITAI_DEMO_DB=str(database),
        PYTHONPATH=str(REPO),
        PYTHONUNBUFFERED="1",
    )
    return env


def wait_for_http(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SITE_STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the example site exited while starting:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"the example site did not answer at {url}:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def example_site(demo_emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The example site's base URL (``http://127.0.0.1:PORT``), served by runserver."""
    workdir = tmp_path_factory.mktemp("example-site")
    env = site_env(demo_emulator.base_url, workdir / "db.sqlite3")
    subprocess.run(
        [sys.executable, str(MANAGE), "migrate", "--noinput", "-v", "0"],
        env=env,
        check=True,
        capture_output=True,
    )
    OUTPUT.mkdir(exist_ok=True)
    log = OUTPUT / "browser-example-site.log"
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, str(MANAGE), "runserver", f"127.0.0.1:{port}", "--noreload"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base_url + "/", process, log)
        yield base_url
    finally:
        stop(process)


@dataclass
class OffMachineGuard:
    """Requests the page tried to send beyond 127.0.0.1 (aborted), and CSP complaints."""

    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


@pytest.fixture
def guard() -> OffMachineGuard:
    return OffMachineGuard()


@pytest.fixture
def page(browser: Any, example_site: str, guard: OffMachineGuard) -> Iterator[Any]:
    """A new tab in a fresh browser profile (no cookies), at the example site's home page."""
    context = browser.new_context(
        base_url=example_site, viewport={"width": 1100, "height": 820}, locale="en-US"
    )
    context.set_default_timeout(15_000)

    def only_loopback(route: Any) -> None:
        if urlsplit(route.request.url).hostname in LOOPBACK_HOSTS:
            route.continue_()
        else:
            guard.blocked.append(route.request.url)
            route.abort()

    context.route(re.compile(r"^https?://"), only_loopback)
    context.on(
        "console",
        lambda message: (
            guard.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    tab = context.new_page()
    yield tab
    context.close()
    # The demo must work offline: no page may even try to load something from elsewhere.
    assert guard.blocked == []
    assert guard.console_errors == []


Screenshot = Callable[[Any, str], Path]


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Screenshot:
    """Save a full-page screenshot as test-output/screenshots/TEST-NN-LABEL.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    taken = 0

    def take(tab: Any, label: str) -> Path:
        nonlocal taken
        taken += 1
        path = SCREENSHOTS / f"{test_name}-{taken:02d}-{label}.png"
        tab.screenshot(path=str(path), full_page=True)
        return path

    return take
